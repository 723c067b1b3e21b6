// The varlink server over a real unix socket, driven by a raw peer that sees every byte the server sends.
import {afterEach, beforeEach, describe, expect, jest, test} from '@jest/globals';
import {StandardError} from '../../../core/varlink/errors.js';
import {INTERNAL_ERROR} from '../../../service/varlink/server.js';
import {EXAMPLE_IDL, startExample, until} from '../support/example-service.js';
import type {ExampleService} from '../support/example-service.js';
import {RawPeer, sleep} from '../support/raw-varlink-peer.js';

let svc: ExampleService;
let peer: RawPeer;

beforeEach(async () => {
  svc = await startExample();
  peer = await RawPeer.connect(svc.path);
});

afterEach(async () => {
  peer.close();
  await svc.stop();
});

/** Sends `call` and returns the one reply it gets. */
async function ask(call: unknown): Promise<unknown> {
  const before = peer.received.length;
  peer.send(call);
  return (await peer.waitFor(before + 1))[before];
}

describe('org.varlink.service', () => {
  test('GetInfo describes the service and lists its interfaces, the service interface first', async () => {
    expect(await ask({method: 'org.varlink.service.GetInfo'})).toEqual({parameters: {
      vendor: 'terok', product: 'example', version: '1.0', url: 'https://example.org',
      interfaces: ['org.varlink.service', 'org.example.test'],
    }});
  });

  test('GetInterfaceDescription returns the IDL text as it was added', async () => {
    expect(await ask({method: 'org.varlink.service.GetInterfaceDescription', parameters: {interface: 'org.example.test'}}))
      .toEqual({parameters: {description: EXAMPLE_IDL}});
    const own = await ask({method: 'org.varlink.service.GetInterfaceDescription', parameters: {interface: 'org.varlink.service'}});
    expect((own as {parameters: {description: string}}).parameters.description).toMatch(/^interface org\.varlink\.service$/m);
  });

  test('GetInterfaceDescription of an interface we do not serve is InterfaceNotFound', async () => {
    expect(await ask({method: 'org.varlink.service.GetInterfaceDescription', parameters: {interface: 'org.example.nope'}}))
      .toEqual({error: StandardError.InterfaceNotFound, parameters: {interface: 'org.example.nope'}});
  });
});

describe('standard errors', () => {
  test.each([
    ['an unknown interface', 'org.example.nope.Add', StandardError.InterfaceNotFound, {interface: 'org.example.nope'}],
    ['an unknown method', 'org.example.test.Nope', StandardError.MethodNotFound, {method: 'org.example.test.Nope'}],
    ['a declared method without a handler', 'org.example.test.Unimplemented', StandardError.MethodNotImplemented,
      {method: 'org.example.test.Unimplemented'}],
  ])('%s', async (_name, method, error, parameters) => {
    expect(await ask({method})).toEqual({error, parameters});
  });

  test.each([
    ['a missing parameter', {a: 1}, 'b'],
    ['a parameter of the wrong type', {a: 1, b: '2'}, 'b'],
    ['an unknown parameter', {a: 1, b: 2, c: 3}, 'c'],
    ['an integer beyond 2^53', {a: 1, b: 2 ** 53}, 'b'],
    ['a fractional int', {a: 1.5, b: 2}, 'a'],
  ])('InvalidParameter for %s', async (_name, parameters, bad) => {
    expect(await ask({method: 'org.example.test.Add', parameters}))
      .toEqual({error: StandardError.InvalidParameter, parameters: {parameter: bad}});
  });

  test('InvalidParameter names the path of a nested offender', async () => {
    expect(await ask({method: 'org.example.test.Move', parameters: {p: {x: 1, y: 'no'}}}))
      .toEqual({error: StandardError.InvalidParameter, parameters: {parameter: 'p.y'}});
  });

  test('a method that streams only answers a call without more with ExpectedMore', async () => {
    expect(await ask({method: 'org.example.test.Count', parameters: {n: 2}})).toEqual({error: StandardError.ExpectedMore});
  });

  test('upgrade is refused with InvalidParameter, the connection stays', async () => {
    expect(await ask({method: 'org.example.test.Add', parameters: {a: 1, b: 2}, upgrade: true}))
      .toEqual({error: StandardError.InvalidParameter, parameters: {parameter: 'upgrade'}});
    expect(await ask({method: 'org.example.test.Add', parameters: {a: 1, b: 2}})).toEqual({parameters: {sum: 3}});
  });
});

