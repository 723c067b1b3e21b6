// The whole loop with real processes: `terok-clearance serve` (the hub) and `serve-verdict` (the helper, running the
// simulated shield), blocks written as NDJSON into the hub's reader socket as terok-shield's reader does, and our
// PromptSession following the hub: late start, verdicts reaching the shield, the hub killed with SIGKILL mid-stream
// and started again.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PromptSession} from '../../../service/client/node-prompt-session.js';
import {distModule, Peer, startServer} from '../support/peers.js';
import {C1, until} from './support/test-hub.js';

let runtime: string;
let env: NodeJS.ProcessEnv;
const peers: Peer[] = [];
let session: PromptSession | undefined;

const sock = (name: string) => join(runtime, name);

beforeEach(async () => {
  runtime = mkdtempSync(join(tmpdir(), 'realhub-'));
  const shield = join(runtime, 'terok-shield');
  writeFileSync(shield, `#!/bin/sh\nexec '${process.execPath}' '${distModule('service/verdict/simulated-shield.ts')}' "$@"\n`);
  chmodSync(shield, 0o700);
  env = {...process.env, XDG_RUNTIME_DIR: runtime, TEROK_SIMULATED_SHIELD_STATE: sock('decisions')};
  peers.push(await startServer([process.execPath, distModule('service/cli.ts'), 'serve-verdict', '--shield', shield],
    sock('terok-clearance-verdict.sock'), env));
});

afterEach(async () => {
  await session?.close();
  session = undefined;
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  rmSync(runtime, {recursive: true, force: true});
});

async function startHub(): Promise<Peer> {
  const hub = await startServer([process.execPath, distModule('service/cli.ts'), 'serve'], sock('terok-clearance.sock'), env);
  peers.push(hub);
  return hub;
}

/** Writes reader lines (wire.md §4) on a fresh connection to the hub's reader socket. */
async function read(...lines: object[]): Promise<void> {
  const socket = net.connect(sock('terok-shield-events.sock'));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => socket.end(lines.map((l) => JSON.stringify(l) + '\n').join(''), resolve));
}

const pending = (n: number, domain: string) => ({
  type: 'pending', container: C1, id: `${C1}:${n}`, dest: '198.51.100.1', port: '443', proto: 6, domain,
  dossier: {project: 'warp', task: 't42', name: 'build'}, ts: '2026-11-23T08:00:00.000001+00:00',
});

const decisions = () => {
  try {
    return readFileSync(sock('decisions'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('against the real hub process', () => {
  test('catch-up, verdicts through the helper to the shield, SIGKILL and restart', async () => {
    const hub = await startHub();
    await read(pending(1, 'registry.example.net'));

    session = new PromptSession({changes: () => {}, hub: () => {}}, {runtimeDir: runtime});
    session.start();
    const s = session;
    await until(() => s.model.prompts().length === 1, 'caught up from the hub');
    expect(s.model.prompts()[0]).toMatchObject({requestId: `${C1}:1`, target: 'registry.example.net', port: 443,
      identity: 'warp/t42 · build'});

    await read(pending(2, 'registry.example.net'), pending(3, 'files.example'));
    await until(() => s.model.prompts().length === 2 && s.model.prompts()[0]!.count === 2, 'live: a repeat and a new one');
    await s.answer(s.model.prompts()[0]!.key, 'allow');
    expect(decisions()).toEqual([`allow ${C1} 198.51.100.1`, `allow ${C1} registry.example.net`]);

    hub.child.kill('SIGKILL');
    await hub.finished;
    await until(() => s.hubs.hubs()[0]?.state.status === 'unavailable', 'the hub is gone');
    // Kept while it is away (its snapshot on reconnect decides), but a verdict cannot look applied: it fails.
    const [kept] = s.model.prompts();
    expect(kept).toMatchObject({requestId: `${C1}:3`, target: 'files.example'});
    await s.answer(kept!.key, 'allow');
    expect(s.model.prompts()[0]?.failure).toMatchObject({ok: false, stderr: expect.stringMatching(/unavailable/)});
    expect(decisions()).toEqual([`allow ${C1} 198.51.100.1`, `allow ${C1} registry.example.net`]);

    await startHub(); // binds over the stale socket the killed process left
    await until(() => s.hubs.hubs()[0]?.state.status === 'connected', 'reconnected', 3000);
    expect(s.model.prompts()).toEqual([]); // the restarted hub holds nothing: its snapshot dropped the kept prompt
    await read(pending(4, 'files.example'));
    await until(() => s.model.prompts().length === 1, 'a block from the new hub process');
    await s.answer(s.model.prompts()[0]!.key, 'deny');
    expect(decisions()).toEqual([`allow ${C1} 198.51.100.1`, `allow ${C1} registry.example.net`, `deny ${C1} 198.51.100.1`,
      `deny ${C1} files.example`]);
  }, 20_000);

  test('a hub killed with its socket left behind: its prompts are retired after the grace, and it is found again', async () => {
    const hub = await startHub();
    await read(pending(1, 'registry.example.net'));
    session = new PromptSession({changes: () => {}, hub: () => {}}, {runtimeDir: runtime, retireAfterMs: 1500,
      identity: null});
    session.start();
    const s = session;
    await until(() => s.model.prompts().length === 1, 'caught up from the hub');

    hub.child.kill('SIGKILL'); // no cleanup: the socket file stays, and every connect is refused
    await hub.finished;
    // First the lost connection, then the retries: refused, "not running".
    await until(() => s.hubs.hubs()[0]?.state.notRunning === true, 'refused: not running', 5000);
    expect(s.hubs.hubs()[0]?.state.reason).toMatch(/^not running \(nothing accepts on /);
    expect(s.model.prompts()).toHaveLength(1); // kept through the grace: a restart would reconcile it
    await until(() => s.model.prompts().length === 0, 'retired after the grace', 5000);

    await startHub();
    await until(() => s.hubs.hubs()[0]?.state.status === 'connected', 'found again', 15_000);
    await read(pending(2, 'files.example'));
    await until(() => s.model.prompts().length === 1, 'a block from the new hub process');
  }, 30_000);

  test('a hub that accepts and never answers (stopped) is reported, not left "connecting"; once it runs, caught up', async () => {
    const hub = await startHub();
    await read(pending(1, 'registry.example.net'));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the line ingested
    hub.child.kill('SIGSTOP'); // the kernel still accepts connections on its socket; nobody reads them
    try {
      session = new PromptSession({changes: () => {}, hub: () => {}}, {runtimeDir: runtime, firstReplyTimeoutMs: 500,
        retireAfterMs: 1000, identity: null});
      session.start();
      const s = session;
      await until(() => s.hubs.hubs()[0]?.state.status === 'unavailable', 'reported', 5000);
      expect(s.hubs.hubs()[0]?.state).toEqual({status: 'unavailable', notRunning: false,
        reason: 'the hub accepted but sent nothing within 500 ms'});
      hub.child.kill('SIGCONT');
      await until(() => s.hubs.hubs()[0]?.state.status === 'connected', 'connected once it runs', 15_000);
      await until(() => s.model.prompts().length === 1, 'caught up');
      expect(s.model.prompts()[0]).toMatchObject({requestId: `${C1}:1`});
    } finally {
      hub.child.kill('SIGCONT');
    }
  }, 30_000);
});
