// The varlink client against our server on a real socket, and against raw servers that misbehave on purpose.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import net from 'node:net';
import {join} from 'node:path';
import {StandardError, VarlinkError} from '../../../core/varlink/errors.js';
import {ProtocolError} from '../../../core/varlink/message.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {ConnectionClosedError, TimeoutError} from '../../../core/varlink/transport-errors.js';
import {startExample, until} from '../support/example-service.js';
import type {ExampleService} from '../support/example-service.js';
import {socketDir} from '../support/peers.js';
import {makeStaleSocket} from '../support/stale-socket.js';

let svc: ExampleService;
beforeAll(async () => {
  svc = await startExample();
});
afterAll(() => svc.stop());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

describe('calls', () => {
  test('resolves with the reply parameters; an error reply rejects with VarlinkError', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      expect(await client.call('org.example.test.Add', {a: 2, b: 3})).toEqual({sum: 5});
      expect(await client.call('org.example.test.Record', {tag: 'r'})).toEqual({});
      const error = await rejection(client.call('org.example.test.Add', {a: 2}));
      expect(error).toBeInstanceOf(VarlinkError);
      expect(error).toMatchObject({errorName: StandardError.InvalidParameter, parameters: {parameter: 'b'}});
      expect(await client.call('org.example.test.Add', {a: 1, b: 1})).toEqual({sum: 2});
    } finally {
      client.close();
    }
  });

  test('pipelined calls are all written at once and each gets its own reply, in order', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      const calls = Array.from({length: 30}, (_, i) =>
        i % 3 === 0 ? client.call('org.example.test.Sleep', {ms: (30 - i) % 7, tag: `t${i}`})
          : i % 3 === 1 ? client.call('org.example.test.Add', {a: i, b: 1000})
            : client.call('org.example.test.Nope').catch((e: VarlinkError) => e.errorName));
      expect(await Promise.all(calls)).toEqual(Array.from({length: 30}, (_, i) =>
        i % 3 === 0 ? {tag: `t${i}`} : i % 3 === 1 ? {sum: i + 1000} : StandardError.MethodNotFound));
    } finally {
      client.close();
    }
  });

  test('oneway sends and expects nothing; the next call is answered normally', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      client.oneway('org.example.test.Record', {tag: 'client-oneway'});
      expect(await client.call('org.example.test.Add', {a: 1, b: 2})).toEqual({sum: 3});
      expect(svc.recorded).toContain('client-oneway');
    } finally {
      client.close();
    }
  });
});

describe('streams', () => {
  test('yield every reply, the last included, then end', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      const seen: unknown[] = [];
      for await (const reply of client.stream('org.example.test.Count', {n: 5})) seen.push(reply.i);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(await client.call('org.example.test.Add', {a: 1, b: 2})).toEqual({sum: 3});
    } finally {
      client.close();
    }
  });

  test('an error reply is thrown from the loop after the replies before it', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      const seen: unknown[] = [];
      const error = await rejection((async () => {
        for await (const reply of client.stream('org.example.test.Fail', {kind: 'later'})) seen.push(reply);
      })());
      expect(seen).toEqual([{}]);
      expect(error).toMatchObject({errorName: 'org.example.test.Bad', parameters: {why: 'later'}});
    } finally {
      client.close();
    }
  });

  test('breaking out of the loop closes the connection the stream owns', async () => {
    const client = await VarlinkClient.connect(svc.path);
    const started = svc.tickSignals.length;
    const loop = (async () => {
      for await (const {tick} of client.stream('org.example.test.Ticks')) if (tick === 2) break;
    })();
    await until(() => svc.tickSignals.length === started + 1, 5000, 'the stream to start');
    svc.tick(1);
    svc.tick(2);
    await loop;
    await client.closed;
    await until(() => svc.tickSignals[started]!.aborted, 5000, 'the server to see the peer go');
    expect(await rejection(client.call('org.example.test.Add', {a: 1, b: 2}))).toBeInstanceOf(ConnectionClosedError);
  });

  test('a slow consumer gets every reply of a long stream', async () => {
    const client = await VarlinkClient.connect(svc.path);
    try {
      let n = 0;
      for await (const {i} of client.stream('org.example.test.Count', {n: 3000})) {
        expect(i).toBe(++n);
        if (n % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(n).toBe(3000);
    } finally {
      client.close();
    }
  });
});

