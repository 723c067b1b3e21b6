// `terok-clearance rules list|add|remove|check`: the rules file read and edited directly (comments kept), the hubs
// reload it on change; `check` explains what a block would get, with the hubs' own matcher over the rules and the
// grants on disk, without doing anything.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {localClockTime} from '../../core/clearance/format.js';
import {isVerdictAction} from '../../core/clearance/verdict.js';
import {decisionRecord} from '../../core/decisions/decision-record.js';
import {describeDecision, isScopeKind, NO_PROVENANCE, type Decision} from '../../core/decisions/decision.js';
import {DecisionIndex} from '../../core/decisions/matcher.js';
import {isHostName, parsePattern} from '../../core/decisions/target-pattern.js';
import {decisionPaths} from '../decisions/decision-paths.js';
import {listGrants} from '../decisions/grant-store.js';
import {newDecisionId} from '../decisions/lasting-decisions.js';
import {addRule, readRules, removeRule} from '../decisions/rules-store.js';
import {EXIT} from '../exit-codes.js';
import {parseCommandArgs, usageError, type Parsed} from './args.js';

export const summary = 'list, add, remove the lasting rules (rules.yaml), or check what a block would get';

const HELP = `
usage: terok-clearance rules list [--json]
       terok-clearance rules add allow|deny TARGET [--port N] [--container C | --project P] [--note TEXT]
       terok-clearance rules remove RULE_ID
       terok-clearance rules check CONTAINER DEST [--port N] [--domain NAME] [--project P]

Rules answer blocks without a prompt. They live in $XDG_CONFIG_HOME/terok-clearance/rules.yaml (see the README for
its schema), which every hub reloads when it changes; these commands edit it in place, comments kept.
  list     every rule with its id, where it is written (file:line) and where it came from (provenance)
  add      appends a rule: TARGET is a host, an IP or *.domain; scope this container (--container, a 12-hex id),
           this terok project (--project) or, with neither, every container (--scope container|project|all may
           say which, and must agree)
  remove   removes the rule RULE_ID (as list shows it)
  check    what a block of CONTAINER to DEST would get now, and why: the rule or grant that answers it (and the
           others that cover it), or "prompt"; DEST is an IP or a name, --domain the name the shield saw for an IP,
           --project the container's terok project. Nothing is done.
  --json   list: one JSON line per rule (the Decision record)

exit codes: 0 done, 1 the rules file is broken (each problem with its line and reason), 2 usage error, 4 no such rule
`;

const OPTIONS = {
  json: {type: 'boolean'}, port: {type: 'string'}, container: {type: 'string'}, project: {type: 'string'},
  scope: {type: 'string'}, note: {type: 'string'}, domain: {type: 'string'},
} as const;

type Values = Parsed<typeof OPTIONS>['values'];

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('rules', HELP, OPTIONS, args);
  if (typeof parsed === 'number') return parsed;
  const [verb, ...rest] = parsed.positionals;
  const v = parsed.values;
  const file = decisionPaths().rulesFile;
  switch (verb) {
    case 'list': return rest.length === 0 ? list(file, v.json === true) : bad(`unexpected '${rest[0]}'`);
    case 'add': return rest.length === 2 ? add(file, rest[0]!, rest[1]!, v) : bad('add needs allow|deny and a TARGET');
    case 'remove': return rest.length === 1 ? remove(file, rest[0]!) : bad('remove needs one RULE_ID');
    case 'check': return rest.length === 2 ? check(file, rest[0]!, rest[1]!, v) : bad('check needs CONTAINER and DEST');
    default: return bad(verb === undefined ? 'list, add, remove or check?' : `unknown '${verb}'`);
  }
}

const bad = (message: string) => usageError('rules', escapeTerminal(message), HELP);
const out = (line: string) => process.stdout.write(escapeTerminal(line) + '\n');
const err = (line: string) => process.stderr.write(escapeTerminal(line) + '\n');

/** The rules, or the file's problems reported (exit 1). */
async function rulesOf(file: string): Promise<Decision[] | number> {
  const parsed = await readRules(file);
  if (parsed.ok) return parsed.rules;
  err(`${file} is broken (the hubs keep its last good rules until it is fixed):`);
  for (const p of parsed.problems) err(p.line ? `  line ${p.line}: ${p.reason}` : `  ${p.reason}`);
  return EXIT.FAILED;
}

