// PromptSession over several real hubs in a private runtime directory: the session hub and a per-container hub,
// snapshots merged, verdicts routed to the hub that emitted the request, container verdicts, one click one verdict,
// two UIs answering at once, a hub whose socket goes away, and a connection that drops and comes back.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {PromptChange} from '../../../core/clearance/prompts.js';
import {PromptSession} from '../../../service/client/node-prompt-session.js';
import {relay} from './support/relay.js';
import {blocked, C1, C2, startTestHub, until, type TestHub} from './support/test-hub.js';

let runtime: string;
let sessionHub: TestHub;
let containerHub: TestHub;
const sessions: PromptSession[] = [];

beforeEach(async () => {
  runtime = mkdtempSync(join(tmpdir(), 'psess-'));
  sessionHub = await startTestHub(join(runtime, 'terok-clearance.sock'));
  containerHub = await startTestHub(join(runtime, 'terok', 'clearance', C2, 'hub.sock'));
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await sessionHub.close();
  await containerHub.close();
  rmSync(runtime, {recursive: true, force: true});
});

function open(): {session: PromptSession; changes: PromptChange[]} {
  const changes: PromptChange[] = [];
  const session = new PromptSession({changes: (c) => { changes.push(...c); }, hub: () => {}}, {runtimeDir: runtime});
  sessions.push(session);
  session.start();
  return {session, changes};
}

const connected = (session: PromptSession) => session.hubs.hubs().length === 2
  && session.hubs.hubs().every((h) => h.state.status === 'connected');

