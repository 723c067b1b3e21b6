// The hub over real unix sockets: wire.md §2 behaviours, each refusal path, bindings, fan-out.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import type {VerdictAction} from '../../../core/clearance/verdict.js';
import {VarlinkError} from '../../../core/varlink/errors.js';
import type {JsonObject} from '../../../core/varlink/message.js';
import {HUB_SERVER_LIMITS, serveClearance} from '../../../service/hub/clearance-service.js';
import type {ShieldApplier} from '../../../core/clearance/verdict.js';
import {ClearanceHub, type HubOptions} from '../../../service/hub/hub.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {VarlinkServer} from '../../../service/varlink/server.js';
import {RawPeer} from '../support/raw-varlink-peer.js';

const C1 = 'abc123def456';
const C2 = '0123456789ab';

/** A shield stand-in inside the test: records what it was asked, answers as told, optionally after a gate. */
class ScriptedShield implements ShieldApplier {
  calls: [string, string, VerdictAction][] = [];
  result = {ok: true, stderr: ''};
  gate: Promise<void> | undefined;
  async apply(container: string, dest: string, action: VerdictAction) {
    this.calls.push([container, dest, action]);
    await this.gate;
    return this.result;
  }
}

const blocked = (n: number, over: Partial<ClearanceEvent> = {}) => makeEvent({
  type: 'connection_blocked', container: C1, request_id: `${C1}:${n}`, dest: '198.51.100.1', port: 443, proto: 6,
  domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'}, ...over,
});

let dir: string;
let server: VarlinkServer;
let hub: ClearanceHub;
let shield: ScriptedShield;
let socketPath: string;
const clients: {close(): void}[] = [];

async function start(options: HubOptions = {}) {
  shield = new ScriptedShield();
  hub = new ClearanceHub(shield, options);
  server = new VarlinkServer({vendor: 'test', product: 'hub', version: '0', url: '', ...HUB_SERVER_LIMITS});
  serveClearance(server, hub);
  await server.listen({path: socketPath});
}

async function client(): Promise<VarlinkClient> {
  const c = await VarlinkClient.connect(socketPath);
  clients.push(c);
  return c;
}

/** A subscriber that collects events; resolves once the hub has registered it. */
async function subscriber(): Promise<{events: ClearanceEvent[]; next(n: number): Promise<ClearanceEvent[]>}> {
  const before = hub.subscriberCount;
  const c = await client();
  const events: ClearanceEvent[] = [];
  const stream = c.stream('org.terok.Clearance1.Subscribe');
  void (async () => {
    try {
      for await (const reply of stream) {
        events.push(reply.event as ClearanceEvent);
      }
    } catch { /* closed by the test */ }
  })();
  await until(() => hub.subscriberCount > before);
  return {
    events,
    async next(n) {
      await until(() => events.length >= n);
      return events.slice(0, n);
    },
  };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rejection(p: Promise<unknown>): Promise<VarlinkError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VarlinkError) return e;
    throw e;
  }
  throw new Error('expected a varlink error');
}

const verdict = (c: VarlinkClient, p: JsonObject) => c.call('org.terok.Clearance1.Verdict', p);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-'));
  socketPath = join(dir, 'run', 'hub.sock');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  rmSync(dir, {recursive: true, force: true});
});

describe('Subscribe', () => {
  beforeEach(() => start());

  test('without more is ExpectedMore', async () => {
    const e = await rejection((await client()).call('org.terok.Clearance1.Subscribe'));
    expect(e.errorName).toBe('org.varlink.service.ExpectedMore');
  });

  test('events stream with all 11 fields in wire order, as they happen, no replay', async () => {
    hub.ingest(blocked(1)); // before anyone subscribed: not replayed
    const peer = await RawPeer.connect(socketPath);
    peer.send({method: 'org.terok.Clearance1.Subscribe', more: true});
    await until(() => hub.subscriberCount === 1);
    hub.ingest(makeEvent({type: 'shield_up', container: C1}));
    const [reply] = await peer.waitFor(1);
    expect(JSON.stringify(reply)).toBe(
      '{"parameters":{"event":{"type":"shield_up","container":"abc123def456","request_id":"","dest":"","port":0,' +
      '"proto":0,"domain":"","action":"","ok":false,"reason":"","dossier":{}}},"continues":true}');
    peer.close();
  });
});

