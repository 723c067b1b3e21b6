// `terok-clearance simple` as the operator runs it: in a real pseudo-terminal (tmux), with a reader stand-in that
// prints the JSON lines the test appends to a file (and leaves a helper process running, as the real reader's
// nsenter re-exec does) and the simulated shield recording what it was asked. Also: input from a pipe, refusal while
// a real hub answers (`terok-clearance serve`, session and per-container, a per-container hub found by container
// name through podman), a stale socket that does not count, and readers that cannot run or die.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {spawn} from 'node:child_process';
import {appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {containerPaths, sessionPaths} from '../../../service/paths.js';
import {distModule, Peer, run, waitForSocket} from '../support/peers.js';
import {groupMembers} from '../support/processes.js';
import {makeStaleSocket} from '../support/stale-socket.js';
import {PrivatePodman} from '../identity/support/private-podman.js';
import {TmuxPane} from '../terminal/support/tmux.js';

const CLI = resolve('dist/service/cli.js');
const C = 'abc123def456';

let dir: string;
let runtime: string;
let env: NodeJS.ProcessEnv;
let pane: TmuxPane | undefined;
const peers: Peer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'simple-'));
  runtime = join(dir, 'run');
  mkdirSync(runtime, {mode: 0o700});
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'lines'), '');
  script('reader', [
    `printf '%s\\n' "$@" > '${dir}/reader.args'`,
    `echo $$ > '${dir}/reader.pid'`,
    'sleep 1000 &', // a helper that holds our stdout, as the real reader's re-exec under nsenter does
    `exec tail -n +1 -f '${dir}/lines'`,
  ]);
  script('shield', [`exec '${process.execPath}' '${distModule('service/verdict/simulated-shield.ts')}' "$@"`]);
  env = {
    PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', XDG_RUNTIME_DIR: runtime, TEROK_CLEARANCE_PODMAN: 'off',
    TEROK_SIMULATED_SHIELD_RECORD: join(dir, 'shield.record'),
    // Its parent directory does not exist yet: the shield fails until the test creates it.
    TEROK_SIMULATED_SHIELD_STATE: join(dir, 'later', 'sub', 'decisions.list'),
  };
});

afterEach(async () => {
  await pane?.kill();
  pane = undefined;
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  rmSync(dir, {recursive: true, force: true});
});

function script(name: string, body: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, ['#!/bin/sh', ...body, ''].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

function pending(n: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'pending', container: C, id: `${C}:${n}`, dest: '198.51.100.1', port: 443, proto: 6,
    domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'}, ...over,
  });
}

const emit = (...lines: string[]) => appendFileSync(join(dir, 'lines'), lines.map((l) => `${l}\n`).join(''));

const simpleArgs = (container = C, reader = join(dir, 'reader')) =>
  ['simple', container, '--state-dir', join(dir, 'state'), '--reader-command', reader, '--shield', join(dir, 'shield')];

function startInPane(): Promise<TmuxPane> {
  const command = [process.execPath, CLI, ...simpleArgs()].map((a) => `'${a}'`).join(' ');
  return TmuxPane.start(join(dir, 'tmux.sock'), `${command}; echo "EXIT=$?"; sleep 60`, env);
}

