// A session hub and its verdict helper as the processes systemd runs, in a private directory: their runtime dir,
// XDG config and state (rules, grants, the decision log), and the simulated shield that records each call. Tests
// that need a shield that fails, or a hub whose wall clock they move, pass a wrapper or an environment.
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {sessionPaths} from '../../../service/paths.js';
import type {VarlinkClient} from '../../../service/varlink/client.js';
import {Peer, waitForSocket} from './peers.js';

export const CLI = resolve('dist/service/cli.js');

export interface HubRigOptions {
  /** A shell fragment run before the simulated shield, with "$@" its argv (e.g. to fail some calls). */
  shieldPrelude?: string;
}

export class HubRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-rig-'));
  readonly env: NodeJS.ProcessEnv;
  readonly paths: ReturnType<typeof sessionPaths>;
  /** Every shield invocation's argv, one JSON array per line. */
  readonly record = join(this.dir, 'shield-calls.jsonl');
  readonly rulesFile = join(this.dir, 'config/terok-clearance/rules.yaml');
  readonly logFile = join(this.dir, 'state/terok-clearance/decisions.jsonl');
  private readonly peers: Peer[] = [];

  constructor(options: HubRigOptions = {}) {
    this.env = {...process.env, XDG_RUNTIME_DIR: join(this.dir, 'run'), XDG_CONFIG_HOME: join(this.dir, 'config'),
      XDG_STATE_HOME: join(this.dir, 'state'), TEROK_SIMULATED_SHIELD_RECORD: this.record,
      TEROK_SIMULATED_SHIELD_STATE: join(this.dir, 'decisions.list')};
    this.paths = sessionPaths(this.env.XDG_RUNTIME_DIR);
    const shield = resolve('dist/service/verdict/simulated-shield.js');
    writeFileSync(this.shield, `#!/bin/sh\n${options.shieldPrelude ?? ''}\nexec ${process.execPath} ${shield} "$@"\n`);
    chmodSync(this.shield, 0o755);
  }

  get shield(): string {
    return join(this.dir, 'shield');
  }

  /** A `terok-clearance` process with this rig's environment (plus `env`), stopped by close(). */
  start(args: string[], env: NodeJS.ProcessEnv = {}): Peer {
    const peer = new Peer([process.execPath, CLI, ...args], {...this.env, ...env});
    this.peers.push(peer);
    return peer;
  }

  /** The verdict helper, running `shield` (default: the simulated one) with this rig's environment plus `env`. */
  async startVerdict(shield = this.shield, env: NodeJS.ProcessEnv = {}): Promise<Peer> {
    const verdict = this.start(['serve-verdict', '--shield', shield], env);
    await waitForSocket(this.paths.verdict, verdict);
    return verdict;
  }

  async startHub(env: NodeJS.ProcessEnv = {}): Promise<Peer> {
    const hub = this.start(['serve'], env);
    await waitForSocket(this.paths.hub, hub);
    return hub;
  }

  async startAll(): Promise<{hub: Peer; verdict: Peer}> {
    const verdict = await this.startVerdict();
    return {hub: await this.startHub(), verdict};
  }

  /** Writes reader lines the way terok-shield's reader does: one connection, NDJSON. */
  writeLines(lines: string[]): Promise<void> {
    return new Promise((done, fail) => {
      const socket = net.connect({path: this.paths.reader});
      socket.on('error', fail);
      socket.on('connect', () => socket.end(lines.join('\n') + '\n', () => done()));
    });
  }

  shieldCalls(): string[][] {
    if (!existsSync(this.record)) return [];
    return readFileSync(this.record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.splice(0).map((p) => p.stop()));
    rmSync(this.dir, {recursive: true, force: true});
  }
}

/** Polls Pending until the hub holds `n` requests (the reader line has been ingested). */
export async function pendingCount(rpc: VarlinkClient, n: number): Promise<unknown[]> {
  for (let i = 0; i < 200; i++) {
    const events = (await rpc.call('org.terok.Clearance1.Pending')).events as unknown[];
    if (events.length >= n) return events;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the hub never held ${n} pending requests`);
}

/** Polls `probe` every 25 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string,
  timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
