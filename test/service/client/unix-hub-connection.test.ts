// HubConnection against the hub's own logic served on a real unix socket: catch-up, live events, verdicts, a hub
// stopped and started again mid-stream, malformed events, identity lookups on a connection of their own, back-off,
// and teardown. Reconnect delays run 50 times faster than asked (the scheduler records what was asked), so the
// back-off sequence is checked without waiting it.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {requireMore, VarlinkServer} from '../../../service/varlink/server.js';
import {HubConnection, type HubState} from '../../../service/client/unix-hub-connection.js';
import type {Scheduler} from '../../../service/client/node-timers.js';
import {relay} from './support/relay.js';
import {blocked, C1, C2, startTestHub, until, type TestHub} from './support/test-hub.js';

let dir: string;
let path: string;
let hub: TestHub | undefined;
let connection: HubConnection | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubc-'));
  path = join(dir, 'run', 'terok-clearance.sock');
});

afterEach(async () => {
  await connection?.close();
  await hub?.close();
  connection = hub = undefined;
  rmSync(dir, {recursive: true, force: true});
});

const FAR = 3_600_000;

/** Real timers, 50 times faster; every requested delay but FAR is recorded. */
function fastScheduler(): Scheduler & {delays: number[]; clock: number} {
  const s = {
    delays: [] as number[],
    clock: 0,
    now: () => s.clock,
    after(ms: number, fn: () => void) {
      if (ms !== FAR) s.delays.push(ms);
      const timer = setTimeout(fn, ms / 50);
      return () => clearTimeout(timer);
    },
  };
  return s;
}

function recorder() {
  const r = {
    states: [] as HubState[],
    snapshots: [] as (ClearanceEvent[] | null)[],
    events: [] as ClearanceEvent[],
    warnings: [] as string[],
    log: {error: (m: string) => r.warnings.push(m), warning: (m: string) => r.warnings.push(m), info: () => {}, debug: () => {}},
    listener: {
      state: (s: HubState) => { r.states.push(s); },
      snapshot: (p: ClearanceEvent[] | null) => { r.snapshots.push(p); },
      event: (e: ClearanceEvent) => { r.events.push(e); },
    },
    get status() { return r.states.at(-1)?.status; },
  };
  return r;
}

function connect(r: ReturnType<typeof recorder>, scheduler = fastScheduler()): HubConnection {
  // The snapshot and retirement timers far off (this scheduler runs 50x fast), so `delays` holds only the back-off's.
  connection = new HubConnection(path, r.listener, {scheduler, log: r.log, firstReplyTimeoutMs: FAR, retireAfterMs: FAR});
  connection.start();
  return connection;
}

