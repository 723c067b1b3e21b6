// The lasting answers a shell prompt offers and the sentences that say what they cover; and how the indicator words
// grants, log entries and failing revocations.
import {describe, expect, test} from '@jest/globals';
import type {DecisionLogEntry} from '../../../core/decisions/decision-log.js';
import type {Decision} from '../../../core/decisions/decision.js';
import {confirmationReason} from '../../../core/decisions/decision.js';
import {grantDetails, grantTitle, logEntryLines, revokeFailureLines} from '../../../core/decisions/decision-text.js';
import {
  DEFAULT_PICK, fitPick, lastingButtonLabel, lastingOffer, pickChoice, pickSummary,
} from '../../../core/decisions/lasting-offer.js';

const C = 'abc123def456';
const PROMPT = {target: 'registry.example.net', domain: 'registry.example.net', project: 'warp'};
const identity = (c: string) => (c === C ? 'warp/t42 · build' : c);

describe('the offer', () => {
  test('durations but "once", the scopes, this target or its whole domain', () => {
    const offer = lastingOffer(PROMPT);
    expect(offer.lastings.map((o) => [o.value, o.label])).toEqual([['15m', '15 min'], ['1h', '1 h'], ['8h', '8 h'],
      ['until-exit', 'until exit'], ['always', 'always']]);
    expect(offer.scopes.map((o) => o.value)).toEqual(['container', 'project', 'all']);
    expect(offer.patterns).toEqual([{value: '', label: 'registry.example.net'}, {value: '*.example.net', label: '*.example.net'}]);
  });

  test('no project scope without a project, no whole domain for an address', () => {
    const offer = lastingOffer({target: '203.0.113.9', domain: '', project: ''});
    expect(offer.scopes.map((o) => o.value)).toEqual(['container', 'all']);
    expect(offer.patterns).toEqual([{value: '', label: '203.0.113.9'}]);
  });

  test('a pick the prompt no longer offers falls back to the defaults, part by part', () => {
    const offer = lastingOffer({target: '203.0.113.9', domain: '', project: ''});
    expect(fitPick({lasting: '8h', scope: 'project', pattern: '*.example.net'}, offer))
      .toEqual({lasting: '8h', scope: DEFAULT_PICK.scope, pattern: DEFAULT_PICK.pattern});
  });

  test('the choice sent, the button and the sentence shown before it is applied', () => {
    expect(pickChoice('allow', DEFAULT_PICK)).toEqual({action: 'allow', lasting: {kind: 'for', ms: 3_600_000},
      scope: 'container', pattern: ''});
    expect(lastingButtonLabel('allow', '1h')).toBe('Allow 1 h');
    expect(lastingButtonLabel('deny', 'until-exit')).toBe('Deny until exit');
    expect(pickSummary(DEFAULT_PICK, PROMPT, 'warp/t42 · build'))
      .toBe('Answers registry.example.net for this container (warp/t42 · build), for 1 hour.');
    expect(pickSummary({lasting: 'always', scope: 'project', pattern: '*.example.net'}, PROMPT, 'x'))
      .toBe('Answers example.net and every name under it for every container of project warp, always (a rule in the rules file).');
    expect(pickSummary({lasting: 'until-exit', scope: 'all', pattern: ''}, PROMPT, 'x'))
      .toBe('Answers registry.example.net for every container, until the container exits.');
  });

  test('a whole domain or always-for-all needs the confirmation; the default pick does not', () => {
    expect(confirmationReason(pickChoice('allow', DEFAULT_PICK))).toBeNull();
    expect(confirmationReason(pickChoice('allow', {...DEFAULT_PICK, pattern: '*.example.net'}))).not.toBeNull();
    expect(confirmationReason(pickChoice('allow', {...DEFAULT_PICK, lasting: 'always', scope: 'all'}))).not.toBeNull();
  });
});

const GRANT: Decision = {
  id: 'g1', kind: 'grant', action: 'allow', pattern: {kind: 'exact', target: 'registry.example.net'}, port: 0,
  container: C, project: '', expires: 10 * 60_000, untilExit: '', source: 'grant',
  provenance: {created: 0, requestId: `${C}:1`, ui: 'shell', uid: 1000}, note: '',
};

describe('the indicator\'s words', () => {
  test('a grant: what, for whom, the time left', () => {
    expect(grantTitle(GRANT)).toBe('Allow registry.example.net');
    expect(grantTitle({...GRANT, action: 'deny', pattern: {kind: 'domain', suffix: 'example.net'}, port: 443}))
      .toBe('Deny *.example.net:443');
    expect(grantDetails(GRANT, 60_000, identity)).toBe('warp/t42 · build · 9 min left');
    expect(grantDetails({...GRANT, container: '', project: 'warp', expires: null, untilExit: C}, 0, identity))
      .toBe('project warp · until warp/t42 · build exits');
  });

  test('a log entry says who decided', () => {
    const entry: DecisionLogEntry = {at: '2026-12-05T10:00:05.000Z', hub: 'session', by: 'rule', decision: 'h1a2',
      lasting: 'always', container: C, identity: '', request_id: `${C}:3`, target: 'registry.example.net', port: 443,
      action: 'allow', ok: true, stderr: '', ui: '', uid: -1};
    expect(logEntryLines(entry, identity)).toEqual(['Allowed: registry.example.net · 10:00:05',
      'by rule h1a2 · warp/t42 · build']);
    expect(logEntryLines({...entry, by: 'expiry', action: 'deny', ok: false, stderr: 'no\nshield'}, identity))
      .toEqual(['Deny failed: registry.example.net: no shield · 10:00:05', 'by expiry of h1a2 · warp/t42 · build']);
  });

  test('a failing revocation: what, how often, when next', () => {
    expect(revokeFailureLines({container: C, target: 'registry.example.net', stderr: 'refused\n', attempts: 3,
      nextRetry: '2026-12-05T10:00:08.000Z'}, identity)).toEqual([
      'Revoking registry.example.net for warp/t42 · build failed (3 tries)', 'refused · next try at 10:00:08']);
  });
});
