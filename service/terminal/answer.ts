// `terok-clearance allow|deny REQUEST_ID [lasting options]`: answers one request from a script. The hub holding it
// is found through Pending; the verdict carries the container and target bound to the request there, so nothing is
// guessed. Without a lasting option it is the plain Verdict; with one it is Decide (a grant or a rule).
import {escapeTerminal} from '../../core/clearance/escape.js';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {identityLabel} from '../../core/clearance/identity.js';
import {localClockTime, resultText} from '../../core/clearance/format.js';
import {bindingTarget, type VerdictAction} from '../../core/clearance/verdict.js';
import {sendVerdict} from '../../core/client/clearance-calls.js';
import {sendDecide, type DecideOutcome} from '../../core/client/decision-calls.js';
import {
  confirmationReason, describeDecision, isScopeKind, parseLasting, type LastingChoice,
} from '../../core/decisions/decision.js';
import {domainPatternFor} from '../../core/decisions/target-pattern.js';
import {parseCommandArgs, usageError} from '../commands/args.js';
import {EXIT} from '../exit-codes.js';
import {askYesNo} from './confirm.js';
import {withHubs, type ReachedHub} from './hub-query.js';

const help = (action: VerdictAction) => `usage: terok-clearance ${action} REQUEST_ID [--for DURATION | --until-exit | --always] [--scope container|project|all] [--domain] [--yes]

${action === 'allow' ? 'Allows' : 'Denies'} the destination of one pending request (ids as terok-clearance pending shows them) at
the hub that holds it: terok-shield ${action}s the target for that container. Without an option below, for this
request only.

  --for DURATION   also ${action} it for a time: 15m, 1h, 8h, 1h30m, 2d (at most 366d): a grant
  --until-exit     also ${action} it until the container exits (or its shield goes down): a grant
  --always         a rule in the rules file, until it is removed (terok-clearance rules)
  --scope S        where the lasting answer holds: container (default), project (every container of the
                   request's terok project), all (every container)
  --domain         the whole domain (*.example.com: the domain and every name under it), not only this target
  --yes            confirm a whole domain, or --always --scope all, without asking (asked y/N on a terminal)

It prints what was decided and the other pending requests the decision answered at once.

exit codes:
  0  applied
  1  the shield (or the hub) refused, or a confirmation was needed and not given; the request stays pending
  2  usage error
  3  no hub reachable
  4  unknown request: already answered, expired, or never emitted
`;

export const allow = {
  summary: 'allow one pending request by id, once or lasting (for scripts; see pending)',
  run: (args: string[]) => answer('allow', args),
};

export const deny = {
  summary: 'deny one pending request by id, once or lasting',
  run: (args: string[]) => answer('deny', args),
};

const OPTIONS = {
  for: {type: 'string'}, 'until-exit': {type: 'boolean'}, always: {type: 'boolean'}, scope: {type: 'string'},
  domain: {type: 'boolean'}, yes: {type: 'boolean'},
} as const;

/** The lasting part of the command line: null for a plain one-time answer, or a usage problem. */
type Lasting = Omit<LastingChoice, 'action' | 'pattern'> & {domain: boolean};

async function answer(action: VerdictAction, args: string[]): Promise<number> {
  const usage = help(action);
  const parsed = parseCommandArgs(action, usage, OPTIONS, args);
  if (typeof parsed === 'number') return parsed;
  const [requestId, ...extra] = parsed.positionals;
  if (!requestId || extra.length > 0) return usageError(action, 'one REQUEST_ID expected', usage);
  const v = parsed.values;
  const chosen = [v.for !== undefined, v['until-exit'] === true, v.always === true].filter(Boolean).length;
  if (chosen > 1) return usageError(action, '--for, --until-exit and --always exclude each other', usage);
  const lastingText = v.for ?? (v['until-exit'] ? 'until-exit' : v.always ? 'always' : 'once');
  const lasting = parseLasting(lastingText);
  if (!lasting || (v.for !== undefined && lasting.kind !== 'for')) {
    return usageError(action, `--for ${v.for}: not a duration such as 15m, 1h, 8h, 1h30m (at most 366d)`, usage);
  }
  const scope = v.scope ?? 'container';
  if (!isScopeKind(scope)) return usageError(action, `--scope ${scope}: container, project or all`, usage);
  if (lasting.kind === 'once' && (v.scope !== undefined || v.domain)) {
    return usageError(action, '--scope and --domain need --for, --until-exit or --always', usage);
  }
  const fail = (code: number, text: string) => {
    process.stderr.write(escapeTerminal(`terok-clearance ${action}: ${text}`) + '\n');
    return code;
  };
  return withHubs(async ({reached, failed, sessionPath}) => {
    for (const hub of reached) {
      const event = hub.pending?.find((e) => e.request_id === requestId);
      if (!event) continue;
      if (lasting.kind === 'once') return once(hub, event, action, fail);
      return decide(hub, event, action, {lasting, scope, domain: v.domain === true}, v.yes === true, fail);
    }
    if (reached.length === 0) {
      const why = failed.map((f) => `hub ${f.label}: ${f.reason}`).join('; ');
      return fail(EXIT.UNREACHABLE, `no hub reachable (${why || `none found; the session hub would be at ${sessionPath}`})`);
    }
    const blind = reached.filter((h) => h.pending === null).map((h) => h.label);
    const hint = blind.length > 0
      ? `; hub ${blind.join(', ')} cannot list its requests (an older hub): answer it in terok-clearance watch` : '';
    return fail(EXIT.UNKNOWN_REQUEST, `unknown request ${requestId}: not pending at any hub (already answered, expired or never emitted)${hint}`);
  });
}

