// The real service side for the shell e2e tests, on the host's file system but in the session's PID namespace and
// as the session's user (uid 1000), as a user service of that session would run: the extension talks only to
// sockets whose server it can identify as its own uid (a server in a PID namespace it cannot see has no readable
// credentials), and the reader socket admits only the hub's uid. The hub (`terok-clearance serve`) and the verdict
// helper (`serve-verdict`) serve the shell's runtime directory; a shield stand-in records each invocation with its
// time before running the simulated shield; a reader writes NDJSON lines into the hub's reader socket like
// terok-shield's reader does. Rules, grants and the decision log live in the services' own directory
// (XDG_CONFIG_HOME, XDG_STATE_HOME), gone with it. The session's end kills them all with it.
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {PACKAGE_ROOT as REPO} from '../../../service/package-root.js';
import type {Shell} from '../harness.js';

const CLI = join(REPO, 'dist/service/cli.js');
const SIMULATED_SHIELD = join(REPO, 'dist/service/verdict/simulated-shield.js');
export const TESTER_UID = 1000;

export interface Invocation {
  /** When the shield stand-in started, in ms since the epoch (sub-ms precision). */
  at: number;
  argv: string[];
}

export interface Services {
  /** The shell's XDG_RUNTIME_DIR as a host path. */
  readonly runtime: string;
  readonly hubSocket: string;
  startHub(): Promise<void>;
  /** Stops the hub (SIGTERM: it removes its sockets) and waits for it to exit. */
  stopHub(): Promise<void>;
  /** Writes reader lines (objects, one JSON line each) into the hub's reader socket; resolves to when (ms since the
   * epoch, sub-ms precision) the reader handed them to the socket. */
  write(lines: object[]): Promise<number>;
  /** The next shield run fails (exit 1, "simulated failure" on stderr); the one after works again. */
  failNext(): void;
  /** What the shield stand-in was run with, in order. */
  invocations(): Invocation[];
  /** The rules file every hub reads (XDG_CONFIG_HOME/terok-clearance/rules.yaml); its directory exists. */
  readonly rulesFile: string;
  /** Runs `terok-clearance ARGS` (the CLI) in the session, as the services see the world. */
  cli(args: string[]): Promise<{code: number; stdout: string; stderr: string}>;
  /** The service processes' stderr so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** A node process in the session (PID namespace of `sessionPid`, uid 1000), with a minimal environment. */
interface SessionProcess {
  readonly child: ChildProcess;
  /** Signals node itself: nsenter forks it and does not pass signals on. */
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<void>;
}

function spawnInSession(sessionPid: number, args: string[], env: Record<string, string>): SessionProcess {
  const child = spawn('nsenter', ['--target', String(sessionPid), '--pid', '--setuid', String(TESTER_UID),
    '--setgid', String(TESTER_UID), '--', process.execPath, ...args], {
    cwd: '/', stdio: ['pipe', 'pipe', 'pipe'],
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env},
  });
  const exited = child.exitCode !== null ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    exited,
    kill: (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        const node = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
        if (node) process.kill(Number(node), signal);
      } catch {
        child.kill('SIGKILL'); // nsenter has not forked yet, or is already gone
      }
    },
  };
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Runs as the session user: reads JSON arrays of lines on stdin, writes them to the reader socket (one connection,
// made on first use and again after the hub restarted), answers "ok" per batch once written.
const READER = `
  const net = require('node:net');
  const readline = require('node:readline');
  let socket = null;
  const open = () => new Promise((resolve, reject) => {
    const s = net.connect(process.env.READER_SOCKET);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  readline.createInterface({input: process.stdin}).on('line', async (line) => {
    try {
      if (!socket || socket.destroyed) { socket = await open(); socket.on('error', () => {}); socket.on('close', () => { socket = null; }); }
      const text = JSON.parse(line).map((l) => JSON.stringify(l) + '\\n').join('');
      const at = performance.timeOrigin + performance.now();
      socket.write(text, () => process.stdout.write('ok ' + at + '\\n'));
    } catch (e) {
      socket = null;
      process.stdout.write('error ' + e.message + '\\n');
    }
  });
`;

export async function startServices(shell: Pick<Shell, 'root' | 'sessionPid'>): Promise<Services> {
  const runtime = join(shell.root, 'run/user/1000');
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npm run build`);
  // The shield stand-in and its records, in a directory the session user can write.
  const work = mkdtempSync(join(tmpdir(), 'terok-shell-services-'));
  chmodSync(work, 0o755);
  chownSync(work, TESTER_UID, TESTER_UID);
  const invocations = join(work, 'invocations');
  const shield = join(work, 'terok-shield');
  const failFlag = join(work, 'fail-next');
  writeFileSync(shield, `#!/bin/sh
printf '%s %s\\n' "$(date +%s%N)" "$*" >> ${invocations}
if rm ${failFlag} 2>/dev/null; then echo 'simulated failure' >&2; exit 1; fi
exec ${process.execPath} ${SIMULATED_SHIELD} "$@"
`, {mode: 0o755});
  const rulesDir = join(work, 'config/terok-clearance');
  mkdirSync(rulesDir, {recursive: true});
  chownSync(join(work, 'config'), TESTER_UID, TESTER_UID);
  chownSync(rulesDir, TESTER_UID, TESTER_UID);
  const env = {XDG_RUNTIME_DIR: runtime, TEROK_SIMULATED_SHIELD_STATE: join(work, 'decisions'),
    XDG_CONFIG_HOME: join(work, 'config'), XDG_STATE_HOME: join(work, 'state')};
  let stderr = '';
  const run = (name: string, args: string[], extra: Record<string, string> = {}): SessionProcess => {
    const started = spawnInSession(shell.sessionPid, args, {...env, ...extra});
    started.child.stderr!.on('data', (chunk: Buffer) => (stderr += `[${name}] ${chunk.toString()}`));
    return started;
  };

  const verdict = run('verdict', [CLI, 'serve-verdict', '--shield', shield]);
  const verdictSocket = join(runtime, 'terok-clearance-verdict.sock');
  await until(`the verdict helper at ${verdictSocket}\n${stderr}`, () => existsSync(verdictSocket));

  const hubSocket = join(runtime, 'terok-clearance.sock');
  const readerSocket = join(runtime, 'terok-shield-events.sock');
  let hub: SessionProcess | null = null;
  const startHub = async (): Promise<void> => {
    hub = run('hub', [CLI, 'serve']);
    await until(`the hub at ${hubSocket}\n${stderr}`, () => existsSync(hubSocket) && existsSync(readerSocket));
  };
  const stopHub = async (): Promise<void> => {
    const running = hub;
    hub = null;
    if (!running) return;
    running.kill('SIGTERM');
    await running.exited;
  };
  await startHub();

  const reader = run('reader', ['-e', READER], {READER_SOCKET: readerSocket});
  const answers: ((line: string) => void)[] = [];
  createInterface({input: reader.child.stdout!}).on('line', (line) => answers.shift()?.(line));

  return {
    runtime,
    hubSocket,
    rulesFile: join(rulesDir, 'rules.yaml'),
    startHub,
    stopHub,
    write: (lines) => new Promise((resolve, reject) => {
      answers.push((answer) => (answer.startsWith('ok ') ? resolve(Number(answer.slice(3)))
        : reject(new Error(`reader: ${answer}`))));
      reader.child.stdin!.write(JSON.stringify(lines) + '\n');
    }),
    invocations: () => existsSync(invocations) ? readFileSync(invocations, 'utf8').split('\n').filter(Boolean)
      .map((line) => {
        const [ns, ...argv] = line.split(' ');
        return {at: Number(BigInt(ns!) / 1000n) / 1000, argv};
      }) : [],
    failNext: () => {
      writeFileSync(failFlag, '');
      chownSync(failFlag, TESTER_UID, TESTER_UID);
    },
    cli: async (args) => {
      const started = spawnInSession(shell.sessionPid, [CLI, ...args], env);
      let out = '';
      let err = '';
      started.child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      started.child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const closed = new Promise((resolve) => started.child.once('close', resolve)); // its output read to the end
      started.child.stdin!.end();
      await closed;
      return {code: started.child.exitCode ?? -1, stdout: out, stderr: err};
    },
    log: () => stderr,
    stop: async () => {
      reader.child.stdin!.end();
      await stopHub();
      verdict.kill('SIGTERM');
      await Promise.all([verdict.exited, reader.exited]);
      rmSync(work, {recursive: true, force: true});
    },
  };
}

/** A reader `pending` line (wire.md §4) for container `container`, request `<container>:<n>`. */
export function pendingLine(container: string, n: number, fields: Record<string, unknown> = {}): object {
  return {type: 'pending', container, id: `${container}:${n}`, dest: '198.51.100.7', port: 443, proto: 6,
    domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'}, ...fields};
}