describe('PromptSession', () => {
  test('merges every hub, catches up, and sends each verdict to the hub that emitted the request', async () => {
    sessionHub.hub.ingest(blocked(1));
    containerHub.hub.ingest(blocked(1, {container: C2, domain: 'pypi.example'}));
    const {session} = open();
    await until(() => connected(session) && session.model.prompts().length === 2, 'two hubs, two prompts');
    const [p1, p2] = session.model.prompts();
    expect(p1!.origin).toBe(sessionHub.path);
    expect(p2!.origin).toBe(containerHub.path);

    await session.answer(p2!.key, 'allow');
    expect(containerHub.shield.calls).toEqual([[C2, '198.51.100.1', 'allow'], [C2, 'pypi.example', 'allow']]);
    expect(sessionHub.shield.calls).toEqual([]);
    expect(session.model.results()[0]).toMatchObject({target: 'pypi.example', action: 'allow', ok: true});
  });

  test('a repeat block updates the prompt and the verdict answers the latest request', async () => {
    const {session} = open();
    await until(() => connected(session) && sessionHub.hub.subscriberCount === 1, 'subscribed');
    sessionHub.hub.ingest(blocked(1));
    sessionHub.hub.ingest(blocked(2));
    await until(() => session.model.prompts()[0]?.count === 2, 'repeat counted');
    expect(session.model.prompts()).toHaveLength(1);
    expect(session.model.prompts()[0]!.requestId).toBe(`${C1}:2`);
    await session.answer(session.model.prompts()[0]!.key, 'deny');
    expect(sessionHub.shield.calls).toEqual([[C1, '198.51.100.1', 'deny'], [C1, 'registry.example.net', 'deny']]);
    expect(session.model.prompts()).toEqual([]);
  });

  test('a container verdict goes out as one VerdictContainer call; a failed target stays answerable', async () => {
    sessionHub.hub.ingest(blocked(1));
    sessionHub.hub.ingest(blocked(2, {domain: 'b.example'}));
    const {session, changes} = open();
    await until(() => connected(session) && session.model.prompts().length === 2, 'prompts');
    sessionHub.shield.result = {ok: false, stderr: 'nft: busy'};
    const sent = session.answerContainer(C1, 'allow');
    expect(sent?.count).toBe(2);
    expect(session.answerContainer(C1, 'allow')).toBeNull(); // both in flight: nothing more is sent
    await sent!.done;
    // The shield refuses each blocked address, so neither domain is tried.
    expect(sessionHub.shield.calls.map((c) => c[1])).toEqual(['198.51.100.1', '198.51.100.1']);
    // Each failure is reported by the hub's verdict_applied (while ours is in flight) and by our settling it.
    expect(changes.filter((c) => c.kind === 'failed' && c.prompt.inFlight === null)).toHaveLength(2);
    expect(session.model.prompts().map((p) => p.failure?.stderr)).toEqual(['nft: busy', 'nft: busy']);

    sessionHub.shield.result = {ok: true, stderr: ''};
    await session.answerContainer(C1, 'allow')!.done;
    expect(session.model.prompts()).toEqual([]);
  });

  test('one click, one verdict; two UIs answering at once apply it once', async () => {
    sessionHub.hub.ingest(blocked(1));
    const a = open();
    const b = open();
    await until(() => connected(a.session) && connected(b.session)
      && a.session.model.prompts().length === 1 && b.session.model.prompts().length === 1, 'both see the prompt');
    const key = a.session.model.prompts()[0]!.key;
    const first = a.session.answer(key, 'allow');
    expect(a.session.answer(key, 'allow')).toBeNull();
    await Promise.all([first, b.session.answer(key, 'deny')]);
    expect(sessionHub.shield.calls).toHaveLength(2);
    expect(a.session.model.prompts()).toEqual([]);
    expect(b.session.model.prompts()).toEqual([]);
    // Whoever lost the race saw "already answered", never an error.
    const loser = sessionHub.shield.calls[0]![2] === 'allow' ? b : a;
    expect(loser.changes.filter((c) => c.kind === 'failed')).toEqual([]);
  });

  test('a dropped connection keeps the prompts and their numbers; the snapshot on reconnect settles them', async () => {
    // The session hub behind a relay at its socket, so its connections can be cut while the hub (and what it holds)
    // stays: a restarted hub would have lost its bindings.
    const socket = join(runtime, 'terok-clearance.sock');
    await sessionHub.close();
    sessionHub = await startTestHub(join(runtime, 'upstream', 'hub.sock'));
    const through = await relay(socket, sessionHub.path);
    try {
      const hub = sessionHub.hub;
      hub.ingest(blocked(1));
      hub.ingest(blocked(2, {domain: 'b.example'}));
      hub.ingest(blocked(3, {domain: 'c.example'}));
      const {session, changes} = open();
      await until(() => connected(session) && session.model.prompts().length === 3, 'three prompts');
      const before = session.model.prompts();

      const cut = through.connections.length;
      for (const connection of through.connections) connection.destroy();
      await until(() => session.hubs.hub(socket)?.state.status === 'unavailable', 'the connection is down');
      expect(session.model.prompts()).toEqual(before); // kept, nothing new
      // Answering while the hub is unreachable fails, and the prompt stays.
      await session.answer(before[2]!.key, 'deny');
      expect(session.model.get(before[2]!.key)?.failure?.stderr).toMatch(/unavailable/);
      expect(hub.pendingCount).toBe(3);
      // Meanwhile another UI answers one, and a new block arrives.
      await hub.verdict(C1, `${C1}:2`, 'b.example', 'allow');
      hub.ingest(blocked(4, {domain: 'd.example'}));

      await until(() => through.connections.length > cut && connected(session)
        && session.model.prompts().length === 3, 'reconnected and reconciled', 5000);
      const after = session.model.prompts();
      expect(after.map((p) => [p.number, p.target])).toEqual([
        [before[0]!.number, 'registry.example.net'], [before[2]!.number, 'c.example'], [before[2]!.number + 1, 'd.example'],
      ]);
      expect(changes.filter((c) => c.kind === 'removed')).toEqual([
        expect.objectContaining({reason: 'hub-lost', prompt: expect.objectContaining({target: 'b.example'})}),
      ]);
      // The kept prompt is answerable again, at the same hub.
      await session.answer(after[1]!.key, 'deny');
      expect(sessionHub.shield.calls.at(-1)).toEqual([C1, 'c.example', 'deny']);
      expect(session.model.prompts().map((p) => p.target)).toEqual(['registry.example.net', 'd.example']);
    } finally {
      await through.close();
    }
  });

  test('a per-container hub whose socket goes away takes its prompts with it', async () => {
    containerHub.hub.ingest(blocked(1, {container: C2}));
    const {session, changes} = open();
    await until(() => connected(session) && session.model.prompts().length === 1, 'prompt');
    await containerHub.close();
    await until(() => session.hubs.hub(containerHub.path) === undefined, 'hub removed');
    expect(session.model.prompts()).toEqual([]);
    expect(changes.at(-1)).toMatchObject({kind: 'removed', reason: 'hub-lost'});
  });
});
