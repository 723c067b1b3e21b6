// The processes of the hub bench: the hub and verdict helper as systemd runs them (node dist/service/cli.js …),
// and the bench's own peers (dist/bench/…) with an IPC channel. Each keeps the tail of its stderr, so a peer that
// dies says why; every wait is bounded.
import {fork, spawn, type ChildProcess} from 'node:child_process';
import {readFileSync} from 'node:fs';
import net from 'node:net';

const STDERR_TAIL = 4096;
const STOP_GRACE_MS = 3000;

/** dist/… path of a built module, from this (built) module's place in dist/bench. */
export const distPath = (relative: string) => new URL(`../${relative}`, import.meta.url).pathname;

export class BenchProcess {
  private stderr = '';
  readonly exited: Promise<void>;

  private constructor(readonly name: string, readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** `node dist/service/cli.js <args>` with `env`. */
  static cli(name: string, args: string[], env: NodeJS.ProcessEnv): BenchProcess {
    return new BenchProcess(name, spawn(process.execPath, [distPath('service/cli.js'), ...args],
      {env, stdio: ['ignore', 'ignore', 'pipe']}));
  }

  /** A bench peer module (path under dist/) with an IPC channel. */
  static peer(name: string, module: string, args: string[]): BenchProcess {
    return new BenchProcess(name, fork(distPath(module), args, {stdio: ['ignore', 'ignore', 'pipe', 'ipc']}));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Why it is not usable, for an error message. */
  describe(): string {
    const state = this.running ? 'running' : `exited (${this.child.exitCode ?? this.child.signalCode})`;
    return `${this.name} ${state}; stderr: ${this.stderr.trim() || '(none)'}`;
  }

  /** Resident set size in KiB, from /proc/PID/status (VmRSS, or VmHWM for the peak so far). */
  memoryKiB(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc/${this.child.pid}/status`);
    return Number(match[1]);
  }

  /** The next IPC message that `accept` takes; rejects if the process exits or `ms` pass first. */
  message<T>(accept: (m: unknown) => T | undefined, ms: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        settle();
      };
      const onMessage = (m: unknown) => {
        const value = accept(m);
        if (value !== undefined) done(() => resolve(value));
      };
      const onExit = () => done(() => reject(new Error(`${what}: ${this.describe()}`)));
      const timer = setTimeout(() => done(() => reject(new Error(`${what}: no answer in ${ms} ms; ${this.describe()}`))), ms);
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  send(message: object): void {
    this.child.send(message);
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Resolves once `path` accepts a connection; rejects if `owner` exits or 10 s pass. */
export async function waitForSocket(path: string, owner: BenchProcess, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({path});
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!owner.running || Date.now() > end) throw new Error(`${path} never answered: ${owner.describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
