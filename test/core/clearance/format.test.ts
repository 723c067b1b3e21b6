import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {makeEvent} from '../../../core/clearance/event.js';
import {
  alertBody, alertTitle, clockTime, hostPort, lifecycleText, localClockTime, promptBody, promptStatus, promptTitle,
  repeatText, resultText,
} from '../../../core/clearance/format.js';
import {PromptModel} from '../../../core/clearance/prompts.js';

const T = Date.UTC(2026, 10, 23, 8, 5, 9); // 08:05:09 UTC
const utc = (ms: number) => clockTime(ms);

describe('clock', () => {
  test('HH:MM:SS at a fixed offset', () => {
    expect(clockTime(T)).toBe('08:05:09');
    expect(clockTime(T, 60)).toBe('09:05:09');
    expect(clockTime(T, -9 * 60)).toBe('23:05:09');
    expect(clockTime(T, 330)).toBe('13:35:09');
    expect(clockTime(T + 999)).toBe('08:05:09');
    expect(clockTime(0)).toBe('00:00:00');
    expect(clockTime(-1000)).toBe('23:59:59');
    expect(clockTime(NaN)).toBe('--:--:--');
    expect(clockTime(Infinity)).toBe('--:--:--');
  });

  test('local time agrees with Date in this process\'s zone', () => {
    const d = new Date(T);
    const expected = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    expect(localClockTime(T)).toBe(expected);
    expect(localClockTime(NaN)).toBe('--:--:--');
  });

  test('property: always HH:MM:SS in range', () => {
    fc.assert(fc.property(fc.integer({min: -1e13, max: 1e13}), fc.integer({min: -14 * 60, max: 14 * 60}), (ms, off) => {
      expect(clockTime(ms, off)).toMatch(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/);
    }));
  });
});

describe('prompt text', () => {
  const model = new PromptModel();
  const base = makeEvent({type: 'connection_blocked', container: 'abc123def456', request_id: 'abc123def456:1',
    dest: '198.51.100.1', port: 443, proto: 6, domain: 'registry.example.net',
    dossier: {project: 'warp', task: 't42', name: 'build'}});
  model.apply(base, T);

  test('title: Blocked: {target}:{port}', () => {
    expect(promptTitle(model.prompts()[0]!)).toBe('Blocked: registry.example.net:443');
    expect(promptTitle({domain: '', dest: '198.51.100.1', port: 53})).toBe('Blocked: 198.51.100.1:53');
    expect(promptTitle({domain: '', dest: '2001:db8::1', port: 443})).toBe('Blocked: [2001:db8::1]:443');
    expect(promptTitle({domain: '', dest: '198.51.100.1', port: 0})).toBe('Blocked: 198.51.100.1');
  });

  test('hostPort', () => {
    expect(hostPort('a.example', 80)).toBe('a.example:80');
    expect(hostPort('::1', 80)).toBe('[::1]:80');
    expect(hostPort('::1', 0)).toBe('::1');
  });

  test('body: identity, protocol, the IP beside a domain; the repeat line from the second block on', () => {
    expect(promptBody(model.prompts()[0]!, utc)).toEqual(['warp/t42 · build', 'Protocol: TCP', 'IP: 198.51.100.1']);
    model.apply({...base, request_id: 'abc123def456:2'}, T + 60_000);
    model.apply({...base, request_id: 'abc123def456:3'}, T + 120_000);
    expect(promptBody(model.prompts()[0]!, utc)).toEqual(['warp/t42 · build', 'Protocol: TCP', 'IP: 198.51.100.1',
      'Blocked 3 times since 08:05:09']);
    expect(promptBody({identity: 'c', domain: '', dest: '192.0.2.1', proto: 17, count: 1, firstSeen: 0}))
      .toEqual(['c', 'Protocol: UDP']);
    expect(promptBody({identity: 'c', domain: '', dest: '192.0.2.1', proto: 1, count: 1, firstSeen: 0}))
      .toEqual(['c', 'Protocol: 1']);
  });

  test('repeat text defaults to local time', () => {
    expect(repeatText(2, T)).toBe(`Blocked 2 times since ${localClockTime(T)}`);
    expect(repeatText(2, T, utc)).toBe('Blocked 2 times since 08:05:09');
  });
});

describe('results and status', () => {
  const target = 'registry.example.net';
  test.each([
    [{action: 'allow', ok: true, target, stderr: ''}, 'Allowed: registry.example.net'],
    [{action: 'deny', ok: true, target, stderr: ''}, 'Denied: registry.example.net'],
    [{action: 'allow', ok: false, target, stderr: 'nft: busy'}, 'Allow failed: registry.example.net: nft: busy'],
    [{action: 'deny', ok: false, target, stderr: ''}, 'Deny failed: registry.example.net'],
    [{action: 'allow', ok: false, target, stderr: '  line one\n  line two\n'},
      'Allow failed: registry.example.net: line one line two'],
  ] as const)('%j', (result, text) => {
    expect(resultText(result)).toBe(text);
  });

  test('status: in flight, already answered, failed, or nothing', () => {
    const failure = {action: 'allow', ok: false, target, stderr: 'x'} as const;
    expect(promptStatus({inFlight: 'allow', notice: null, failure: null})).toBe('Allowing...');
    expect(promptStatus({inFlight: 'deny', notice: 'already-answered', failure: null})).toBe('Denying...');
    expect(promptStatus({inFlight: null, notice: 'already-answered', failure: null})).toBe('Already answered');
    expect(promptStatus({inFlight: null, notice: null, failure})).toBe(
      'Allow failed: registry.example.net: x');
    expect(promptStatus({inFlight: null, notice: null, failure: null})).toBe('');
  });
});

test('alerts', () => {
  expect(alertTitle({kind: 'shield_down', identity: 'warp/t42 · build'})).toBe('Shield down: warp/t42 · build');
  expect(alertTitle({kind: 'shield_disengaged', identity: 'web-1'})).toBe('Shield disengaged: web-1');
  expect(alertBody({kind: 'shield_down'})).toMatch(/bypassed/);
  expect(alertBody({kind: 'shield_disengaged'})).toMatch(/fully disabled/);
});

test('lifecycle lines: started, exited with its reason folded to one line, nothing for other events', () => {
  expect(lifecycleText({type: 'container_started', reason: ''}, 'warp/t1 · web')).toBe('Container started: warp/t1 · web');
  expect(lifecycleText({type: 'container_exited', reason: 'exit\n 137 '}, 'c1')).toBe('Container exited: c1 (exit 137)');
  expect(lifecycleText({type: 'container_exited', reason: ''}, 'c1')).toBe('Container exited: c1');
  expect(lifecycleText({type: 'shield_up', reason: ''}, 'c1')).toBe('');
});
