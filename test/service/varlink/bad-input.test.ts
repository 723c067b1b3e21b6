// Every class of bad input from issue 2, each against a real server socket: the right varlink error or a closed
// connection for that peer, and nothing lost for anyone else (a good client keeps streaming throughout).
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test} from '@jest/globals';
import net from 'node:net';
import {StandardError} from '../../../core/varlink/errors.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {startExample, until} from '../support/example-service.js';
import type {ExampleService} from '../support/example-service.js';
import {RawPeer, sleep} from '../support/raw-varlink-peer.js';

const ADD = {method: 'org.example.test.Add', parameters: {a: 1, b: 2}};

let stderr: ReturnType<typeof jest.spyOn>;
let logged = '';
beforeEach(() => {
  logged = '';
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    logged += String(chunk);
    return true;
  });
});
afterEach(() => stderr.mockRestore());

describe('frames that are not calls close that connection, with a warning', () => {
  let svc: ExampleService;
  beforeAll(async () => {
    svc = await startExample();
  });
  afterAll(() => svc.stop());

  test.each([
    ['malformed JSON', '{"method":"org.example.test.Add",'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['an empty frame', ''],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"org.example.test.Add"'],
    ['JSON null', 'null'],
    ['a missing method', '{"parameters":{"a":1,"b":2}}'],
    ['a numeric method', '{"method":42}'],
    ['a null method', '{"method":null}'],
    ['an unqualified method', '{"method":"Add"}'],
    ['a method with a lower-case member', '{"method":"org.example.test.add"}'],
  ])('%s', async (_name, frame) => {
    const peer = await RawPeer.connect(svc.path);
    peer.sendRaw(typeof frame === 'string' ? frame + '\0' : Buffer.concat([frame, Buffer.from([0])]));
    peer.send(ADD); // never answered: the connection is gone
    expect(await peer.closesWithin()).toBe(true);
    expect(peer.received).toEqual([]);
    expect(logged).toMatch(/warning: varlink: connection \d+: .*closing it|<4>varlink: connection \d+: .*closing it/);
  });

  test('calls before the bad frame are still answered, in order', async () => {
    const peer = await RawPeer.connect(svc.path);
    peer.sendRaw(JSON.stringify(ADD) + '\0' + 'garbage\0' + JSON.stringify(ADD) + '\0');
    expect(await peer.closesWithin()).toBe(true);
    expect(peer.received).toEqual([{parameters: {sum: 3}}]);
  });
});

describe('well-formed calls with bad flags or parameters get an error and keep the connection', () => {
  let svc: ExampleService;
  let peer: RawPeer;
  beforeAll(async () => {
    svc = await startExample();
    peer = await RawPeer.connect(svc.path);
  });
  afterAll(async () => {
    peer.close();
    await svc.stop();
  });

  test.each([
    ['a string "more"', {...ADD, more: 'yes'}, 'more'],
    ['a numeric "oneway"', {...ADD, oneway: 1}, 'oneway'],
    ['an object "upgrade"', {...ADD, upgrade: {}}, 'upgrade'],
    ['array parameters', {method: ADD.method, parameters: [1, 2]}, 'parameters'],
    ['string parameters', {method: ADD.method, parameters: 'a=1'}, 'parameters'],
    ['a missing parameter', {method: ADD.method, parameters: {a: 1}}, 'b'],
    ['a wrong parameter type', {method: ADD.method, parameters: {a: 1, b: true}}, 'b'],
    ['an unknown parameter', {method: ADD.method, parameters: {a: 1, b: 2, z: 0}}, 'z'],
    ['a null for a required parameter', {method: ADD.method, parameters: {a: null, b: 2}}, 'a'],
  ])('%s', async (_name, call, parameter) => {
    const before = peer.received.length;
    peer.send(call);
    peer.send(ADD);
    expect((await peer.waitFor(before + 2)).slice(before)).toEqual([
      {error: StandardError.InvalidParameter, parameters: {parameter}},
      {parameters: {sum: 3}},
    ]);
  });

  test('unknown top-level keys are ignored', async () => {
    const before = peer.received.length;
    peer.send({...ADD, 'x-vendor-hint': true, extra: {nested: 1}});
    expect((await peer.waitFor(before + 1))[before]).toEqual({parameters: {sum: 3}});
  });
});

describe('size limits', () => {
  let svc: ExampleService;
  beforeAll(async () => {
    svc = await startExample({maxMessageBytes: 4096});
  });
  afterAll(() => svc.stop());

  test('a complete message over the cap closes the connection', async () => {
    const peer = await RawPeer.connect(svc.path);
    peer.send({method: 'org.example.test.Echo', parameters: {text: 'x'.repeat(5000)}});
    expect(await peer.closesWithin()).toBe(true);
    expect(peer.received).toEqual([]);
    expect(logged).toMatch(/exceeds 4096 bytes; closing it/);
  });

  test('an unfinished message over the cap closes the connection before it ends', async () => {
    const peer = await RawPeer.connect(svc.path);
    peer.sendRaw('{"method":"org.example.test.Echo","parameters":{"text":"');
    for (let i = 0; i < 5; i++) peer.sendRaw('y'.repeat(1000));
    expect(await peer.closesWithin()).toBe(true);
  });

  test('a message just under the cap is served', async () => {
    const peer = await RawPeer.connect(svc.path);
    const overhead = JSON.stringify({method: 'org.example.test.Echo', parameters: {text: ''}}).length;
    peer.send({method: 'org.example.test.Echo', parameters: {text: 'z'.repeat(4096 - overhead)}});
    const [reply] = await peer.waitFor(1);
    expect(((reply!.parameters as {text: string}).text).length).toBe(4096 - overhead);
    peer.close();
  });

  test('the default cap is 16 MiB: an unfinished message past it closes the connection', async () => {
    const big = await startExample();
    try {
      const peer = await RawPeer.connect(big.path);
      peer.sendRaw('{"method":"org.example.test.Echo","parameters":{"text":"');
      const chunk = 'w'.repeat(1024 * 1024);
      for (let i = 0; i < 17; i++) peer.sendRaw(chunk);
      expect(await peer.closesWithin(10_000)).toBe(true);
      expect(logged).toMatch(/exceeds 16777216 bytes/);
    } finally {
      await big.stop();
    }
  });
});

describe('connection limit', () => {
  test('at the limit the longest-idle connection makes room; a stream and a half-sent message are never dropped', async () => {
    const svc = await startExample({maxConnections: 3});
    const streaming = await RawPeer.connect(svc.path);
    const halfway = await RawPeer.connect(svc.path);
    const idle = await RawPeer.connect(svc.path);
    try {
      streaming.send({method: 'org.example.test.Ticks', more: true});
      halfway.sendRaw('{"method":"org.example.test.Add","par');
      idle.send(ADD);
      await idle.waitFor(1);
      await until(() => svc.server.connectionCount === 3, 5000, 'three connections');

      const fresh = await RawPeer.connect(svc.path);
      fresh.send(ADD);
      expect(await fresh.waitFor(1)).toEqual([{parameters: {sum: 3}}]);
      expect(await idle.closesWithin()).toBe(true);
      expect(logged).toMatch(/at the limit of 3 connections; closing the longest-idle one/);

      // Now every connection is busy or newest: the fresh one is idle again, so one more replaces it...
      const another = await RawPeer.connect(svc.path);
      another.send({method: 'org.example.test.Sleep', parameters: {ms: 2000, tag: 'busy'}});
      expect(await fresh.closesWithin()).toBe(true);
      // ...and with the stream, the half-sent message and a call in flight, a newcomer is the one refused.
      const refused = await RawPeer.connect(svc.path);
      refused.send(ADD);
      expect(await refused.closesWithin()).toBe(true);
      expect(refused.received).toEqual([]);
      expect(logged).toMatch(/3 connections open \(the limit\), all busy; refusing one more/);
      expect(streaming.socket.destroyed).toBe(false);
      halfway.sendRaw('ameters":{"a":2,"b":2}}\0');
      expect(await halfway.waitFor(1)).toEqual([{parameters: {sum: 4}}]);
      expect(await another.waitFor(1)).toEqual([{parameters: {tag: 'busy'}}]);
      another.close();
    } finally {
      for (const peer of [streaming, halfway, idle]) peer.close();
      await svc.stop();
    }
  });

  test('prefers a connection that never completed a message over one that did', async () => {
    const svc = await startExample({maxConnections: 2});
    const used = await RawPeer.connect(svc.path);
    used.send(ADD);
    await used.waitFor(1);
    const silent = await RawPeer.connect(svc.path);
    try {
      await until(() => svc.server.connectionCount === 2, 5000, 'two connections');
      const fresh = await RawPeer.connect(svc.path);
      fresh.send(ADD);
      expect(await fresh.waitFor(1)).toEqual([{parameters: {sum: 3}}]);
      expect(await silent.closesWithin()).toBe(true);
      used.send(ADD);
      expect(await used.waitFor(2)).toHaveLength(2);
      fresh.close();
    } finally {
      used.close();
      silent.close();
      await svc.stop();
    }
  });

  test('a connection that completes no first message in time is closed; one that did stays', async () => {
    const svc = await startExample({firstMessageTimeoutMs: 300});
    const silent = await RawPeer.connect(svc.path);
    const partial = await RawPeer.connect(svc.path);
    const talker = await RawPeer.connect(svc.path);
    try {
      partial.sendRaw('{"method":');
      talker.send(ADD);
      await talker.waitFor(1);
      expect(await silent.closesWithin(2000)).toBe(true);
      expect(await partial.closesWithin(2000)).toBe(true);
      expect(logged).toMatch(/no complete message within 300 ms; closing it/);
      await sleep(300);
      talker.send(ADD);
      expect(await talker.waitFor(2)).toHaveLength(2);
    } finally {
      talker.close();
      await svc.stop();
    }
  });
});

describe('a peer that stops reading', () => {
  test('is disconnected once its queued output passes the cap; send() reported the high-water mark first', async () => {
    const svc = await startExample({maxQueuedOutputBytes: 1024 * 1024, outputHighWaterBytes: 64 * 1024});
    try {
      const stalled = net.connect({path: svc.path});
      stalled.on('error', () => {});
      await new Promise((resolve) => stalled.once('connect', resolve));
      stalled.pause(); // never reads
      stalled.write(JSON.stringify({method: 'org.example.test.Flood', parameters: {size: 16 * 1024}, more: true}) + '\0');
      await until(() => svc.floods[0]?.aborted === true, 10_000, 'the flood to be cut off');
      expect(svc.floods[0]!.sawHighWater).toBe(true);
      await until(() => svc.server.connectionCount === 0, 5000, 'the connection to go');
      expect(logged).toMatch(/peer is not reading, \d+ bytes queued \(cap 1048576\); closing it/);
      stalled.destroy();
    } finally {
      await svc.stop();
    }
  });
});

describe('one bad peer never affects the others', () => {
  test('a good client keeps streaming, gap-free, while others misbehave in every way', async () => {
    const svc = await startExample({maxMessageBytes: 64 * 1024, maxQueuedOutputBytes: 512 * 1024});
    const good = await VarlinkClient.connect(svc.path);
    const rpc = await VarlinkClient.connect(svc.path);
    try {
      const stream = good.stream('org.example.test.Ticks');
      const received: number[] = [];
      const consuming = (async () => {
        for await (const {tick} of stream) {
          received.push(tick as number);
          if (tick === 200) break;
        }
      })();
      await until(() => svc.tickSignals.length === 1, 5000, 'the good stream to start');

      const ticking = (async () => {
        for (let n = 1; n <= 200; n++) {
          svc.tick(n);
          await sleep(2);
        }
      })();
      const misbehave = async (bytes: string) => {
        const bad = await RawPeer.connect(svc.path);
        bad.sendRaw(bytes);
        return bad.closesWithin();
      };
      const stalled = net.connect({path: svc.path});
      stalled.on('error', () => {});
      stalled.pause();
      stalled.write(JSON.stringify({method: 'org.example.test.Flood', parameters: {size: 8192}, more: true}) + '\0');
      const closedBad = await Promise.all([
        misbehave('{not json\0'),
        misbehave('[]\0'),
        misbehave('{"method":7}\0'),
        misbehave('{"method":"org.example.test.Echo","parameters":{"text":"' + 'q'.repeat(70_000)),
        misbehave(JSON.stringify({...ADD, more: 'x'}) + '\0' + '\0'),
      ]);
      expect(closedBad).toEqual([true, true, true, true, true]);
      expect(await rpc.call('org.example.test.Add', {a: 20, b: 22})).toEqual({sum: 42});
      await ticking;
      await consuming;
      expect(received).toEqual(Array.from({length: 200}, (_, i) => i + 1));
      await until(() => svc.floods[0]?.aborted === true, 10_000, 'the stalled peer to be cut off');
      stalled.destroy();
    } finally {
      good.close();
      rpc.close();
      await svc.stop();
    }
  });
});
