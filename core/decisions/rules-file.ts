// The rules file ($XDG_CONFIG_HOME/terok-clearance/rules.yaml): written by hand or by a prompt's "Always", read by
// every hub. Strict: a file with any error yields no rules at all and the errors with their lines, so a typo never
// half-applies (the hub keeps the last good rules). Edits go through the YAML document, so comments and the
// operator's layout survive a rule added from a prompt.
//
//   rules:
//     - allow: registry.pkgs.example   # or deny:; a host, an IP, or *.domain (the domain and every name under it)
//       port: 443                   # optional: only blocks on this port
//       project: warp               # optional scope: a terok project, or container: <12-hex id>; neither = all
//       note: npm for the warp agents
import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLMap} from 'yaml';
import type {VerdictAction} from '../clearance/verdict.js';
import {type Decision, type DecisionDraft, type Provenance} from './decision.js';
import {parsePattern, patternText} from './target-pattern.js';

export interface RulesProblem {
  /** 1-based; 0 when the problem has no place in the text. */
  readonly line: number;
  readonly reason: string;
}

export type RulesParse = {ok: true; rules: Decision[]} | {ok: false; problems: RulesProblem[]};

const KEYS = new Set(['allow', 'deny', 'port', 'container', 'project', 'note', 'id', 'created', 'request', 'ui', 'uid']);
const CONTAINER_ID = /^[0-9a-f]{12}$/;
const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const TEXT_FIELD = /^[\x20-\x7e]{0,256}$/;

/** The rules in `text` (the file named `file` in sources such as "rules.yaml:12"), or every problem found. */
export function parseRules(text: string, file = 'rules.yaml'): RulesParse {
  const lines = new LineCounter();
  const doc = parseDocument(text, {lineCounter: lines, uniqueKeys: true, prettyErrors: false});
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lines.linePos(offset).line);
  const problems: RulesProblem[] = doc.errors.map((e) => ({line: lineOf(e.pos[0]), reason: e.message.split('\n')[0]!}));
  if (problems.length > 0) return {ok: false, problems};
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return {ok: true, rules: []};
  if (!isMap(root)) return {ok: false, problems: [{line: lineOf(root.range?.[0]), reason: 'the file must be a mapping with a "rules" list'}]};
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (key !== 'rules') problems.push({line: lineOf(isScalar(pair.key) ? pair.key.range?.[0] : undefined), reason: `unknown top-level key "${String(key)}" (only "rules")`});
  }
  const list = root.get('rules', true);
  const rules: Decision[] = [];
  if (list !== undefined && !(isScalar(list) && list.value === null)) {
    if (!isSeq(list)) {
      problems.push({line: lineOf((list as {range?: [number]}).range?.[0]), reason: '"rules" must be a list'});
    } else {
      const ids = new Map<string, number>();
      for (const item of list.items) {
        const line = lineOf((item as {range?: [number]}).range?.[0]);
        const rule = isMap(item) ? ruleOf(item, line, lineOf, file, problems) : null;
        if (!isMap(item)) problems.push({line, reason: 'a rule must be a mapping such as "- allow: example.org"'});
        if (!rule) continue;
        const seen = ids.get(rule.id);
        if (seen !== undefined) {
          problems.push({line, reason: `rule id "${rule.id}" is used twice (also line ${seen})`});
          continue;
        }
        ids.set(rule.id, line);
        rules.push(rule);
      }
    }
  }
  return problems.length > 0 ? {ok: false, problems} : {ok: true, rules};
}