type Fail = (code: number, text: string) => number;

async function once(hub: ReachedHub, event: ClearanceEvent, action: VerdictAction, fail: Fail): Promise<number> {
  const target = bindingTarget(event);
  const outcome = await sendVerdict(hub.client, event.container, event.request_id, target, action);
  if (outcome.kind !== 'applied') return failure(outcome, hub, event, action, fail);
  process.stdout.write(escapeTerminal(`${resultText({action, ok: true, target, stderr: ''})} (${who(event)})`) + '\n');
  return EXIT.OK;
}

async function decide(hub: ReachedHub, event: ClearanceEvent, action: VerdictAction, lasting: Lasting, yes: boolean,
  fail: Fail): Promise<number> {
  let pattern = '';
  if (lasting.domain) {
    pattern = domainPatternFor(event.domain) ?? '';
    if (!pattern) return fail(EXIT.FAILED, `--domain: ${event.domain || event.dest} has no domain name to widen to`);
  }
  const choice: LastingChoice = {action, lasting: lasting.lasting, scope: lasting.scope, pattern};
  const target = bindingTarget(event);
  const send = (confirmed: boolean) => sendDecide(hub.client, {container: event.container,
    request_id: event.request_id, dest: target, choice, confirmed, ui: 'cli'});
  const reason = confirmationReason(choice);
  let confirmed = yes || (reason !== null && await confirm(reason, fail));
  if (reason !== null && !confirmed) return EXIT.FAILED;
  let outcome = await send(confirmed);
  // The hub's rule may ask where ours did not (an older core): the same confirmation, once.
  if (outcome.kind === 'needs-confirmation' && !confirmed) {
    confirmed = await confirm(outcome.reason, fail);
    if (!confirmed) return EXIT.FAILED;
    outcome = await send(true);
  }
  if (outcome.kind !== 'applied') return failure(outcome, hub, event, action, fail);
  const lines = [`${resultText({action, ok: true, target, stderr: ''})} (${who(event)})`];
  if (outcome.decision) lines.push(`Decided: ${describeDecision(outcome.decision, localClockTime)}`);
  if (outcome.covered.length > 0) lines.push(`Also answered: ${outcome.covered.join(', ')}`);
  process.stdout.write(lines.map(escapeTerminal).join('\n') + '\n');
  return EXIT.OK;
}

/** Asks y/N on a terminal; without one, says to add --yes. */
async function confirm(reason: string, fail: Fail): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    fail(EXIT.FAILED, `${reason}: this needs a confirmation; add --yes to confirm it (nothing was answered)`);
    return false;
  }
  const yes = await askYesNo(`${escapeTerminal(reason)}. Apply? [y/N] `);
  if (!yes) process.stderr.write('Not confirmed: nothing was answered.\n');
  return yes;
}

function failure(outcome: Exclude<DecideOutcome, {kind: 'applied'}>, hub: ReachedHub, event: ClearanceEvent,
  action: VerdictAction, fail: Fail): number {
  const target = bindingTarget(event);
  switch (outcome.kind) {
    case 'failed':
      return fail(EXIT.FAILED, `${resultText({action, ok: false, target, stderr: outcome.detail})} (${who(event)})`);
    case 'unknown-request':
      return fail(EXIT.UNKNOWN_REQUEST, `${event.request_id} was answered meanwhile (by another client)`);
    case 'unreachable':
      return fail(EXIT.UNREACHABLE, `hub ${hub.label}: ${outcome.detail}`);
    case 'unsupported':
      return fail(EXIT.FAILED, `hub ${hub.label} keeps no lasting decisions (an older hub): answer without --for, --until-exit or --always`);
    case 'needs-confirmation':
      return fail(EXIT.FAILED, `${outcome.reason}: not confirmed`);
  }
}

function who(event: ClearanceEvent): string {
  return identityLabel(event.container, event.dossier);
}
