// The bundled stand-in for terok-shield, run as a real process: every argument rule, the decision file, recording.
import {afterAll, describe, expect, test} from '@jest/globals';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {distModule} from '../support/peers.js';

const SHIELD = distModule('service/verdict/simulated-shield.ts');
const dir = mkdtempSync(join(tmpdir(), 'simulated-shield-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

let runs = 0;
function shield(args: string[], env: Record<string, string> = {}) {
  const state = join(dir, `state-${++runs}.list`);
  const r = spawnSync(process.execPath, [SHIELD, ...args], {
    encoding: 'utf8', timeout: 10_000, env: {...process.env, TEROK_SIMULATED_SHIELD_STATE: state, ...env},
  });
  return {code: r.status, stdout: r.stdout, stderr: r.stderr, state: existsSync(state) ? readFileSync(state, 'utf8') : null};
}

describe('accepted targets: exit 0, nothing printed, the decision recorded', () => {
  test.each([
    ['allow', 'abc123def456', '198.51.100.1'],
    ['deny', 'abc123def456', '2001:db8::1'],
    ['allow', 'abc123def456', '::ffff:198.51.100.1'],
    ['allow', 'abc123def456', '198.51.100.0/24'],
    ['allow', 'abc123def456', '0.0.0.0/0'],
    ['deny', 'abc123def456', '2001:db8::/32'],
    ['allow', 'abc123def456', 'registry.example.net'],
    ['allow', 'abc123def456', 'localhost'],
    ['allow', 'abc123def456', 'xn--bcher-kva.example'],
    ['allow', 'my-container_1.dev', 'example.com'],
    ['allow', '_podman_name', 'example.com'],
    ['allow', 'a'.repeat(64), 'example.com'],
  ])('%s %s %s', (action, container, target) => {
    const r = shield([action, container, target]);
    expect(r).toEqual({code: 0, stdout: '', stderr: '', state: `${action} ${container} ${target}\n`});
  });
});

describe('refused arguments: exit 2, a usage message naming the problem, nothing recorded', () => {
  test.each([
    ['no arguments', [], /expected 3 arguments, got 0/],
    ['too few', ['allow', 'abc123def456'], /expected 3 arguments, got 2/],
    ['too many', ['allow', 'abc123def456', 'example.com', 'x'], /expected 3 arguments, got 4/],
    ['bad action', ['permit', 'abc123def456', 'example.com'], /invalid action "permit"/],
    ['action in capitals', ['ALLOW', 'abc123def456', 'example.com'], /invalid action/],
    ['container with a slash', ['allow', '../etc', 'example.com'], /invalid container/],
    ['container with a leading dash', ['allow', '-rf', 'example.com'], /invalid container/],
    ['empty container', ['allow', '', 'example.com'], /invalid container/],
    ['container with a space', ['allow', 'a b', 'example.com'], /invalid container/],
    ['IPv4 with a port', ['allow', 'abc123def456', '198.51.100.1:443'], /never a port/],
    ['domain with a port', ['allow', 'abc123def456', 'example.com:443'], /never a port/],
    ['bracketed IPv6 with a port', ['allow', 'abc123def456', '[2001:db8::1]:443'], /never a port/],
    ['empty target', ['allow', 'abc123def456', ''], /invalid target ""/],
    ['target like an option', ['allow', 'abc123def456', '--all'], /invalid target "--all"/],
    ['IPv4 out of range', ['allow', 'abc123def456', '198.51.100.999'], /invalid target/],
    ['IPv4 short form', ['allow', 'abc123def456', '10.1'], /invalid target/],
    ['CIDR prefix too long (v4)', ['allow', 'abc123def456', '198.51.100.0/33'], /invalid CIDR/],
    ['CIDR prefix too long (v6)', ['allow', 'abc123def456', '2001:db8::/129'], /invalid CIDR/],
    ['CIDR of a domain', ['allow', 'abc123def456', 'example.com/24'], /invalid CIDR/],
    ['CIDR without a prefix', ['allow', 'abc123def456', '198.51.100.0/'], /invalid CIDR/],
    ['IPv6 zone id', ['allow', 'abc123def456', 'fe80::1%eth0'], /invalid target/],
    ['domain label with a leading dash', ['allow', 'abc123def456', '-x.example.com'], /invalid target/],
    ['domain with an empty label', ['allow', 'abc123def456', 'example..com'], /invalid target/],
    ['domain with a trailing dot', ['allow', 'abc123def456', 'example.com.'], /invalid target/],
    ['domain with an underscore', ['allow', 'abc123def456', 'a_b.example.com'], /invalid target/],
    ['label over 63 characters', ['allow', 'abc123def456', `${'a'.repeat(64)}.example.com`], /invalid target/],
    ['domain over 253 characters', ['allow', 'abc123def456', `${'a.'.repeat(127)}com`], /invalid target/],
    ['shell metacharacters', ['allow', 'abc123def456', 'example.com;reboot'], /invalid target/],
    ['non-ASCII domain', ['allow', 'abc123def456', 'bücher.example'], /invalid target/],
  ])('%s', (_name, args, message) => {
    const r = shield(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: simulated-shield allow\|deny CONTAINER TARGET\n/);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.state).toBeNull();
  });
});

test('decisions accumulate in the state file, the later one last', () => {
  const state = join(dir, 'shared.list');
  const env = {TEROK_SIMULATED_SHIELD_STATE: state};
  expect(shield(['allow', 'abc123def456', 'example.com'], env).code).toBe(0);
  expect(shield(['deny', 'abc123def456', 'example.com'], env).code).toBe(0);
  expect(shield(['allow', 'fedcba654321', '198.51.100.7'], env).code).toBe(0);
  expect(readFileSync(state, 'utf8')).toBe(
    'allow abc123def456 example.com\ndeny abc123def456 example.com\nallow fedcba654321 198.51.100.7\n');
});

test('an unwritable state file is an error (exit 1), not a silent success', () => {
  const notADir = join(dir, 'plain-file');
  writeFileSync(notADir, '');
  for (const state of [join(notADir, 'state'), join(dir, 'missing', 'deeper', 'state')]) {
    const r = shield(['allow', 'abc123def456', 'example.com'], {TEROK_SIMULATED_SHIELD_STATE: state});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: /);
  }
});

test('recording mode appends each argv as a JSON line, refused ones included', () => {
  const record = join(dir, 'record.ndjson');
  expect(shield(['allow', 'abc123def456', 'example.com'], {TEROK_SIMULATED_SHIELD_RECORD: record}).code).toBe(0);
  expect(shield(['allow', 'abc123def456', 'example.com:443'], {TEROK_SIMULATED_SHIELD_RECORD: record}).code).toBe(2);
  expect(readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
    ['allow', 'abc123def456', 'example.com'],
    ['allow', 'abc123def456', 'example.com:443'],
  ]);
});

test('--help prints the usage and exits 0', () => {
  const r = shield(['--help']);
  expect(r).toMatchObject({code: 0, stdout: 'usage: simulated-shield allow|deny CONTAINER TARGET\n', state: null});
});

test('run through a symlink, it still runs; imported, it does nothing', async () => {
  const link = join(dir, 'shield-link.js');
  symlinkSync(SHIELD, link);
  const r = spawnSync(process.execPath, [link, 'allow', 'abc123def456', 'example.com:1'], {encoding: 'utf8', timeout: 10_000});
  expect(r.status).toBe(2);
  const imported = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(SHIELD)})`],
    {encoding: 'utf8', timeout: 10_000});
  expect(imported).toMatchObject({status: 0, stdout: '', stderr: ''});
});
