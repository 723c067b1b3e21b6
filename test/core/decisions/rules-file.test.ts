import {expect, test} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {decisionRecord} from '../../../core/decisions/decision-record.js';
import {
  addRuleToText, contentId, parseRules, problemsText, removeRuleFromText,
} from '../../../core/decisions/rules-file.js';
import {patternText} from '../../../core/decisions/target-pattern.js';

const GOOD = `# our rules
rules:
  # npm for the warp agents
  - allow: registry.pkgs.example
    port: 443
    project: warp
  - deny: "*.tracking.example"
    note: never
  - allow: 198.51.100.7
    container: a1b2c3d4e5f6
    id: cache
    created: 2026-12-05T16:00:00Z
    request: a1b2c3d4e5f6:3
    ui: gnome-shell
    uid: 1000
`;

test('a good file gives its rules with their lines and provenance', () => {
  const parsed = parseRules(GOOD);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  expect(parsed.rules.map((r) => [r.action, decisionRecord(r).target, r.source])).toEqual([
    ['allow', 'registry.pkgs.example', 'rules.yaml:4'],
    ['deny', '*.tracking.example', 'rules.yaml:7'],
    ['allow', '198.51.100.7', 'rules.yaml:9'],
  ]);
  expect(parsed.rules[0]).toMatchObject({port: 443, project: 'warp', kind: 'rule', id: contentId(parsed.rules[0]!)});
  expect(parsed.rules[2]).toMatchObject({id: 'cache', container: 'a1b2c3d4e5f6',
    provenance: {created: Date.parse('2026-12-05T16:00:00Z'), requestId: 'a1b2c3d4e5f6:3', ui: 'gnome-shell', uid: 1000}});
  expect(parsed.rules[1]!.note).toBe('never');
});

test('empty files have no rules', () => {
  for (const text of ['', '# nothing\n', 'rules:\n', 'rules: []\n']) expect(parseRules(text)).toEqual({ok: true, rules: []});
});

test('content ids are stable when other rules change', () => {
  const a = parseRules(GOOD);
  const b = parseRules(GOOD.replace('note: never', 'note: changed'));
  if (!a.ok || !b.ok) throw new Error('parse');
  expect(b.rules[0]!.id).toBe(a.rules[0]!.id);
});

// A problem with one key is on that key's line; one with the rule as a whole, on the rule's first line.
test.each([
  ['rules:\n  - allow: [x\n', 3, /./],
  ['rules:\n  - allow: x.org\n    prot: 443\n', 3, /unknown key "prot"/],
  ['rules:\n  - allow: x.org\n    deny: y.org\n', 2, /exactly one/],
  ['rules:\n  - allow: "*.org"\n', 2, /top-level domain/],
  ['rules:\n  - allow: x.org\n    port: 99999\n', 3, /port/],
  ['rules:\n  - allow: x.org\n    container: abc\n', 3, /12-hex/],
  ['rules:\n  - allow: x.org\n    container: a1b2c3d4e5f6\n    project: p\n', 2, /not both/],
  ['rules:\n  - allow: x.org\n    note: "bad\\u001b[31m"\n', 3, /printable/],
  ['rules:\n  - allow: x.org\n    id: a\n  - deny: y.org\n    id: a\n', 4, /used twice/],
  ['rule:\n  - allow: x.org\n', 1, /unknown top-level key/],
  ['- allow: x.org\n', 1, /mapping/],
  ['rules:\n  - x.org\n', 2, /a rule must be a mapping/],
  ['rules:\n  - allow: x.org\n  - allow: x.org\n    allow: y.org\n', 4, /./],
  ['rules:\n  - allow: x.org\n    created: yesterday\n', 3, /date/],
])('a broken file yields no rules, only its problems with lines: %j', (text, line, reason) => {
  const parsed = parseRules(text);
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.problems[0]!.line).toBe(line);
  expect(parsed.problems[0]!.reason).toMatch(reason);
});

test('a rule added from a prompt keeps the comments; removing it gives the file back', () => {
  const parsed = parseRules(GOOD);
  if (!parsed.ok) throw new Error('parse');
  const rule = {...parsed.rules[2]!, id: 'r-new', note: ''};
  const added = addRuleToText(GOOD.replace(/ {2}- allow: 198[\s\S]*$/, ''), rule);
  if ('error' in added) throw new Error(added.error);
  expect(added.text).toContain('# npm for the warp agents');
  expect(added.text).toContain('id: r-new');
  const reparsed = parseRules(added.text);
  expect(reparsed.ok && reparsed.rules.map((r) => r.id).at(-1)).toBe('r-new');
  const removed = removeRuleFromText(added.text, 'r-new');
  if (!removed || 'error' in removed) throw new Error('not removed');
  expect(removed.removed.id).toBe('r-new');
  expect(parseRules(removed.text).ok && (parseRules(removed.text) as {rules: unknown[]}).rules).toHaveLength(2);
  expect(addRuleToText('', rule)).toMatchObject({text: expect.stringContaining('allow: 198.51.100.7')});
  expect(addRuleToText('rules:\n  - allow: [\n', rule)).toMatchObject({error: expect.stringMatching(/line/)});
  expect(removeRuleFromText(GOOD, 'nope')).toBeNull();
});

test("the README's example rules file parses into the rules it describes", () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  const parsed = parseRules(example ?? '');
  if (!parsed.ok) throw new Error(problemsText(parsed.problems));
  expect(parsed.rules.map((r) => [r.action, patternText(r.pattern), r.port, r.project, r.container])).toEqual([
    ['allow', 'registry.pkgs.example', 443, 'warp', ''], ['deny', '*.tracker.example', 0, '', ''],
    ['allow', '203.0.113.10', 0, '', 'abc123def456']]);
  expect(parsed.rules[2]!.provenance).toMatchObject({requestId: 'abc123def456:7', ui: 'gnome-shell', uid: 1000});
});
