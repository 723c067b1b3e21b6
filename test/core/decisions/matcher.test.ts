import {expect, test} from '@jest/globals';
import {NO_PROVENANCE, type Decision} from '../../../core/decisions/decision.js';
import {DecisionIndex, type BlockFacts} from '../../../core/decisions/matcher.js';
import {parsePattern} from '../../../core/decisions/target-pattern.js';

let n = 0;
function decision(target: string, d: Partial<Decision> = {}): Decision {
  const p = parsePattern(target);
  if ('error' in p) throw new Error(p.error);
  return {id: `d${++n}`, kind: 'rule', action: 'allow', pattern: p.pattern, port: 0, container: '', project: '',
    expires: null, untilExit: '', source: 'test', provenance: NO_PROVENANCE, note: '', ...d};
}
const block: BlockFacts = {container: 'a1b2c3d4e5f6', project: 'warp', dest: '198.51.100.7',
  domain: 'registry.pkgs.example', port: 443};

test('nothing matches: the operator is asked', () => {
  expect(new DecisionIndex([decision('other.org'), decision('*.example.com')]).match(block, 0)).toBeNull();
});

test('exact by name or IP, wildcard by suffix', () => {
  const byIp = decision('198.51.100.7');
  expect(new DecisionIndex([byIp]).match(block, 0)?.decision).toBe(byIp);
  const wild = decision('*.pkgs.example');
  expect(new DecisionIndex([wild]).match(block, 0)?.decision).toBe(wild);
});

test('the narrowest scope wins, then the exact target, then the longest domain, then the port, then deny', () => {
  const all = decision('registry.pkgs.example', {action: 'deny'});
  const project = decision('*.pkgs.example', {project: 'warp'});
  const container = decision('*.pkgs.example', {container: 'a1b2c3d4e5f6', action: 'deny'});
  expect(new DecisionIndex([all, project, container]).match(block, 0)?.decision).toBe(container);
  expect(new DecisionIndex([all, project]).match(block, 0)?.decision).toBe(project);
  const shortWild = decision('*.pkgs.example');
  const longWild = decision('*.registry.pkgs.example', {action: 'deny'});
  const exact = decision('registry.pkgs.example');
  expect(new DecisionIndex([shortWild, longWild]).match(block, 0)?.decision).toBe(longWild);
  expect(new DecisionIndex([longWild, exact]).match(block, 0)?.decision).toBe(exact);
  const anyPort = decision('registry.pkgs.example', {action: 'deny'});
  const port443 = decision('registry.pkgs.example', {port: 443});
  expect(new DecisionIndex([anyPort, port443]).match(block, 0)?.decision).toBe(port443);
  const allow = decision('registry.pkgs.example');
  const deny = decision('registry.pkgs.example', {action: 'deny'});
  expect(new DecisionIndex([deny, allow]).match(block, 0)?.decision).toBe(deny);
  expect(new DecisionIndex([allow, deny]).match(block, 0)?.candidates).toEqual([deny, allow]);
});

test('scope, port and time filter', () => {
  const other = decision('registry.pkgs.example', {container: '0123456789ab'});
  const otherProject = decision('registry.pkgs.example', {project: 'zed'});
  const port80 = decision('registry.pkgs.example', {port: 80});
  const expired = decision('registry.pkgs.example', {expires: 1000});
  const index = new DecisionIndex([other, otherProject, port80, expired]);
  expect(index.match(block, 999)?.decision).toBe(expired);
  expect(index.match(block, 1000)).toBeNull();
  expect(index.match({...block, project: ''}, 0)?.decision).toBe(expired);
});

test('10,000 rules: a lookup stays well under a millisecond', () => {
  const many = Array.from({length: 10_000}, (_, i) => decision(i % 2 ? `h${i}.example.com` : `*.d${i}.example.net`,
    {project: i % 3 ? 'warp' : ''}));
  const index = new DecisionIndex(many);
  const start = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) index.match({...block, domain: `x.h${i}.example.com`}, 0);
  // A generous bound (a loaded CI machine): the bench prints the real figure.
  expect(Number(process.hrtime.bigint() - start) / 1e6 / 1000).toBeLessThan(1);
});
