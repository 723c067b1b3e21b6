import {expect, test} from '@jest/globals';
import {applyToBlock, type ShieldApplier, type VerdictAction} from '../../../core/clearance/verdict.js';

/** Answers each target as `answers` says (ok when absent) and records the calls. */
function shield(answers: Record<string, string> = {}): ShieldApplier & {calls: string[]} {
  const calls: string[] = [];
  return {calls, apply: async (_c: string, dest: string, action: VerdictAction) => {
    calls.push(`${action} ${dest}`);
    return dest in answers ? {ok: false, stderr: answers[dest]!} : {ok: true, stderr: ''};
  }};
}

test('the blocked address first, then the domain', async () => {
  const s = shield();
  expect(await applyToBlock(s, 'c', {dest: '198.51.100.1', domain: 'cdn.example.net'}, 'allow')).toEqual({ok: true, stderr: ''});
  expect(s.calls).toEqual(['allow 198.51.100.1', 'allow cdn.example.net']);
});

test('without a domain, or with the address as its domain, one call', async () => {
  for (const domain of ['', '198.51.100.1']) {
    const s = shield();
    await applyToBlock(s, 'c', {dest: '198.51.100.1', domain}, 'deny');
    expect(s.calls).toEqual(['deny 198.51.100.1']);
  }
});

test('a domain the shield cannot resolve still lets the blocked address through, and says so', async () => {
  const s = shield({'cdn.example.net': 'Error: No IPs allowed for c'});
  expect(await applyToBlock(s, 'c', {dest: '198.51.100.1', domain: 'cdn.example.net'}, 'allow')).toEqual({ok: true,
    stderr: '198.51.100.1 allowed; cdn.example.net: Error: No IPs allowed for c'});
});

test('a failure on the address is the verdict\'s failure, and the domain is not tried', async () => {
  const s = shield({'198.51.100.1': 'nft: busy'});
  expect(await applyToBlock(s, 'c', {dest: '198.51.100.1', domain: 'cdn.example.net'}, 'allow'))
    .toEqual({ok: false, stderr: 'nft: busy'});
  expect(s.calls).toEqual(['allow 198.51.100.1']);
});
