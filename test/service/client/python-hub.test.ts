// Our clients against a hub written in Python with python3-asyncvarlink, like the ecosystem's original: only
// Subscribe and Verdict. The client must degrade without an error (no catch-up, container verdicts answered one by
// one), and survive the hub process being killed and started again.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ClearanceEvent} from '../../../core/clearance/event.js';
import type {PromptChange} from '../../../core/clearance/prompts.js';
import {HubConnection, type HubState} from '../../../service/client/unix-hub-connection.js';
import {hubIdentity} from '../../../core/client/hub-identity.js';
import {PromptSession} from '../../../service/client/node-prompt-session.js';
import {pythonPath} from '../support/peers.js';
import {blocked, C1, C2, until} from './support/test-hub.js';

const STAND_IN = new URL('./support/python_hub.py', import.meta.url).pathname;

class PythonHub {
  readonly child: ChildProcessWithoutNullStreams;
  readonly verdicts: string[][] = [];
  /** Subscribers the stand-in has registered (it reports each one). */
  subscribers = 0;
  private out = '';
  readonly ready: Promise<void>;

  constructor(readonly path: string) {
    this.child = spawn('python3', [STAND_IN, path], {env: {...process.env, PYTHONPATH: pythonPath()}});
    let err = '';
    this.child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('exit', (code, signal) => reject(new Error(`python hub exited (${code ?? signal}): ${err}`)));
      this.child.stdout.on('data', (d: Buffer) => {
        this.out += d.toString();
        let newline: number;
        while ((newline = this.out.indexOf('\n')) >= 0) {
          const line = this.out.slice(0, newline);
          this.out = this.out.slice(newline + 1);
          if (line === 'ready') {
            resolve();
            continue;
          }
          const fact = JSON.parse(line) as {verdict?: string[]; subscribers?: number};
          if (fact.verdict) this.verdicts.push(fact.verdict);
          if (fact.subscribers !== undefined) this.subscribers = fact.subscribers;
        }
      });
    });
  }

  emit(event: ClearanceEvent): void {
    this.child.stdin.write(JSON.stringify(event) + '\n');
  }

  kill(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

let runtime: string;
let path: string;
const hubs: PythonHub[] = [];

async function startPythonHub(): Promise<PythonHub> {
  const hub = new PythonHub(path);
  hubs.push(hub);
  await hub.ready;
  return hub;
}

beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), 'pyhub-'));
  path = join(runtime, 'terok-clearance.sock');
});

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.kill()));
  rmSync(runtime, {recursive: true, force: true});
});

const quietLog = (warnings: string[]) => ({
  error: (m: string) => warnings.push(m), warning: (m: string) => warnings.push(m), info: () => {}, debug: () => {},
});