describe('catch-up and live events', () => {
  test('a client started after blocks were emitted gets them from Pending, then live events in order', async () => {
    hub = await startTestHub(path);
    hub.hub.ingest(blocked(1));
    hub.hub.ingest(blocked(2, {domain: 'other.example.org'}));
    const r = recorder();
    const c = connect(r);
    await until(() => r.snapshots.length === 1, 'snapshot');
    expect(r.states.map((s) => s.status)).toEqual(['connected']);
    expect(c.capabilities).toMatchObject({pending: true, verdictContainer: null, containerIdentity: null}); // decide: asked at connect
    expect(r.snapshots[0]!.map((e) => e.request_id)).toEqual([`${C1}:1`, `${C1}:2`]);

    await until(() => hub!.hub.subscriberCount === 1, 'subscribed');
    hub.hub.ingest(blocked(3));
    hub.hub.ingest(makeEvent({type: 'shield_up', container: C2}));
    await until(() => r.events.length === 2, 'live events');
    expect(r.events.map((e) => e.type)).toEqual(['connection_blocked', 'shield_up']);
    expect(r.warnings).toEqual([]);
  });

  test('verdicts: applied, already answered, shield failure, tuple mismatch, container-wide', async () => {
    hub = await startTestHub(path);
    hub.hub.ingest(blocked(1));
    hub.hub.ingest(blocked(2, {domain: 'b.example'}));
    hub.hub.ingest(blocked(3, {domain: 'c.example'}));
    const r = recorder();
    const c = connect(r);
    await until(() => r.status === 'connected', 'connected');

    expect(await c.verdict(C1, `${C1}:1`, 'registry.example.net', 'allow')).toEqual({kind: 'applied'});
    expect(hub.shield.calls).toEqual([[C1, '198.51.100.1', 'allow'], [C1, 'registry.example.net', 'allow']]);
    expect(await c.verdict(C1, `${C1}:1`, 'registry.example.net', 'allow')).toEqual({kind: 'unknown-request'});

    hub.shield.result = {ok: false, stderr: 'nft: no such table'};
    expect(await c.verdict(C1, `${C1}:2`, 'b.example', 'deny')).toEqual({kind: 'failed', detail: 'nft: no such table'});
    expect(await c.verdict(C1, `${C1}:2`, 'wrong.example', 'deny')).toMatchObject({kind: 'failed'});

    hub.shield.result = {ok: true, stderr: ''};
    const outcome = await c.verdictContainer(C1, 'deny');
    expect(outcome).toEqual({kind: 'applied', results: [
      {target: 'b.example', request_ids: [`${C1}:2`], ok: true, stderr: ''},
      {target: 'c.example', request_ids: [`${C1}:3`], ok: true, stderr: ''},
    ]});
    expect(c.capabilities.verdictContainer).toBe(true);
  });

  test('a block both in the snapshot and on the stream is delivered once', async () => {
    // A hub whose Pending answers only after an event went out on the stream: that event is also in the snapshot.
    const events: ClearanceEvent[] = [blocked(1)];
    let subscriber: ((e: ClearanceEvent) => void) | undefined;
    const server = new VarlinkServer({vendor: 't', product: 't', version: '0', url: ''});
    const idl = (await import('../../../service/hub/clearance-idl.js')).CLEARANCE_IDL;
    server.addInterface(idl, {
      Subscribe: requireMore((ctx) => new Promise<void>((resolve) => {
        subscriber = (event) => ctx.send({event});
        ctx.signal.addEventListener('abort', () => resolve());
      })),
      Pending: async () => {
        await until(() => subscriber !== undefined, 'subscribed');
        const late = blocked(2);
        events.push(late);
        subscriber!(late);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return {events};
      },
      Verdict: () => ({ok: true}),
      VerdictContainer: () => ({results: []}),
    });
    await server.listen({path});
    try {
      const r = recorder();
      connect(r);
      await until(() => r.snapshots.length === 1, 'snapshot');
      subscriber!(blocked(3));
      await until(() => r.events.length >= 1, 'live event');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(r.snapshots[0]!.map((e) => e.request_id)).toEqual([`${C1}:1`, `${C1}:2`]);
      expect(r.events.map((e) => e.request_id)).toEqual([`${C1}:3`]);
    } finally {
      await connection?.close();
      await server.close();
    }
  });

  test('malformed events are reported and skipped; the stream goes on', async () => {
    // A hub that does not follow the contract: its IDL lets any object through as an event.
    const server = new VarlinkServer({vendor: 't', product: 't', version: '0', url: ''});
    server.addInterface(`interface org.terok.Clearance1
method Subscribe() -> (event: object)
`, {
      Subscribe: requireMore(async (ctx) => {
        ctx.send({event: {...blocked(1), port: '443'}});
        ctx.send({event: {...blocked(2), extra: 1}});
        ctx.send({event: {...blocked(3), dossier: {name: 7}}});
        ctx.send({event: {type: 'connection_blocked'}});
        ctx.send({event: blocked(4)});
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      }),
    });
    await server.listen({path});
    try {
      const r = recorder();
      connect(r);
      await until(() => r.events.length === 1, 'the one good event');
      expect(r.events[0]!.request_id).toBe(`${C1}:4`);
      expect(r.snapshots).toEqual([null]); // no Pending here: InterfaceNotFound is not an error
      expect(r.warnings).toHaveLength(4);
      expect(r.warnings.every((w) => w.includes('malformed Subscribe reply skipped'))).toBe(true);
      expect(r.status).toBe('connected');
    } finally {
      await connection?.close();
      await server.close();
    }
  });
});

