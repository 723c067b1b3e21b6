// `terok-clearance grants [list|revoke ID]`: the grants the hubs hold (every hub reads the same grant store, and
// each revokes what it applied itself), with the time left; revoking asks every hub that holds the grant.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {fetchDecisions, sendRevoke, UNKNOWN_DECISION} from '../../core/client/decision-calls.js';
import {decisionRecord} from '../../core/decisions/decision-record.js';
import {describeDecision, type Decision} from '../../core/decisions/decision.js';
import {formatRemaining} from '../../core/decisions/duration.js';
import {localClockTime} from '../../core/clearance/format.js';
import {parseCommandArgs, usageError} from '../commands/args.js';
import {EXIT} from '../exit-codes.js';
import {withHubs, type HubQuery, type ReachedHub} from './hub-query.js';

export const summary = 'list the grants in force with their time left, or revoke one (grants revoke ID)';

const HELP = `
usage: terok-clearance grants [list] [--json] | terok-clearance grants revoke GRANT_ID

Grants are answers that last for a time (allow|deny ID --for 1h) or until a container exits (--until-exit).
  list          (the default) every grant the hubs hold: id, what it does, for whom, and the time left
  revoke ID     ends the grant now: each hub runs terok-shield deny for every target it allowed under it
                (a failed deny is retried by the hub with back-off until it succeeds)
  --json        list: one JSON line per grant, {"hubs": [SOCKET_PATH...], "grant": DECISION}

exit codes: 0 done, 1 a deny failed (the hub retries it), 2 usage error, 3 no hub reachable (or none keeps
lasting decisions), 4 no such grant
`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('grants', HELP, {json: {type: 'boolean'}}, args);
  if (typeof parsed === 'number') return parsed;
  const [verb = 'list', ...rest] = parsed.positionals;
  if (verb === 'list' && rest.length === 0) return withHubs((q) => list(q, parsed.values.json === true));
  if (verb === 'revoke' && rest.length === 1 && !parsed.values.json) return withHubs((q) => revoke(q, rest[0]!));
  return usageError('grants', `unexpected '${escapeTerminal([verb, ...rest].join(' '))}'`, HELP);
}

/** The grants of every hub that has them, each with the hubs holding it. */
async function collect(q: HubQuery): Promise<{grants: Map<string, {grant: Decision; hubs: ReachedHub[]}>; answered: number}> {
  const grants = new Map<string, {grant: Decision; hubs: ReachedHub[]}>();
  let answered = 0;
  for (const {label, reason} of q.failed) process.stderr.write(escapeTerminal(`hub ${label}: ${reason}`) + '\n');
  for (const hub of q.reached) {
    const outcome = await fetchDecisions(hub.client);
    if (outcome.kind !== 'ok') {
      const why = outcome.kind === 'unsupported' ? 'an older hub without lasting decisions' : outcome.detail;
      process.stderr.write(escapeTerminal(`hub ${hub.label}: ${why}`) + '\n');
      continue;
    }
    answered++;
    for (const grant of outcome.value.grants) {
      const entry = grants.get(grant.id) ?? {grant, hubs: []};
      entry.hubs.push(hub);
      grants.set(grant.id, entry);
    }
  }
  return {grants, answered};
}

function noHub(q: HubQuery): number {
  if (q.reached.length === 0 && q.failed.length === 0) {
    process.stderr.write(escapeTerminal(`no hub is running (none found; the session hub would be at ${q.sessionPath})`) + '\n');
  }
  return EXIT.UNREACHABLE;
}

async function list(q: HubQuery, json: boolean): Promise<number> {
  const {grants, answered} = await collect(q);
  if (answered === 0) return noHub(q);
  const now = Date.now();
  for (const {grant, hubs} of grants.values()) {
    if (json) {
      process.stdout.write(JSON.stringify({hubs: hubs.map((h) => h.socket.path), grant: decisionRecord(grant)}) + '\n');
      continue;
    }
    const left = grant.expires !== null ? `${formatRemaining(grant.expires - now)} left`
      : grant.untilExit ? `until ${grant.untilExit} exits` : '';
    process.stdout.write(escapeTerminal(`${grant.id}  ${left}  ${describeDecision(grant, localClockTime)}`) + '\n');
  }
  if (!json && grants.size === 0) process.stdout.write('No grants.\n');
  return EXIT.OK;
}

async function revoke(q: HubQuery, id: string): Promise<number> {
  const {grants, answered} = await collect(q);
  if (answered === 0) return noHub(q);
  const entry = grants.get(id);
  if (!entry) {
    process.stderr.write(escapeTerminal(`terok-clearance grants: no grant ${id} (see terok-clearance grants)`) + '\n');
    return EXIT.UNKNOWN_REQUEST;
  }
  let code: number = EXIT.OK;
  process.stdout.write(escapeTerminal(`Revoked: ${describeDecision(entry.grant, localClockTime)}`) + '\n');
  for (const hub of entry.hubs) {
    const outcome = await sendRevoke(hub.client, id);
    // A hub that saw the grant's file go before our call revokes its own part by itself.
    if (outcome.kind === 'failed' && outcome.error === UNKNOWN_DECISION) continue;
    if (outcome.kind !== 'ok') {
      process.stderr.write(escapeTerminal(`hub ${hub.label}: ${outcome.kind === 'unsupported' ? 'no Revoke' : outcome.detail}`) + '\n');
      code = EXIT.FAILED;
      continue;
    }
    for (const r of outcome.value) {
      const line = r.ok ? `  denied ${r.target} for ${r.container} (hub ${hub.label})`
        : `  deny ${r.target} for ${r.container} failed: ${r.stderr} (hub ${hub.label} retries it)`;
      process.stdout.write(escapeTerminal(line) + '\n');
      if (!r.ok) code = EXIT.FAILED;
    }
  }
  return code;
}