function ruleOf(map: YAMLMap, line: number, lineOf: (offset: number | undefined) => number, file: string,
  problems: RulesProblem[]): Decision | null {
  const before = problems.length;
  // A problem with one key is reported on that key's line; one with the rule as a whole, on the rule's first.
  const keyLines = new Map<string, number>();
  const bad = (reason: string, key?: string) => problems.push({line: (key && keyLines.get(key)) || line, reason});
  const fields = new Map<string, unknown>();
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    const keyLine = lineOf(isScalar(pair.key) ? pair.key.range?.[0] : undefined) || line;
    if (typeof key !== 'string' || !KEYS.has(key)) {
      problems.push({line: keyLine, reason: `unknown key "${String(key)}" (allowed: ${[...KEYS].join(', ')})`});
      continue;
    }
    keyLines.set(key, keyLine);
    fields.set(key, isScalar(pair.value) ? pair.value.value : pair.value === null ? null : '(a collection)');
  }
  const actions = (['allow', 'deny'] as const).filter((a) => fields.has(a));
  if (actions.length !== 1) {
    bad('a rule needs exactly one of "allow: TARGET" or "deny: TARGET"');
    return null;
  }
  const action: VerdictAction = actions[0]!;
  const target = fields.get(action);
  const parsed = typeof target === 'string' ? parsePattern(target) : {error: `"${action}" needs a target`};
  if ('error' in parsed) bad(parsed.error, action);
  const port = fields.get('port') ?? 0;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) bad(`port ${String(port)} is not 1-65535`, 'port');
  const container = text(fields.get('container'));
  if (container !== '' && !CONTAINER_ID.test(container)) bad(`container "${container}" is not a 12-hex container id`, 'container');
  const project = text(fields.get('project'));
  if (container !== '' && project !== '') bad('a rule has a container or a project scope, not both');
  for (const key of ['note', 'project', 'request', 'ui', 'created'] as const) {
    const v = fields.get(key);
    if (v !== undefined && (typeof v !== 'string' || !TEXT_FIELD.test(v))) bad(`${key} must be printable text of at most 256 characters`, key);
  }
  const id = text(fields.get('id'));
  if (fields.has('id') && !RULE_ID.test(id)) bad(`id "${id}" may hold only letters, digits and _.:- (at most 64)`, 'id');
  const created = fields.has('created') ? Date.parse(text(fields.get('created'))) : null;
  if (created !== null && Number.isNaN(created)) bad(`created "${text(fields.get('created'))}" is not a date and time`, 'created');
  const uid = fields.get('uid') ?? -1;
  if (!Number.isInteger(uid) || (uid as number) < -1) bad(`uid ${String(uid)} is not a user id`, 'uid');
  if (problems.length > before || 'error' in parsed) return null;
  const draft: DecisionDraft = {
    kind: 'rule', action, pattern: parsed.pattern, port: port as number, container, project, expires: null, untilExit: '',
  };
  const provenance: Provenance = {
    created, requestId: text(fields.get('request')), ui: text(fields.get('ui')), uid: uid as number,
  };
  return {...draft, id: id || contentId(draft), source: `${file}:${line}`, provenance, note: text(fields.get('note'))};
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A stable id for a rule written without one: a hash of what it does (FNV-1a), so it survives edits elsewhere. */
export function contentId(d: Pick<Decision, 'action' | 'pattern' | 'port' | 'container' | 'project'>): string {
  const key = [d.action, patternText(d.pattern), d.port, d.container, d.project].join('\u0000');
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `h${h.toString(16).padStart(8, '0')}`;
}

/** The YAML mapping a rule is written as, keys in reading order, empty ones left out. */
export function ruleEntry(rule: Decision): Record<string, string | number> {
  const entry: Record<string, string | number> = {[rule.action]: patternText(rule.pattern)};
  if (rule.port) entry.port = rule.port;
  if (rule.container) entry.container = rule.container;
  if (rule.project) entry.project = rule.project;
  if (rule.note) entry.note = rule.note;
  entry.id = rule.id;
  const p = rule.provenance;
  if (p.created !== null) entry.created = new Date(p.created).toISOString();
  if (p.requestId) entry.request = p.requestId;
  if (p.ui) entry.ui = p.ui;
  if (p.uid >= 0) entry.uid = p.uid;
  return entry;
}

/** `text` with `rule` appended to its list, or why it cannot be edited (it has errors: the operator fixes it first). */
export function addRuleToText(text: string, rule: Decision): {text: string} | {error: string} {
  const doc = editable(text);
  if ('error' in doc) return doc;
  const list = doc.doc.get('rules', true);
  if (isSeq(list)) list.add(doc.doc.createNode(ruleEntry(rule)));
  else doc.doc.set('rules', doc.doc.createNode([ruleEntry(rule)]));
  return {text: doc.doc.toString()};
}

/** `text` without the rule `id` (explicit or content id); null when it has no such rule; or why it cannot be edited. */
export function removeRuleFromText(text: string, id: string): {text: string; removed: Decision} | {error: string} | null {
  const parsed = parseRules(text);
  if (!parsed.ok) return {error: problemsText(parsed.problems)};
  const index = parsed.rules.findIndex((r) => r.id === id);
  if (index === -1) return null;
  const doc = editable(text);
  if ('error' in doc) return doc;
  const list = doc.doc.get('rules', true);
  if (!isSeq(list)) return {error: 'no rules list'};
  list.delete(index);
  return {text: doc.doc.toString(), removed: parsed.rules[index]!};
}

function editable(text: string): {doc: Document} | {error: string} {
  const parsed = parseRules(text);
  if (!parsed.ok) return {error: problemsText(parsed.problems)};
  return {doc: parseDocument(text === '' ? '# terok-clearance rules: see terok-clearance rules --help\n' : text)};
}

export function problemsText(problems: readonly RulesProblem[]): string {
  return problems.map((p) => (p.line ? `line ${p.line}: ${p.reason}` : p.reason)).join('; ');
}

