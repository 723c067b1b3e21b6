import {expect, test} from '@jest/globals';
import {makeEvent} from '../../../core/clearance/event.js';
import {
  confirmationReason, describeDecision, draftDecision, lastingText, parseLasting, type LastingChoice,
} from '../../../core/decisions/decision.js';
import {decisionFromRecord, decisionRecord} from '../../../core/decisions/decision-record.js';

const block = makeEvent({
  type: 'connection_blocked', container: 'a1b2c3d4e5f6', request_id: 'a1b2c3d4e5f6:3', dest: '198.51.100.7',
  port: 443, proto: 6, domain: 'registry.pkgs.example', dossier: {project: 'warp', task: 't42'},
});
const choice = (c: Partial<LastingChoice>): LastingChoice =>
  ({action: 'allow', lasting: {kind: 'once'}, scope: 'container', pattern: '', ...c});
const NOW = Date.parse('2026-12-05T16:00:00Z');

test('lasting choices parse and print', () => {
  expect(parseLasting('once')).toEqual({kind: 'once'});
  expect(parseLasting('until-exit')).toEqual({kind: 'until-exit'});
  expect(parseLasting('always')).toEqual({kind: 'always'});
  expect(parseLasting('1h')).toEqual({kind: 'for', ms: 3_600_000});
  expect(parseLasting('forever')).toBeNull();
  expect(lastingText({kind: 'for', ms: 900_000})).toBe('15m');
});

test('a once answer drafts nothing; lasting ones draft what they cover', () => {
  expect(draftDecision(block, choice({}), NOW)).toEqual({draft: null});
  const hour = draftDecision(block, choice({lasting: {kind: 'for', ms: 3_600_000}}), NOW);
  expect(hour).toEqual({draft: {
    kind: 'grant', action: 'allow', pattern: {kind: 'exact', target: 'registry.pkgs.example'}, port: 0,
    container: 'a1b2c3d4e5f6', project: '', expires: NOW + 3_600_000, untilExit: '',
  }});
  const exit = draftDecision(block, choice({lasting: {kind: 'until-exit'}, scope: 'project'}), NOW);
  expect(exit).toMatchObject({draft: {kind: 'grant', project: 'warp', container: '', untilExit: 'a1b2c3d4e5f6'}});
  const always = draftDecision(block, choice({action: 'deny', lasting: {kind: 'always'}, scope: 'all',
    pattern: '*.pkgs.example'}), NOW);
  expect(always).toMatchObject({draft: {kind: 'rule', action: 'deny', pattern: {kind: 'domain', suffix: 'pkgs.example'},
    container: '', project: '', expires: null}});
});

test('a draft cannot reach beyond the request', () => {
  const always = {lasting: {kind: 'always'} as const};
  expect(draftDecision(block, choice({...always, pattern: '*.example.com'}), NOW)).toMatchObject({parameter: 'pattern'});
  expect(draftDecision(block, choice({...always, pattern: 'other.pkgs.example'}), NOW)).toMatchObject({parameter: 'pattern'});
  expect(draftDecision(block, choice({...always, pattern: '*.org'}), NOW)).toMatchObject({parameter: 'pattern'});
  expect(draftDecision(block, choice({scope: 'all'}), NOW)).toMatchObject({parameter: 'lasting'});
  const noProject = makeEvent({...block, dossier: {}});
  expect(draftDecision(noProject, choice({...always, scope: 'project'}), NOW)).toMatchObject({parameter: 'scope'});
  // By IP when the reader knew no name.
  const byIp = makeEvent({...block, domain: ''});
  expect(draftDecision(byIp, choice(always), NOW)).toMatchObject({draft: {pattern: {kind: 'exact', target: '198.51.100.7'}}});
});

test('a whole domain, or always for every container, needs one confirmation', () => {
  expect(confirmationReason(choice({}))).toBeNull();
  expect(confirmationReason(choice({lasting: {kind: 'always'}}))).toBeNull();
  expect(confirmationReason(choice({lasting: {kind: 'for', ms: 1}, scope: 'all'}))).toBeNull();
  expect(confirmationReason(choice({lasting: {kind: 'always'}, scope: 'all'}))).toMatch(/every container/);
  expect(confirmationReason(choice({lasting: {kind: 'for', ms: 1}, pattern: '*.pkgs.example'})))
    .toBe('Allows pkgs.example and every name under it');
});

test('a decision survives its record, and a record that is not one is refused', () => {
  const r = draftDecision(block, choice({lasting: {kind: 'for', ms: 3_600_000}}), NOW);
  if (!('draft' in r) || !r.draft) throw new Error('no draft');
  const decision = {...r.draft, id: 'g1', source: 'grant', note: '',
    provenance: {created: NOW, requestId: block.request_id, ui: 'watch', uid: 1000}};
  const record = decisionRecord(decision);
  expect(record.expires).toBe('2026-12-05T17:00:00.000Z');
  expect(decisionFromRecord(JSON.parse(JSON.stringify(record)))).toEqual(decision);
  expect(decisionFromRecord({...record, extra: 1})).toBeNull();
  expect(decisionFromRecord({...record, action: 'maybe'})).toBeNull();
  expect(decisionFromRecord({...record, target: '*.org'})).toBeNull();
  expect(decisionFromRecord({...record, expires: 'soon'})).toBeNull();
  expect(decisionFromRecord({...record, port: 70000})).toBeNull();
  expect(describeDecision(decision, () => '17:00')).toBe(
    'allow registry.pkgs.example for container a1b2c3d4e5f6 until 17:00 (grant g1, grant)');
});