async function list(file: string, json: boolean): Promise<number> {
  const rules = await rulesOf(file);
  if (typeof rules === 'number') return rules;
  for (const rule of rules) {
    if (json) {
      process.stdout.write(JSON.stringify(decisionRecord(rule)) + '\n');
      continue;
    }
    const p = rule.provenance;
    const from = [p.created !== null ? new Date(p.created).toISOString() : '', p.ui, p.uid >= 0 ? `uid ${p.uid}` : '',
      p.requestId ? `request ${p.requestId}` : ''].filter(Boolean).join(', ');
    out(`${rule.id}  ${describeDecision(rule, localClockTime)}${from ? `  from ${from}` : '  written by hand'}${rule.note ? `  # ${rule.note}` : ''}`);
  }
  if (!json && rules.length === 0) out(`No rules (${file}).`);
  return EXIT.OK;
}

async function add(file: string, action: string, target: string, v: Values): Promise<number> {
  if (!isVerdictAction(action)) return bad(`"${action}" is neither allow nor deny`);
  const pattern = parsePattern(target);
  if ('error' in pattern) return bad(pattern.error);
  const port = v.port === undefined ? 0 : portOf(v.port);
  if (port === null) return bad(`--port ${v.port}: not 1-65535`);
  const container = v.container ?? '';
  const project = v.project ?? '';
  if (container && project) return bad('--container or --project, not both');
  if (v.scope !== undefined) {
    if (!isScopeKind(v.scope)) return bad(`--scope ${v.scope}: container, project or all`);
    const implied = container ? 'container' : project ? 'project' : 'all';
    if (v.scope !== implied) return bad(`--scope ${v.scope} needs ${v.scope === 'all' ? 'neither --container nor --project' : `--${v.scope}`}`);
  }
  const rule: Decision = {
    id: newDecisionId('rule'), kind: 'rule', action, pattern: pattern.pattern, port, container, project, expires: null,
    untilExit: '', source: 'rules', note: v.note ?? '',
    provenance: {...NO_PROVENANCE, created: Date.now(), ui: 'cli', uid: process.getuid?.() ?? -1},
  };
  try {
    await addRule(file, rule);
  } catch (e) {
    err(`terok-clearance rules: not added: ${(e as Error).message}`);
    return EXIT.FAILED;
  }
  const added = await readRules(file);
  const kept = added.ok ? added.rules.find((r) => r.id === rule.id) ?? rule : rule;
  out(`Added: ${describeDecision(kept, localClockTime)}`);
  return EXIT.OK;
}

async function remove(file: string, id: string): Promise<number> {
  let removed;
  try {
    removed = await removeRule(file, id);
  } catch {
    const broken = await rulesOf(file);
    return typeof broken === 'number' ? broken : EXIT.FAILED;
  }
  if (!removed) {
    err(`terok-clearance rules: no rule ${id} in ${file} (terok-clearance rules list shows the ids)`);
    return EXIT.UNKNOWN_REQUEST;
  }
  out(`Removed: ${describeDecision(removed, localClockTime)}`);
  return EXIT.OK;
}

async function check(file: string, container: string, dest: string, v: Values): Promise<number> {
  const port = v.port === undefined ? 0 : portOf(v.port);
  if (port === null) return bad(`--port ${v.port}: not 1-65535`);
  const rules = await rulesOf(file);
  if (typeof rules === 'number') return rules;
  const {grants, problems} = await listGrants(decisionPaths().grantsDir);
  for (const p of problems) err(`grant store: ${p} (it grants nothing)`);
  const domain = v.domain ?? (isHostName(dest) ? dest : '');
  const match = new DecisionIndex([...rules, ...grants]).match(
    {container, project: v.project ?? '', dest, domain, port}, Date.now());
  const what = `${domain && domain !== dest ? `${domain} (${dest})` : dest}${port ? `:${port}` : ''} from ${container}`;
  if (!match) {
    out(`${what}: prompt (no rule or grant covers it)`);
    return EXIT.OK;
  }
  out(`${what}: ${match.decision.action} at once, by ${describeDecision(match.decision, localClockTime)}`);
  for (const other of match.candidates.slice(1)) out(`  also covered by (less specific): ${describeDecision(other, localClockTime)}`);
  return EXIT.OK;
}

function portOf(text: string): number | null {
  const n = Number(text);
  return /^\d{1,5}$/.test(text) && n >= 1 && n <= 65535 ? n : null;
}