describe('hub restarts and back-off', () => {
  test('stopped mid-stream: not running, retried with 1 s doubling to 10 s, caught up after it is back', async () => {
    hub = await startTestHub(path);
    const r = recorder();
    const scheduler = fastScheduler();
    connect(r, scheduler);
    await until(() => r.status === 'connected', 'connected');
    await until(() => hub!.hub.subscriberCount === 1, 'subscribed');
    hub.hub.ingest(blocked(1));
    await until(() => r.events.length === 1, 'event before the stop');

    await hub.close();
    await until(() => r.status === 'unavailable', 'unavailable');
    expect(r.states.at(-1)).toEqual({status: 'unavailable', notRunning: true,
      reason: `not running (its socket ${path} was removed)`});
    // Retries at 1, 2, 4, 8, 10, 10 s (run here 50x faster); each failure is the same "not running": one state.
    await until(() => scheduler.delays.length >= 6, 'six retries', 10_000);
    expect(scheduler.delays.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(r.states.filter((s) => s.status === 'unavailable').length).toBeLessThanOrEqual(2);
    expect(r.states.every((s) => s.status !== 'unavailable' || s.notRunning)).toBe(true);

    hub = await startTestHub(path);
    hub.hub.ingest(blocked(7));
    connection!.retryNow();
    await until(() => r.snapshots.length === 2, 'caught up after the restart');
    expect(r.snapshots[1]!.map((e) => e.request_id)).toEqual([`${C1}:7`]);
    expect(r.status).toBe('connected');
    await until(() => hub!.hub.subscriberCount === 1, 'subscribed again');
    hub.hub.ingest(blocked(8));
    await until(() => r.events.length === 2, 'live again');
    expect(r.events[1]!.request_id).toBe(`${C1}:8`);
  });

  test('a connection that held is retried at once when it ends, and the back-off starts again from 1 s', async () => {
    const r = recorder();
    const scheduler = fastScheduler();
    connect(r, scheduler);
    await until(() => scheduler.delays.length >= 2, 'two failed attempts');
    hub = await startTestHub(path);
    connection!.retryNow();
    await until(() => r.status === 'connected', 'connected');
    const before = scheduler.delays.length;
    scheduler.clock += 5000; // the connection has held

    await hub.close();
    await until(() => scheduler.delays.length > before, 'the retry after the immediate attempt');
    expect(r.states.slice(-2).map((s) => s.status)).toEqual(['connecting', 'unavailable']);
    expect(scheduler.delays[before]).toBe(1000);
  });

  test('a connection that drops straight away goes on through the growing delays', async () => {
    const r = recorder();
    const scheduler = fastScheduler();
    connect(r, scheduler);
    await until(() => scheduler.delays.length >= 2, 'two failed attempts');
    hub = await startTestHub(path);
    connection!.retryNow();
    await until(() => r.status === 'connected', 'connected');
    const before = scheduler.delays.length;
    await hub.close();
    await until(() => scheduler.delays.length > before, 'next retry');
    expect(r.states.at(-1)?.status).toBe('unavailable');
    expect(scheduler.delays.slice(0, before + 1)).toEqual([1000, 2000, 4000].slice(0, before + 1));
  });

  test('the hub not running at start is a normal state, reported once', async () => {
    const r = recorder();
    const scheduler = fastScheduler();
    connect(r, scheduler);
    await until(() => scheduler.delays.length >= 3, 'three attempts');
    expect(r.states).toEqual([{status: 'unavailable', notRunning: true, reason: `not running (no socket at ${path})`}]);
    expect(r.warnings).toEqual([]);
    expect(await connection!.verdict(C1, `${C1}:1`, 'x', 'allow')).toEqual({kind: 'unreachable',
      detail: `hub ${path} unavailable: not running (no socket at ${path})`});
  });
});

describe('identity lookups', () => {
  const task = {project: 'warp', task: 't42', name: 'build'};

  test('a slow ContainerIdentity does not hold up a verdict: lookups have a connection of their own', async () => {
    const asked: string[] = [];
    hub = await startTestHub(path, {identify: async (container) => {
      asked.push(container);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return task;
    }});
    hub.hub.ingest(blocked(1));
    const r = recorder();
    const c = connect(r);
    await until(() => r.status === 'connected', 'connected');
    expect(hub.server.connectionCount).toBe(2); // not opened before the first lookup
    const lookup = c.containerIdentity(C1);
    await until(() => asked.length === 1, 'the lookup reached the helper');
    const started = Date.now();
    expect(await c.verdict(C1, `${C1}:1`, 'registry.example.net', 'allow')).toEqual({kind: 'applied'});
    expect(Date.now() - started).toBeLessThan(300);
    expect(await lookup).toBe('warp/t42 · build');
    expect(c.capabilities.containerIdentity).toBe(true);
    expect(hub.server.connectionCount).toBe(3);
    await c.close();
    await until(() => hub!.server.connectionCount === 0, 'all three closed');
  });

  test('a broken identity connection is opened again by the next lookup; the hub stays connected', async () => {
    const hubPath = join(dir, 'hub.sock');
    hub = await startTestHub(hubPath, {identify: async () => task});
    hub.hub.ingest(blocked(1));
    const through = await relay(path, hubPath);
    try {
      const r = recorder();
      const c = connect(r);
      await until(() => r.status === 'connected', 'connected');
      expect(await c.containerIdentity(C1)).toBe('warp/t42 · build');
      expect(through.connections).toHaveLength(3);
      through.connections[2]!.destroy();
      await until(() => hub!.server.connectionCount === 2, 'the identity connection gone at the hub');
      await new Promise((resolve) => setTimeout(resolve, 50)); // and at the client
      expect(await c.containerIdentity(C1)).toBe('warp/t42 · build');
      expect(through.connections).toHaveLength(4);
      expect(r.states.map((s) => s.status)).toEqual(['connected']);
      expect(await c.verdict(C1, `${C1}:1`, 'registry.example.net', 'allow')).toEqual({kind: 'applied'});
    } finally {
      await through.close();
    }
  });
});

describe('teardown', () => {
  test('close() ends both connections and every timer; nothing is reported afterwards', async () => {
    hub = await startTestHub(path);
    const r = recorder();
    const c = connect(r);
    await until(() => r.status === 'connected', 'connected');
    await until(() => hub!.server.connectionCount === 2, 'two connections: stream and calls');
    await c.close();
    await until(() => hub!.server.connectionCount === 0, 'both closed');
    const seen = r.states.length;
    await hub.close();
    hub = await startTestHub(path);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.states.length).toBe(seen);
    expect(hub.server.connectionCount).toBe(0);
  });
});