describe('Watch', () => {
  beforeEach(() => start());

  test('without more is ExpectedMore', async () => {
    const e = await rejection((await client()).call('org.terok.Clearance1.Watch'));
    expect(e.errorName).toBe('org.varlink.service.ExpectedMore');
  });

  test('the first reply is the pending snapshot, later ones single events, nothing else in either', async () => {
    hub.ingest(blocked(1));
    const peer = await RawPeer.connect(socketPath);
    peer.send({method: 'org.terok.Clearance1.Watch', more: true});
    const [first] = await peer.waitFor(1);
    expect(first).toEqual({parameters: {pending: [blocked(1)]}, continues: true});
    hub.ingest(blocked(2));
    const [, second] = await peer.waitFor(2);
    expect(second).toEqual({parameters: {event: blocked(2)}, continues: true});
    peer.close();
  });

  test('the snapshot and the registration are one step: a block ingested around the call is in exactly one', async () => {
    // Blocks keep arriving, one per turn of the event loop, from before the call until the stream has carried some:
    // every one of them must show up in the snapshot or on the stream, none in both.
    const ingested: string[] = [];
    let n = 0;
    let running = true;
    const feed = () => {
      if (!running) return;
      const event = blocked(++n);
      ingested.push(event.request_id);
      hub.ingest(event);
      setImmediate(feed);
    };
    feed();
    await until(() => n >= 20);
    const c = await client();
    const snapshot: string[] = [];
    const streamed: string[] = [];
    void (async () => {
      try {
        for await (const reply of c.stream('org.terok.Clearance1.Watch')) {
          if (reply.pending) snapshot.push(...(reply.pending as ClearanceEvent[]).map((e) => e.request_id));
          else streamed.push((reply.event as ClearanceEvent).request_id);
        }
      } catch { /* closed by the test */ }
    })();
    await until(() => streamed.length >= 20);
    running = false;
    await until(() => snapshot.length + streamed.length >= ingested.length);
    expect(snapshot.length).toBeGreaterThanOrEqual(20);
    expect([...snapshot, ...streamed]).toEqual(ingested);
  });
});

