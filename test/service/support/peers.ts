// The real third-party peers the integration tests run against (installed by `npm run provision`): the Go and
// Python varlink implementations on the host, systemd's varlinkctl and sd-varlink servers in the trixie root.
// A missing peer throws, so its tests fail rather than skip. Processes started here are stopped by the caller.
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import {join, relative} from 'node:path';

const PEERS = process.env.TEROK_PEERS ?? '/var/cache/terok-clearance';
const REPO = new URL('../../../', import.meta.url).pathname;

function present(path: string, what: string, remedy = 'run `npm run provision` (as root)'): string {
  if (!existsSync(path)) throw new Error(`${what} is missing (${path}): ${remedy}`);
  return path;
}

/** PYTHONPATH holding python3-varlink (+ its tests) and asyncvarlink. */
export function pythonPath(): string {
  const dir = join(PEERS, 'pyvl/usr/lib/python3/dist-packages');
  present(join(dir, 'varlink/tests/test_certification.py'), 'python3-varlink-tests');
  present(join(dir, 'asyncvarlink'), 'python3-asyncvarlink');
  return dir;
}

/** The Debian trixie root with systemd (varlinkctl, sd-varlink servers). */
export function trixieRoot(): string {
  const root = join(PEERS, 'trixie');
  present(join(root, 'usr/bin/varlinkctl'), 'the trixie root with varlinkctl');
  return root;
}

export function goCertification(): string {
  return present('/usr/bin/varlink-go-certification', 'varlink-go-certification (Debian varlink-go)');
}

/** A built module under dist/ (tests that spawn our own programs run the build output). */
export function distModule(sourcePath: string): string {
  return present(join(REPO, 'dist', sourcePath.replace(/\.ts$/, '.js')), `dist/ build of ${sourcePath}`, 'run `npm run build`');
}

/** argv for a Python module with the provisioned python3-varlink on its path. */
export function python(module: string, ...args: string[]): {argv: string[]; env: NodeJS.ProcessEnv} {
  return {argv: ['python3', '-m', module, ...args], env: {...process.env, PYTHONPATH: pythonPath()}};
}

/** A fresh 0700 directory for test sockets on the host. */
export function socketDir(prefix = 'vt-'): {dir: string; remove(): void} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {dir, remove: () => rmSync(dir, {recursive: true, force: true})};
}

/**
 * A fresh 0700 directory under ROOT/run/vt, so a host process can bind there and a chrooted peer reach the same
 * socket: `hostPath(name)` is a socket's path on the host, `inRoot(name)` the same socket seen inside the root.
 */
export function rootSocketDir(): {inRoot(name: string): string; hostPath(name: string): string; remove(): void} {
  const base = join(trixieRoot(), 'run/vt');
  mkdirSync(base, {recursive: true, mode: 0o700});
  const host = mkdtempSync(join(base, 'd-'));
  const inside = '/' + relative(trixieRoot(), host);
  return {
    inRoot: (name) => `${inside}/${name}`,
    hostPath: (name) => join(host, name),
    remove: () => rmSync(host, {recursive: true, force: true}),
  };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A long-running peer (a server). `stop()` sends SIGTERM, then SIGKILL after a grace period. */
export class Peer {
  readonly child: ChildProcess;
  readonly finished: Promise<Finished>;
  private out = '';
  private err = '';

  constructor(argv: string[], env: NodeJS.ProcessEnv = process.env) {
    const [file, ...args] = argv as [string, ...string[]];
    this.child = spawn(file, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
    this.child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    this.child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); });
    this.finished = new Promise((resolve) => {
      this.child.on('error', (e) => { this.err += `spawn ${file}: ${e.message}\n`; });
      this.child.on('close', (code, signal) => resolve({code, signal, stdout: this.out, stderr: this.err}));
    });
  }

  get output(): string {
    return `stdout:\n${this.out}\nstderr:\n${this.err}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 3000): Promise<Finished> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.finished;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs a peer to completion (killed after `timeoutMs`). */
export async function run(argv: string[], options: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<Finished> {
  const peer = new Peer(argv, options.env);
  const timer = setTimeout(() => peer.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  try {
    return await peer.finished;
  } finally {
    clearTimeout(timer);
  }
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once a connection to `path` is accepted; fails early, with its output, if `peer` exits first. */
export async function waitForSocket(path: string, peer?: Peer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(path))) {
    if (peer && !peer.running) throw new Error(`peer exited before listening on ${path}\n${peer.output}`);
    if (Date.now() > deadline) throw new Error(`nothing listening on ${path} after ${timeoutMs} ms\n${peer?.output ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a server peer and waits until it accepts on `socket`. */
export async function startServer(argv: string[], socket: string, env?: NodeJS.ProcessEnv): Promise<Peer> {
  const peer = new Peer(argv, env);
  try {
    await waitForSocket(socket, peer);
  } catch (e) {
    await peer.stop();
    throw e;
  }
  return peer;
}

/** `varlinkctl ARGS` inside the trixie root (socket addresses are paths inside the root). */
export function varlinkctl(...args: string[]): Promise<Finished> {
  return run(chrootArgv('varlinkctl', ...args));
}

/** argv running a command inside the trixie root (e.g. an sd-varlink server to start as a Peer). */
export function chrootArgv(...argv: string[]): string[] {
  return ['chroot', trixieRoot(), ...argv];
}

/** `varlinkctl validate-idl` on an interface description: code 0 when systemd's parser accepts it. */
export async function validateIdl(description: string): Promise<Finished> {
  const dir = mkdtempSync(join(trixieRoot(), 'tmp', 'idl-'));
  try {
    writeFileSync(join(dir, 'interface.varlink'), description);
    return await varlinkctl('validate-idl', '/' + relative(trixieRoot(), join(dir, 'interface.varlink')));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