const readerPid = () => Number(readFileSync(join(dir, 'reader.pid'), 'utf8'));
const shieldCalls = () => readFileSync(join(dir, 'shield.record'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);

/** Runs simple with its stdin kept open (end of input would stop it) until it exits by itself. */
function runSimple(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = spawn(process.execPath, [CLI, ...args], {env: {...env, ...extraEnv}, stdio: ['pipe', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({code, stdout, stderr});
  }));
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('simple in a terminal', () => {
  test('asks about the oldest block, queues and counts the rest, retries a failed verdict, stops on Ctrl-C', async () => {
    emit(pending(1));
    pane = await startInPane();
    await pane.waitForText('>> [1] Blocked: registry.example.net:443 from warp/t42 · build: a allow, d deny?');
    expect(readFileSync(join(dir, 'reader.args'), 'utf8')).toBe(`${join(dir, 'state')}\n${C}\n--emit=json\n`);
    const pid = readerPid();
    expect(groupMembers(pid)).toHaveLength(2); // tail and its helper sleep

    emit(pending(2, {dest: '203.0.113.7', port: 80, domain: '', dossier: {}}));
    await pane.waitForText('[2] queued (1 ahead of it)');
    emit(pending(3)); // the same destination again: counted on [1], not asked again
    await pane.waitForText('[1] registry.example.net:443: Blocked 2 times since');
    emit('{"type": "pending", "container": ', '{"type":"shield_up","container":"' + C + '"}');
    await pane.waitForText('reader: invalid JSON');

    await pane.type('x');
    await pane.waitForText("unknown input 'x': a to allow, d to deny (h for help)");

    // The shield cannot record the decision yet: the prompt stays, with how to try again.
    await pane.type('a');
    let screen = await pane.waitForText('[1] Allow failed: registry.example.net: Error:');
    expect(screen).toContain('still pending: a or d to answer again');
    mkdirSync(join(dir, 'later'));
    await pane.type('allow');
    await pane.waitForText('[1] Allowed: registry.example.net (warp/t42 · build)');
    await pane.waitForText('>> [2] Blocked: 203.0.113.7:80 from warp/t42 · build: a allow, d deny?');
    await pane.type('d');
    await pane.waitForText('[2] Denied: 203.0.113.7 (warp/t42 · build)');
    await pane.type('a');
    await pane.waitForText('nothing is waiting for an answer');
    expect(shieldCalls()).toEqual([
      ['allow', C, 'registry.example.net'], ['allow', C, 'registry.example.net'], ['deny', C, '203.0.113.7'],
    ]);

    emit(pending(4, {domain: 'pypi.example'}));
    await pane.waitForText('>> [3] Blocked: pypi.example:443');
    await pane.type('l');
    screen = await pane.waitForText('Pending requests (1):');
    expect(screen).not.toContain('Hubs:');

    await pane.tmux('send-keys', '-t', 'w', 'C-c');
    screen = await pane.waitForText('EXIT=0');
    expect(screen).toContain('1 request left unanswered: still blocked');
    expect(groupMembers(pid)).toEqual([]); // the reader and the helper it left running
    expect(shieldCalls()).toHaveLength(3); // nothing was answered on the way out
    expect(readFileSync(join(dir, 'later', 'sub', 'decisions.list'), 'utf8'))
      .toBe(`allow ${C} registry.example.net\ndeny ${C} 203.0.113.7\n`);
  });

  test('end of input (Ctrl-D) stops it the same way', async () => {
    emit(pending(1));
    pane = await startInPane();
    await pane.waitForText('>> [1] Blocked');
    const pid = readerPid();
    await pane.tmux('send-keys', '-t', 'w', 'C-d');
    await pane.waitForText('EXIT=0');
    expect(groupMembers(pid)).toEqual([]);
  });

  test('the terminal going away (SIGHUP) stops the reader too', async () => {
    pane = await startInPane();
    await pane.waitForText('watching');
    await until(() => existsSync(join(dir, 'reader.pid')), 'the reader started');
    const pid = readerPid();
    await pane.kill();
    pane = undefined;
    await until(() => groupMembers(pid).length === 0, 'the reader and its helper gone');
  });

  test('hostile text from the reader is shown defused', async () => {
    emit(pending(1, {domain: '', dest: '198.51.100.9', dossier: {container_name: 'x\x1b[2Jy\u202e'}}));
    pane = await startInPane();
    const screen = await pane.waitForText('>> [1] Blocked: 198.51.100.9:443 from x');
    // Sanitised to printable ASCII by the reader-line chokepoint, then trimmed as a name.
    expect(screen).toContain('>> [1] Blocked: 198.51.100.9:443 from x [2Jy: a allow, d deny?');
  });
});

describe('simple with input from a pipe', () => {
  test('an answer followed at once by end of input: the verdict still completes, then it stops', async () => {
    mkdirSync(join(dir, 'later'));
    emit(pending(1));
    const child = spawn(process.execPath, [CLI, ...simpleArgs()], {env, stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await until(() => out.includes('>> [1]'), 'the prompt');
    child.stdin.end('a\n');
    expect(await exited).toBe(0);
    expect(out).toContain('[1] Allowed: registry.example.net (warp/t42 · build)');
    expect(out).not.toContain('\x1b['); // no colour when stdout is not a terminal
    expect(groupMembers(readerPid())).toEqual([]);
  });
});

describe('the reader', () => {
  test('one that ignores SIGTERM is killed, with what it started, after the grace period', async () => {
    const stubborn = script('stubborn', [`echo $$ > '${dir}/reader.pid'`, "trap '' TERM", 'sleep 1000 &', 'wait']);
    const child = spawn(process.execPath, [CLI, ...simpleArgs(C, stubborn)], {env, stdio: ['pipe', 'pipe', 'pipe']});
    const code = new Promise<number | null>((r) => child.on('close', r));
    await until(() => existsSync(join(dir, 'reader.pid')), 'the reader started');
    const pid = readerPid();
    await until(() => groupMembers(pid).length === 2, 'the reader and its sleep');
    const started = Date.now();
    child.stdin.end();
    expect(await code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(groupMembers(pid)).toEqual([]);
  });

  test('one that cannot run: a clear error, exit 1', async () => {
    const r = await runSimple(simpleArgs(C, join(dir, 'no-such-reader')));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`the reader cannot run ${join(dir, 'no-such-reader')}: not found; stopping`);
  });

  test('one that dies: what it printed is shown, then it stops with exit 1', async () => {
    const dying = script('dying', [`echo '${pending(1)}'`, 'echo "nflog: permission denied" >&2', 'exit 3']);
    const r = await runSimple(simpleArgs(C, dying));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[1] Blocked: registry.example.net:443');
    expect(r.stdout).toContain('reader: nflog: permission denied');
    expect(r.stdout).toContain('the reader exited with status 3; stopping');
    expect(r.stdout).toContain('1 request left unanswered');
  });

  test('the default is the reader terok-shield installs, under XDG_DATA_HOME', async () => {
    const dataHome = join(dir, 'data');
    mkdirSync(join(dataHome, 'terok', 'shield'), {recursive: true});
    const reader = join(dataHome, 'terok', 'shield', 'nflog-reader.py');
    writeFileSync(reader, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/default.args'\n`);
    chmodSync(reader, 0o755);
    const r = await runSimple(['simple', C, '--state-dir', join(dir, 'state')], {XDG_DATA_HOME: dataHome});
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'default.args'), 'utf8')).toBe(`${join(dir, 'state')}\n${C}\n--emit=json\n`);
  });
});

describe('refusal while a hub answers', () => {
  function serve(...args: string[]): Peer {
    const peer = new Peer([process.execPath, CLI, 'serve', ...args], env);
    peers.push(peer);
    return peer;
  }

  test('the session hub: names the socket and how to stop it; the reader never starts', async () => {
    const hub = serve();
    await waitForSocket(sessionPaths(runtime).hub, hub);
    const r = await runSimple(simpleArgs());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the session hub is answering on ${sessionPaths(runtime).hub} (terok-clearance `);
    expect(r.stderr).toContain('two paths applying verdicts would race');
    expect(r.stderr).toContain('systemctl --user stop terok-clearance-hub.service');
    expect(existsSync(join(dir, 'reader.pid'))).toBe(false);
  });

  test("the container's own hub, also when the container is named and podman knows its id", async () => {
    const podman = PrivatePodman.create();
    try {
      const id = (await podman.createContainer('guarded')).slice(0, 12);
      const hub = serve('--container', id);
      await waitForSocket(containerPaths(id, runtime).hub, hub);
      for (const [container, extra] of [[id, {}], ['guarded', {TEROK_CLEARANCE_PODMAN: podman.command}]] as const) {
        const r = await runSimple(simpleArgs(container), extra);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`the container's hub is answering on ${containerPaths(id, runtime).hub}`);
        expect(r.stderr).toContain('stop the supervisor that serves this container');
      }
      // Without podman a name cannot be matched to its hub: said, and only the session hub is checked.
      emit(pending(1));
      const unnamed = spawn(process.execPath, [CLI, ...simpleArgs('guarded')], {env, stdio: ['pipe', 'pipe', 'pipe']});
      let err = '';
      unnamed.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const unnamedCode = new Promise<number | null>((r) => unnamed.on('close', r));
      await until(() => existsSync(join(dir, 'reader.pid')), 'the reader started');
      unnamed.stdin.end();
      expect(await unnamedCode).toBe(0);
      expect(err).toContain('cannot tell the id of guarded (no container engine is consulted): only the session hub is checked');
      rmSync(join(dir, 'reader.pid'));
      // Another container's hub is none of its business.
      const other = spawn(process.execPath, [CLI, ...simpleArgs('0123456789ab')], {env, stdio: ['pipe', 'pipe', 'pipe']});
      const code = new Promise<number | null>((r) => other.on('close', r));
      await until(() => existsSync(join(dir, 'reader.pid')), 'the reader started');
      other.stdin.end();
      expect(await code).toBe(0);
    } finally {
      await podman.close();
    }
  });

  test('a stale socket file is no hub', async () => {
    makeStaleSocket(sessionPaths(runtime).hub);
    const r = await runSimple(simpleArgs(C, script('quick', ['exit 0'])));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('the reader exited with status 0; stopping');
  });
});

describe('usage', () => {
  test('missing or bad arguments', async () => {
    for (const [args, message] of [
      [['simple'], 'CONTAINER is missing'],
      [['simple', C], '--state-dir is required'],
      [['simple', '--state-dir', dir, '--', '-rf'], "not a container name or id: '-rf'"],
      [['simple', C, '--state-dir', join(dir, 'nope')], 'is not a directory'],
      [['simple', C, 'extra', '--state-dir', dir], "unexpected argument 'extra'"],
    ] as const) {
      const r = await run([process.execPath, CLI, ...args], {env});
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const help = await run([process.execPath, CLI, 'simple', '--help'], {env});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$XDG_DATA_HOME/terok/shield/nflog-reader.py');
  });
});