describe('a Python hub without our additions', () => {
  test('HubConnection degrades cleanly: no catch-up, no error; events and verdicts work; container verdict unsupported', async () => {
    const hub = await startPythonHub();
    hub.emit(blocked(1)); // before anyone subscribed: this hub cannot tell a late client about it
    const states: HubState[] = [];
    const snapshots: (ClearanceEvent[] | null)[] = [];
    const events: ClearanceEvent[] = [];
    const warnings: string[] = [];
    const connection = new HubConnection(path, {
      state: (s) => { states.push(s); },
      snapshot: (p) => { snapshots.push(p); },
      event: (e) => { events.push(e); },
    }, {log: quietLog(warnings)});
    connection.start();
    try {
      await until(() => snapshots.length === 1, 'connected');
      expect(snapshots).toEqual([null]);
      expect(states.map((s) => s.status)).toEqual(['connected']);
      expect(connection.capabilities.pending).toBe(false);

      // Subscribe reaches the Python side only after the connect; a block from then on arrives.
      await until(() => hub.subscribers === 1, 'subscribed');
      hub.emit(blocked(2));
      await until(() => events.length === 1, 'live event');
      expect(events[0]).toEqual(blocked(2));

      expect(await connection.verdict(C1, `${C1}:2`, 'registry.example.net', 'allow')).toEqual({kind: 'applied'});
      // The stand-in's stdout report of the verdict may arrive after its reply.
      await until(() => hub.verdicts.length === 1, 'verdict reported');
      expect(hub.verdicts).toEqual([[C1, `${C1}:2`, 'registry.example.net', 'allow']]);
      await until(() => events.length === 2, 'verdict_applied');
      expect(events[1]).toMatchObject({type: 'verdict_applied', request_id: `${C1}:2`, action: 'allow', ok: true});
      expect(await connection.verdict(C1, `${C1}:2`, 'registry.example.net', 'allow')).toEqual({kind: 'unknown-request'});

      expect(await connection.verdictContainer(C1, 'deny')).toEqual({kind: 'unsupported'});
      expect(connection.capabilities.verdictContainer).toBe(false);
      expect(warnings).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  test('a container verdict is sent as one Verdict per prompt; a killed and restarted hub is followed', async () => {
    const changes: PromptChange[] = [];
    const warnings: string[] = [];
    let hub = await startPythonHub();
    const session = new PromptSession({changes: (c) => { changes.push(...c); }, hub: () => {}},
      {runtimeDir: runtime, log: quietLog(warnings)});
    session.start();
    try {
      await until(() => session.hubs.hubs()[0]?.state.status === 'connected', 'connected');
      await until(() => hub.subscribers === 1, 'subscribed');
      hub.emit(blocked(1));
      hub.emit(blocked(2, {domain: 'b.example'}));
      hub.emit(blocked(3, {container: C2}));
      await until(() => session.model.prompts().length === 3, 'three prompts');

      const sent = session.answerContainer(C1, 'deny');
      expect(sent?.count).toBe(2);
      await sent!.done;
      await until(() => hub.verdicts.length === 2, 'verdicts reported');
      expect(hub.verdicts.sort()).toEqual([
        [C1, `${C1}:1`, 'registry.example.net', 'deny'],
        [C1, `${C1}:2`, 'b.example', 'deny'],
      ]);
      expect(session.model.prompts().map((p) => p.container)).toEqual([C2]);
      expect(session.model.results().map((r) => [r.target, r.action, r.ok])).toEqual(
        expect.arrayContaining([['registry.example.net', 'deny', true], ['b.example', 'deny', true]]));

      // Killed: its socket stays behind, nobody accepts. Its requests went with it.
      await hub.kill();
      await until(() => session.hubs.hubs()[0]?.state.status === 'unavailable', 'unavailable');
      expect(session.model.prompts()).toEqual([]);
      // The first retry finds nobody accepting on the socket left behind: "not running", the normal state.
      await until(() => session.hubs.hubs()[0]?.state.notRunning === true, 'not running', 3000);
      expect(changes).toContainEqual(expect.objectContaining({kind: 'removed', reason: 'hub-lost'}));

      // Started again: asyncvarlink replaces the stale socket, discovery sees it, the client is back at once.
      hub = await startPythonHub();
      await until(() => session.hubs.hubs()[0]?.state.status === 'connected', 'reconnected without waiting out the back-off', 1000);
      await until(() => hub.subscribers === 1, 'subscribed again');
      hub.emit(blocked(9, {container: C2}));
      await until(() => session.model.prompts().length === 1, 'a prompt from the new hub process');
      const prompt = session.model.prompts()[0]!;
      await session.answer(prompt.key, 'allow');
      await until(() => hub.verdicts.length === 1, 'verdict reported');
      expect(hub.verdicts).toEqual([[C2, `${C2}:9`, 'registry.example.net', 'allow']]);
      expect(warnings).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe('a Python hub without ContainerIdentity', () => {
  test('names nothing: the prompt keeps the container id, no error, the hub is asked once per connection', async () => {
    const hub = await startPythonHub();
    const warnings: string[] = [];
    const session = new PromptSession({changes: () => {}, hub: () => {}},
      {runtimeDir: runtime, log: quietLog(warnings), identity: hubIdentity});
    session.start();
    try {
      await until(() => hub.subscribers === 1, 'subscribed');
      hub.emit(blocked(1, {dossier: {}}));
      await until(() => session.model.prompts().length === 1, 'a prompt');
      const connection = () => session.hubs.hubs()[0]!;
      await until(() => connection().capabilities.containerIdentity === false, 'ContainerIdentity found missing');
      hub.emit(blocked(2, {dossier: {}, domain: 'b.example'}));
      await until(() => session.model.prompts().length === 2, 'a second prompt');
      expect(session.model.prompts().map((p) => p.identity)).toEqual([C1, C1]);
      expect(await session.hubs.containerIdentity(connection().id, C1)).toBe('');
      expect(warnings).toEqual([]);
    } finally {
      await session.close();
    }
  });
});

describe('the same session over a per-container Python hub', () => {
  test('found in the per-container layout and dropped when its socket goes', async () => {
    path = join(runtime, 'terok', 'clearance', C1, 'hub.sock');
    mkdirSync(join(path, '..'), {recursive: true, mode: 0o700});
    const hub = await startPythonHub();
    const seen: string[] = [];
    const session = new PromptSession({changes: () => {}, hub: (h, what) => { seen.push(`${what}:${h.label}:${h.state.status}`); }},
      {runtimeDir: runtime, log: quietLog([])});
    session.start();
    try {
      await until(() => session.hubs.hub(path)?.state.status === 'connected', 'connected');
      expect(session.hubs.hubs().map((h) => h.label).sort()).toEqual([C1, 'session']);
      await hub.kill();
      rmSync(path);
      await until(() => session.hubs.hub(path) === undefined, 'removed with its socket');
      expect(seen).toContain(`removed:${C1}:unavailable`);
    } finally {
      await session.close();
    }
  });
});