describe('timeouts and disconnects', () => {
  test('a call past its timeout rejects with TimeoutError and closes; the others reject with ConnectionClosedError', async () => {
    const client = await VarlinkClient.connect(svc.path);
    const slow = client.call('org.example.test.Sleep', {ms: 2000, tag: 'slow'}, {timeoutMs: 50});
    const behind = client.call('org.example.test.Add', {a: 1, b: 2});
    const timedOut = await rejection(slow);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut.message).toMatch(/org\.example\.test\.Sleep timed out after 50 ms/);
    const closed = await rejection(behind);
    expect(closed).toBeInstanceOf(ConnectionClosedError);
    expect(closed.cause).toBe(timedOut);
    await client.closed;
  });

  test('the client default call timeout applies when a call sets none', async () => {
    const client = await VarlinkClient.connect(svc.path, {callTimeoutMs: 40});
    expect(await rejection(client.call('org.example.test.Sleep', {ms: 1000, tag: 'x'}))).toBeInstanceOf(TimeoutError);
  });

  test('when the server goes away every outstanding call and stream rejects with ConnectionClosedError', async () => {
    const own = await startExample();
    const client = await VarlinkClient.connect(own.path);
    const streamer = await VarlinkClient.connect(own.path);
    const calls = [
      client.call('org.example.test.Sleep', {ms: 5000, tag: 'a'}),
      client.call('org.example.test.Add', {a: 1, b: 2}),
    ];
    const streaming = (async () => {
      for await (const _ of streamer.stream('org.example.test.Ticks')) { /* until the end */ }
    })();
    const outcomes = [...calls, streaming].map(rejection);
    await until(() => own.tickSignals.length === 1 && own.sleeps.length === 1, 5000, 'both calls to start');
    await own.stop();
    for (const outcome of outcomes) expect(await outcome).toBeInstanceOf(ConnectionClosedError);
    expect(await rejection(client.call('org.example.test.Add', {a: 1, b: 2}))).toBeInstanceOf(ConnectionClosedError);
    expect(() => client.oneway('org.example.test.Record', {tag: 'x'})).toThrow(ConnectionClosedError);
  });

  test('close() rejects what is outstanding and resolves closed', async () => {
    const client = await VarlinkClient.connect(svc.path);
    const pending = client.call('org.example.test.Sleep', {ms: 200, tag: 'c'});
    client.close();
    expect(await rejection(pending)).toBeInstanceOf(ConnectionClosedError);
    await client.closed;
  });

  test('connecting to a missing socket or a stale one fails with the system error', async () => {
    const {dir, remove} = socketDir('vl-');
    try {
      expect(await rejection(VarlinkClient.connect(join(dir, 'none.sock')))).toMatchObject({code: 'ENOENT'});
      makeStaleSocket(join(dir, 'stale.sock'));
      expect(await rejection(VarlinkClient.connect(join(dir, 'stale.sock')))).toMatchObject({code: 'ECONNREFUSED'});
    } finally {
      remove();
    }
  });
});

describe('malformed replies', () => {
  /** A server that answers the first call with `reply` (raw bytes). */
  async function rawServer(reply: string): Promise<{path: string; stop(): Promise<void>}> {
    const {dir, remove} = socketDir('vl-');
    const path = join(dir, 'raw.sock');
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write(reply));
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return {path, stop: async () => {
      await new Promise((resolve) => server.close(resolve));
      remove();
    }};
  }

  test.each([
    ['not JSON', '{"parameters":\0'],
    ['not an object', '[]\0'],
    ['a non-string error', '{"error":5}\0'],
    ['non-object parameters', '{"parameters":"x"}\0'],
    ['"continues" on a call without more', '{"parameters":{},"continues":true}\0'],
  ])('%s: the call rejects with ProtocolError, the others with ConnectionClosedError', async (_name, reply) => {
    const raw = await rawServer(reply);
    try {
      const client = await VarlinkClient.connect(raw.path);
      const first = client.call('org.example.test.Add', {a: 1, b: 2});
      const second = client.call('org.example.test.Add', {a: 1, b: 2});
      expect(await rejection(first)).toBeInstanceOf(ProtocolError);
      const other = await rejection(second);
      expect(other).toBeInstanceOf(ConnectionClosedError);
      expect(other.cause).toBeInstanceOf(ProtocolError);
      await client.closed;
    } finally {
      await raw.stop();
    }
  });

  test('a reply with no call outstanding closes the connection', async () => {
    const {dir, remove} = socketDir('vl-');
    const path = join(dir, 'chatty.sock');
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write('{"parameters":{}}\0');
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const client = await VarlinkClient.connect(path);
      await client.closed;
      const error = await rejection(client.call('org.example.test.Add', {a: 1, b: 2}));
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(error.cause).toBeInstanceOf(ProtocolError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      remove();
    }
  });

  test('a reply over maxMessageBytes rejects with ProtocolError', async () => {
    const raw = await rawServer(JSON.stringify({parameters: {sum: 'x'.repeat(2000)}}) + '\0');
    try {
      const client = await VarlinkClient.connect(raw.path, {maxMessageBytes: 1024});
      const error = await rejection(client.call('org.example.test.Add', {a: 1, b: 2}));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error.message).toMatch(/exceeds 1024 bytes/);
    } finally {
      await raw.stop();
    }
  });
});