describe('calls', () => {
  test('a reply carries the result; empty parameters and a false continues are omitted', async () => {
    expect(await ask({method: 'org.example.test.Add', parameters: {a: 2, b: 40}})).toEqual({parameters: {sum: 42}});
    expect(await ask({method: 'org.example.test.Record', parameters: {tag: 'x'}})).toEqual({});
  });

  test('null parameters and null flags count as absent; maybe fields accept null and absence', async () => {
    expect(await ask({method: 'org.example.test.Echo', parameters: {text: 't', note: null}, more: null}))
      .toEqual({parameters: {text: 't', note: null}});
    expect(await ask({method: 'org.example.test.Echo', parameters: {text: 't'}})).toEqual({parameters: {text: 't'}});
    expect(await ask({method: 'org.varlink.service.GetInfo', parameters: null, oneway: null}))
      .toMatchObject({parameters: {vendor: 'terok'}});
  });

  test('a handler error that is a VarlinkError is the reply', async () => {
    expect(await ask({method: 'org.example.test.Fail', parameters: {kind: 'varlink'}}))
      .toEqual({error: 'org.example.test.Bad', parameters: {why: 'asked to'}});
  });

  test('any other handler exception is logged and answered with InternalError; the server carries on', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await ask({method: 'org.example.test.Fail', parameters: {kind: 'crash'}})).toEqual({error: INTERNAL_ERROR});
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/org\.example\.test\.Fail failed: TypeError: boom/);
    } finally {
      stderr.mockRestore();
    }
    expect(await ask({method: 'org.example.test.Add', parameters: {a: 1, b: 1}})).toEqual({parameters: {sum: 2}});
  });

  test('a reply that breaks the IDL is logged as our bug and still sent', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await ask({method: 'org.example.test.Lie'})).toEqual({parameters: {n: 'not a number'}});
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/org\.example\.test\.Lie: reply does not match the IDL at "n"/);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('streaming', () => {
  test('a more call gets replies with continues, the last without', async () => {
    peer.send({method: 'org.example.test.Count', parameters: {n: 3}, more: true});
    expect(await peer.waitFor(3)).toEqual([
      {parameters: {i: 1}, continues: true},
      {parameters: {i: 2}, continues: true},
      {parameters: {i: 3}},
    ]);
  });

  test('a more call of a plain method gets the one final reply', async () => {
    expect(await ask({method: 'org.example.test.Add', parameters: {a: 1, b: 2}, more: true})).toEqual({parameters: {sum: 3}});
  });

  test('an error after some replies ends the stream', async () => {
    peer.send({method: 'org.example.test.Fail', parameters: {kind: 'later'}, more: true});
    expect(await peer.waitFor(2)).toEqual([{continues: true}, {error: 'org.example.test.Bad', parameters: {why: 'later'}}]);
  });

  test('an endless stream ends, its signal aborted, when the peer goes away', async () => {
    peer.send({method: 'org.example.test.Ticks', more: true});
    await until(() => svc.tickSignals.length === 1, 5000, 'Ticks to start');
    svc.tick(1);
    svc.tick(2);
    expect(await peer.waitFor(2)).toEqual([{parameters: {tick: 1}, continues: true}, {parameters: {tick: 2}, continues: true}]);
    peer.close();
    await until(() => svc.tickSignals[0]!.aborted, 5000, 'the stream signal to abort');
    await until(() => svc.server.connectionCount === 0, 5000, 'the connection to go');
  });

  test('the peer ending its input mid-stream ends the stream, as for a disconnect', async () => {
    peer.send({method: 'org.example.test.Ticks', more: true});
    await until(() => svc.tickSignals.length === 1, 5000, 'Ticks to start');
    peer.socket.end();
    await until(() => svc.tickSignals[0]!.aborted, 5000, 'the stream signal to abort');
    expect(await peer.closesWithin()).toBe(true);
    expect(peer.received).toEqual([]);
  });
});