describe('Verdict', () => {
  beforeEach(() => start());

  test('InvalidAction is checked before the lookup', async () => {
    const e = await rejection(verdict(await client(), {container: C1, request_id: 'nope', dest: 'x', action: 'maybe'}));
    expect(e.errorName).toBe('org.terok.Clearance1.InvalidAction');
    expect(e.parameters).toEqual({action: 'maybe'});
  });

  test('an unknown request is UnknownRequest and nothing reaches the shield', async () => {
    const e = await rejection(verdict(await client(), {container: C1, request_id: `${C1}:9`, dest: 'x', action: 'allow'}));
    expect(e.errorName).toBe('org.terok.Clearance1.UnknownRequest');
    expect(e.parameters).toEqual({request_id: `${C1}:9`});
    expect(shield.calls).toEqual([]);
  });

  test('a mismatched tuple is refused and the binding kept', async () => {
    hub.ingest(blocked(1));
    const c = await client();
    const e = await rejection(verdict(c, {container: C1, request_id: `${C1}:1`, dest: '198.51.100.1', action: 'allow'}));
    expect(e.errorName).toBe('org.terok.Clearance1.VerdictTupleMismatch');
    expect(e.parameters).toEqual({expected_container: C1, expected_dest: 'registry.example.net',
      got_container: C1, got_dest: '198.51.100.1'});
    const other = await rejection(verdict(c, {container: C2, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'}));
    expect(other.errorName).toBe('org.terok.Clearance1.VerdictTupleMismatch');
    expect(shield.calls).toEqual([]);
    expect(await verdict(c, {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'}))
      .toEqual({ok: true});
    // The blocked address first (the shield resolves a domain itself, maybe elsewhere), then the domain.
    expect(shield.calls).toEqual([[C1, '198.51.100.1', 'allow'], [C1, 'registry.example.net', 'allow']]);
  });

  test('without a domain the binding is the IP', async () => {
    hub.ingest(blocked(2, {domain: ''}));
    expect(await verdict(await client(), {container: C1, request_id: `${C1}:2`, dest: '198.51.100.1', action: 'deny'}))
      .toEqual({ok: true});
    expect(shield.calls).toEqual([[C1, '198.51.100.1', 'deny']]);
  });

  test('verdict_applied reaches every subscriber before the reply', async () => {
    const subs = [await subscriber(), await subscriber(), await subscriber()];
    hub.ingest(blocked(1));
    await Promise.all(subs.map((s) => s.next(1)));
    const reply = await verdict(await client(), {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'});
    expect(reply).toEqual({ok: true});
    // The broadcast was written before the reply: by the time the reply is read, each stream has it queued.
    for (const s of subs) {
      const [, applied] = await s.next(2);
      expect(applied).toEqual(makeEvent({type: 'verdict_applied', container: C1, request_id: `${C1}:1`, action: 'allow', ok: true}));
    }
  });

  test('the broadcast is written before the Verdict call returns (the order itself, not only arrival)', async () => {
    // A sink that records what the hub hands to a subscriber's connection, so the order is checked where it is made.
    const sent: JsonObject[] = [];
    const gone = new AbortController();
    void hub.subscribe({send: (p) => (sent.push(p), true), drained: async () => {}, signal: gone.signal});
    hub.ingest(blocked(1));
    await hub.verdict(C1, `${C1}:1`, 'registry.example.net', 'allow');
    expect(sent.map((p) => (p.event as ClearanceEvent).type)).toEqual(['connection_blocked', 'verdict_applied']);
    gone.abort();
  });

  test('a shield failure is ShieldCliFailed, broadcast with ok false, and the request stays answerable', async () => {
    const sub = await subscriber();
    hub.ingest(blocked(1));
    shield.result = {ok: false, stderr: 'nft: permission denied'};
    const c = await client();
    const p = {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'};
    const e = await rejection(verdict(c, p));
    expect(e.errorName).toBe('org.terok.Clearance1.ShieldCliFailed');
    expect(e.parameters).toEqual({action: 'allow', stderr: 'nft: permission denied'});
    expect((await sub.next(2))[1]).toMatchObject({type: 'verdict_applied', ok: false, request_id: `${C1}:1`, reason: 'nft: permission denied'});
    shield.result = {ok: true, stderr: ''};
    expect(await verdict(c, p)).toEqual({ok: true});
  });

  test('two verdicts for one request at once: one applies, the other is UnknownRequest', async () => {
    hub.ingest(blocked(1));
    let open = () => {};
    shield.gate = new Promise((r) => { open = r; });
    const p = {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'};
    const first = verdict(await client(), p);
    await until(() => shield.calls.length === 1);
    const second = await rejection(verdict(await client(), {...p, action: 'deny'}));
    expect(second.errorName).toBe('org.terok.Clearance1.UnknownRequest');
    open();
    expect(await first).toEqual({ok: true});
    expect(shield.calls).toEqual([[C1, '198.51.100.1', 'allow'], [C1, 'registry.example.net', 'allow']]);
  });

  test('an allowed target also answers the other pending requests for it', async () => {
    const sub = await subscriber();
    hub.ingest(blocked(1));
    hub.ingest(blocked(2));
    hub.ingest(blocked(3, {domain: 'other.example.net'}));
    await verdict(await client(), {container: C1, request_id: `${C1}:2`, dest: 'registry.example.net', action: 'allow'});
    const applied = (await sub.next(5)).slice(3);
    expect(applied.map((e) => [e.type, e.request_id])).toEqual([
      ['verdict_applied', `${C1}:2`], ['verdict_applied', `${C1}:1`]]);
    expect(hub.pending().map((e) => e.request_id)).toEqual([`${C1}:3`]);
    expect(shield.calls).toHaveLength(2);
  });

  test('a failure after the container was purged does not resurrect the binding', async () => {
    hub.ingest(blocked(1));
    let open = () => {};
    shield.gate = new Promise((r) => { open = r; });
    shield.result = {ok: false, stderr: 'gone'};
    const pending = rejection(verdict(await client(), {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'}));
    await until(() => shield.calls.length === 1);
    hub.ingest(makeEvent({type: 'shield_down', container: C1}));
    open();
    expect((await pending).errorName).toBe('org.terok.Clearance1.ShieldCliFailed');
    expect(hub.pending()).toEqual([]);
  });
});

describe('bindings', () => {
  test.each(['shield_down', 'shield_disengaged', 'container_exited'])('%s purges that container only', async (type) => {
    await start();
    hub.ingest(blocked(1));
    hub.ingest(blocked(2, {container: C2, request_id: `${C2}:2`}));
    hub.ingest(makeEvent({type, container: C1}));
    expect(hub.pending().map((e) => e.request_id)).toEqual([`${C2}:2`]);
    const e = await rejection(verdict(await client(), {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'}));
    expect(e.errorName).toBe('org.terok.Clearance1.UnknownRequest');
  });

  test('shield_up does not purge', async () => {
    await start();
    hub.ingest(blocked(1));
    hub.ingest(makeEvent({type: 'shield_up', container: C1}));
    expect(hub.pending()).toHaveLength(1);
  });

  test('the cap evicts the oldest first', async () => {
    const evicted: [string, string][] = [];
    await start({limits: {maxBindings: 3, maxAgeMs: 60_000}, onEvict: (e, why) => evicted.push([e.request_id, why])});
    for (let n = 1; n <= 5; n++) hub.ingest(blocked(n));
    expect(hub.pending().map((e) => e.request_id)).toEqual([3, 4, 5].map((n) => `${C1}:${n}`));
    expect(evicted).toEqual([[`${C1}:1`, 'cap'], [`${C1}:2`, 'cap']]);
  });

  test('the age limit evicts stale bindings, and a stale verdict is UnknownRequest', async () => {
    let now = 1_000;
    await start({limits: {maxBindings: 100, maxAgeMs: 500}, now: () => now});
    hub.ingest(blocked(1));
    now += 400;
    hub.ingest(blocked(2));
    now += 200;
    const e = await rejection(verdict(await client(), {container: C1, request_id: `${C1}:1`, dest: 'registry.example.net', action: 'allow'}));
    expect(e.errorName).toBe('org.terok.Clearance1.UnknownRequest');
    expect(hub.pending().map((x) => x.request_id)).toEqual([`${C1}:2`]);
  });

  test('a refused verdict puts the binding back in its age order', async () => {
    const evicted: string[] = [];
    await start({limits: {maxBindings: 2, maxAgeMs: 60_000}, onEvict: (e) => evicted.push(e.request_id)});
    hub.ingest(blocked(1));
    hub.ingest(blocked(2));
    await rejection(verdict(await client(), {container: C1, request_id: `${C1}:1`, dest: 'wrong', action: 'allow'}));
    hub.ingest(blocked(3));
    expect(evicted).toEqual([`${C1}:1`]);
  });
});

describe('Pending and VerdictContainer', () => {
  beforeEach(() => start());

  test('Pending lists the waiting requests oldest first, as full events', async () => {
    hub.ingest(blocked(1));
    hub.ingest(blocked(2, {container: C2, request_id: `${C2}:2`}));
    const {events} = await (await client()).call('org.terok.Clearance1.Pending');
    expect(events).toEqual([blocked(1), blocked(2, {container: C2, request_id: `${C2}:2`})]);
  });

  test('VerdictContainer answers every request of one container, once per target', async () => {
    const sub = await subscriber();
    hub.ingest(blocked(1));
    hub.ingest(blocked(2));
    hub.ingest(blocked(3, {domain: '', dest: '203.0.113.9'}));
    hub.ingest(blocked(4, {container: C2, request_id: `${C2}:4`}));
    const {results} = await (await client()).call('org.terok.Clearance1.VerdictContainer', {container: C1, action: 'deny'});
    expect(results).toEqual([
      {target: 'registry.example.net', request_ids: [`${C1}:1`, `${C1}:2`], ok: true, stderr: ''},
      {target: '203.0.113.9', request_ids: [`${C1}:3`], ok: true, stderr: ''},
    ]);
    expect(shield.calls).toEqual([[C1, '198.51.100.1', 'deny'], [C1, 'registry.example.net', 'deny'],
      [C1, '203.0.113.9', 'deny']]);
    expect(hub.pending().map((e) => e.container)).toEqual([C2]);
    expect((await sub.next(7)).slice(4).map((e) => e.request_id)).toEqual([`${C1}:1`, `${C1}:2`, `${C1}:3`]);
  });

  test('VerdictContainer with a bad action is InvalidAction', async () => {
    const e = await rejection((await client()).call('org.terok.Clearance1.VerdictContainer', {container: C1, action: 'ALLOW'}));
    expect(e.errorName).toBe('org.terok.Clearance1.InvalidAction');
  });
});

describe('fan-out', () => {
  test('a stuck subscriber loses its oldest events and delays nobody', async () => {
    await start({queueDepth: 16});
    const live = await subscriber();
    // A subscriber that never reads: its kernel buffer and our output queue fill, then drop-oldest applies.
    const stuck = net.connect({path: socketPath});
    stuck.pause();
    stuck.write(JSON.stringify({method: 'org.terok.Clearance1.Subscribe', more: true}) + '\0');
    await until(() => hub.subscriberCount === 2);
    // Fed the way the ingester feeds it: a read's worth of lines per turn of the event loop. (The reader here
    // shares this process's event loop; the 100,000-event burst runs with separate processes in serve.test.ts.)
    const n = 5_000;
    for (let i = 1; i <= n; i++) {
      hub.ingest(blocked(i));
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    const got = await live.next(n);
    expect(got.map((e) => e.request_id)).toEqual(Array.from({length: n}, (_, i) => `${C1}:${i + 1}`));
    // The stuck one, once it reads again, gets a bounded tail: the newest events, with the oldest dropped.
    const frames: string[] = [];
    let text = '';
    stuck.setEncoding('utf8');
    stuck.on('data', (d: string) => {
      text += d;
      const parts = text.split('\0');
      text = parts.pop()!;
      frames.push(...parts);
    });
    stuck.resume();
    hub.ingest(makeEvent({type: 'shield_up', container: C2}));
    await until(() => frames.length > 0 && frames.at(-1)!.includes('shield_up'));
    expect(frames.length).toBeLessThan(n);
    expect(frames.at(-2)).toContain(`"request_id":"${C1}:${n}"`);
    stuck.destroy();
  });

  test('50 simultaneous connects all succeed', async () => {
    await start();
    const results = await Promise.allSettled(Array.from({length: 50}, () => VarlinkClient.connect(socketPath)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const infos = await Promise.all(results.map((r) => (r as PromiseFulfilledResult<VarlinkClient>).value.call('org.varlink.service.GetInfo')));
    expect(infos.every((i) => (i.interfaces as string[]).includes('org.terok.Clearance1'))).toBe(true);
    for (const r of results) (r as PromiseFulfilledResult<VarlinkClient>).value.close();
  });
});
