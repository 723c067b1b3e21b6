// runShield against real processes: small shell scripts standing in for terok-shield, and the simulated shield.
import {afterAll, expect, test} from '@jest/globals';
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runShield, stderrSnippet, STDERR_CAP_BYTES} from '../../../service/verdict/shield-exec.js';
import {distModule} from '../support/peers.js';

const dir = mkdtempSync(join(tmpdir(), 'shield-exec-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

let scripts = 0;
function script(body: string): string {
  const path = join(dir, `shield-${++scripts}.sh`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Running, as opposed to gone or a zombie waiting for a parent that may never reap it (PID 1 here). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('success: exit 0 is ok, the argv arrives exactly as given, no shell in between', async () => {
  const record = join(dir, 'argv.json');
  const shield = script(`printf '%s\\n' "$@" > '${record}'; echo "Allowed" ; exit 0`);
  const dest = 'x.example; rm -rf / $(reboot) `id` "quoted"';
  expect(await runShield(shield, 'allow', 'abc123def456', dest)).toEqual({ok: true, stderr: ''});
  expect(readFileSync(record, 'utf8')).toBe(`allow\nabc123def456\n${dest}\n`);
});

test('the simulated shield, run as the real one would be', async () => {
  const state = join(dir, 'simulated.list');
  const simulated = distModule('service/verdict/simulated-shield.ts');
  const shield = script(`TEROK_SIMULATED_SHIELD_STATE='${state}' exec '${process.execPath}' '${simulated}' "$@"`);
  expect(await runShield(shield, 'deny', 'abc123def456', '198.51.100.1')).toEqual({ok: true, stderr: ''});
  const bad = await runShield(shield, 'deny', 'abc123def456', '198.51.100.1:443');
  expect(bad.ok).toBe(false);
  expect(bad.stderr).toMatch(/^usage: .*\n.*never a port$/);
  expect(readFileSync(state, 'utf8')).toBe('deny abc123def456 198.51.100.1\n');
});

test('an argv prefix runs a stand-in that is not an executable itself: the simulated shield', async () => {
  const {simulatedShieldCommand} = await import(distModule('service/verdict/simulated-shield.ts')) as
    typeof import('../../../service/verdict/simulated-shield.js');
  const command = simulatedShieldCommand();
  expect(command).toEqual([process.execPath, distModule('service/verdict/simulated-shield.ts')]);
  // A refused target, so that nothing is written to the real runtime directory.
  expect(await runShield(command, 'allow', 'abc123def456', '198.51.100.1:443'))
    .toEqual({ok: false, stderr: expect.stringMatching(/^usage: simulated-shield .*\n.*never a port$/)});
});

test('non-zero exit: not ok, stderr trimmed; stdout never mixed in', async () => {
  const shield = script(`echo 'to stdout'; printf '\\n  Error: nft: lock held  \\n\\n' >&2; exit 1`);
  expect(await runShield(shield, 'allow', 'c', 'd')).toEqual({ok: false, stderr: 'Error: nft: lock held'});
});

test('non-zero exit without stderr: the status is the reason', async () => {
  expect(await runShield(script('exit 3'), 'allow', 'c', 'd')).toEqual({ok: false, stderr: expect.stringMatching(/exited with status 3$/)});
});

test('killed by a signal: the signal is the reason', async () => {
  expect(await runShield(script('kill -TERM $$'), 'allow', 'c', 'd')).toEqual({ok: false, stderr: expect.stringMatching(/killed by SIGTERM$/)});
});

test('stderr is cut to 512 bytes (a cut character becomes U+FFFD) and a flood of it does not stall the shield', async () => {
  // 511 ASCII bytes, then a 2-byte character split by the cap, then 1 MB more.
  const shield = script(`head -c 511 /dev/zero | tr '\\0' 'a' >&2; printf '\\303\\251' >&2; head -c 1000000 /dev/zero >&2; exit 1`);
  const r = await runShield(shield, 'allow', 'c', 'd');
  expect(r).toEqual({ok: false, stderr: 'a'.repeat(511) + '\uFFFD'});
});

test('stderrSnippet: cap, replacement, trimming', () => {
  const enc = new TextEncoder();
  expect(stderrSnippet(enc.encode('  fine \n'))).toBe('fine');
  expect(stderrSnippet(new Uint8Array([0x66, 0xff, 0x66]))).toBe('f\uFFFDf');
  expect(Buffer.byteLength(stderrSnippet(enc.encode('é'.repeat(1000))))).toBe(STDERR_CAP_BYTES);
  expect(stderrSnippet(enc.encode(`${' '.repeat(600)}late`))).toBe('');
});

test('a missing binary is a reason, not an exception', async () => {
  expect(await runShield(join(dir, 'no-such-shield'), 'allow', 'c', 'd'))
    .toEqual({ok: false, stderr: `cannot run ${join(dir, 'no-such-shield')}: not found`});
  expect(await runShield('terok-shield-surely-not-on-path', 'allow', 'c', 'd'))
    .toEqual({ok: false, stderr: 'cannot run terok-shield-surely-not-on-path: not found'});
});

test('a file that is not executable is a reason', async () => {
  const path = join(dir, 'not-executable');
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  const r = await runShield(path, 'allow', 'c', 'd');
  expect(r.ok).toBe(false);
  expect(r.stderr).toMatch(/^cannot run .*EACCES/);
});

test('an argument no exec can carry (a NUL byte) is a reason', async () => {
  const r = await runShield(script('exit 0'), 'allow', 'c', 'd\0e');
  expect(r.ok).toBe(false);
  expect(r.stderr).toMatch(/^cannot run .*null bytes/);
});

test('stdin is closed: a shield that reads it does not wait for input', async () => {
  expect(await runShield(script('cat >/dev/null; exit 0'), 'allow', 'c', 'd')).toEqual({ok: true, stderr: ''});
});

test('timeout: the shield and everything it started are killed, the partial stderr kept', async () => {
  const pids = join(dir, 'timeout-pids');
  const shield = script(`echo 'resolving...' >&2; sleep 60 & echo $! > '${pids}'; echo $$ >> '${pids}'; wait`);
  const started = Date.now();
  const r = await runShield(shield, 'allow', 'c', 'd', 400);
  expect(Date.now() - started).toBeLessThan(3000);
  expect(r).toEqual({ok: false, stderr: 'timed out after 0.4 s, killed: resolving...'});
  const [sleeper, leader] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(alive(leader!)).toBe(false);
  expect(alive(sleeper!)).toBe(false);
});

test("the shield's exit decides: something it left running with stderr open does not hold the verdict", async () => {
  const pidFile = join(dir, 'straggler-pid');
  const shield = script(`sleep 30 & echo $! > '${pidFile}'; echo done >&2; exit 0`);
  const started = Date.now();
  expect(await runShield(shield, 'allow', 'c', 'd', 5000)).toEqual({ok: true, stderr: 'done'});
  expect(Date.now() - started).toBeLessThan(2000);
  const straggler = Number(readFileSync(pidFile, 'utf8'));
  process.kill(straggler, 'SIGKILL');
  expect(existsSync(pidFile)).toBe(true);
});

test('concurrent runs do not mix their results', async () => {
  const shield = script(`echo "$3" >&2; [ "$1" = allow ]`);
  const results = await Promise.all(Array.from({length: 20}, (_, i) =>
    runShield(shield, i % 2 ? 'deny' : 'allow', 'c', `dest-${i}`)));
  results.forEach((r, i) => expect(r).toEqual({ok: i % 2 === 0, stderr: `dest-${i}`}));
});