describe('oneway', () => {
  test('a oneway call gets no reply: only the following call is answered', async () => {
    peer.send({method: 'org.example.test.Record', parameters: {tag: 'one'}, oneway: true});
    peer.send({method: 'org.example.test.Add', parameters: {a: 1, b: 2}});
    expect(await peer.waitFor(1)).toEqual([{parameters: {sum: 3}}]);
    await sleep(100);
    expect(peer.received).toHaveLength(1);
    expect(svc.recorded).toEqual(['one']);
  });

  test.each([
    ['an unknown method', {method: 'org.example.test.Nope', oneway: true}],
    ['an unknown interface', {method: 'org.example.nope.Nope', oneway: true}],
    ['invalid parameters', {method: 'org.example.test.Record', parameters: {tag: 5}, oneway: true}],
    ['non-object parameters', {method: 'org.example.test.Record', parameters: [1], oneway: true}],
    ['oneway combined with more', {method: 'org.example.test.Record', parameters: {tag: 'x'}, oneway: true, more: true}],
    ['a failing handler', {method: 'org.example.test.Fail', parameters: {kind: 'varlink'}, oneway: true}],
    ['a crashing handler', {method: 'org.example.test.Fail', parameters: {kind: 'crash'}, oneway: true}],
    ['a method that needs more', {method: 'org.example.test.Count', parameters: {n: 1}, oneway: true}],
  ])('a oneway call with %s gets no error reply either', async (_name, call) => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      peer.send(call);
      peer.send({method: 'org.example.test.Add', parameters: {a: 1, b: 2}});
      expect(await peer.waitFor(1)).toEqual([{parameters: {sum: 3}}]);
      await sleep(50);
      expect(peer.received).toHaveLength(1);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('order', () => {
  test('pipelined calls are handled one at a time in arrival order', async () => {
    peer.sendRaw(
      JSON.stringify({method: 'org.example.test.Sleep', parameters: {ms: 80, tag: 'a'}}) + '\0' +
      JSON.stringify({method: 'org.example.test.Sleep', parameters: {ms: 0, tag: 'b'}}) + '\0' +
      JSON.stringify({method: 'org.example.test.Add', parameters: {a: 1, b: 2}}) + '\0' +
      JSON.stringify({method: 'org.example.test.Sleep', parameters: {ms: 10, tag: 'c'}}) + '\0');
    expect(await peer.waitFor(4)).toEqual([
      {parameters: {tag: 'a'}}, {parameters: {tag: 'b'}}, {parameters: {sum: 3}}, {parameters: {tag: 'c'}},
    ]);
    expect(svc.sleeps).toEqual(['start:a', 'end:a', 'start:b', 'end:b', 'start:c', 'end:c']);
  });

  test('calls behind an endless stream wait for it; other connections do not', async () => {
    peer.send({method: 'org.example.test.Ticks', more: true});
    peer.send({method: 'org.example.test.Add', parameters: {a: 1, b: 2}});
    await until(() => svc.tickSignals.length === 1, 5000, 'Ticks to start');
    const other = await RawPeer.connect(svc.path);
    try {
      other.send({method: 'org.example.test.Add', parameters: {a: 2, b: 2}});
      expect(await other.waitFor(1)).toEqual([{parameters: {sum: 4}}]);
      svc.tick(7);
      expect(await peer.waitFor(1)).toEqual([{parameters: {tick: 7}, continues: true}]);
      await sleep(50);
      expect(peer.received).toHaveLength(1);
    } finally {
      other.close();
    }
  });

  test('calls received before the peer ended its input are all answered, then the server closes', async () => {
    peer.send({method: 'org.example.test.Sleep', parameters: {ms: 30, tag: 'a'}});
    peer.send({method: 'org.example.test.Add', parameters: {a: 1, b: 2}});
    peer.socket.end();
    expect(await peer.waitFor(2)).toEqual([{parameters: {tag: 'a'}}, {parameters: {sum: 3}}]);
    expect(await peer.closesWithin()).toBe(true);
  });
});
