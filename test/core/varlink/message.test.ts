import {describe, expect, test} from '@jest/globals';
import {decodeCall, decodeReply, makeCall, makeErrorReply, makeReply, ProtocolError} from '../../../core/varlink/message.js';

const frame = (s: string) => new TextEncoder().encode(s);

describe('decodeCall', () => {
  test('a full call', () => {
    expect(decodeCall(frame('{"method":"org.example.ping.Ping","parameters":{"a":1},"more":true}'))).toEqual(
      {method: 'org.example.ping.Ping', parameters: {a: 1}, more: true, oneway: false, upgrade: false});
  });

  test('absent and null parameters are empty; null flags are false', () => {
    expect(decodeCall(frame('{"method":"a.b.C"}')).parameters).toEqual({});
    expect(decodeCall(frame('{"method":"a.b.C","parameters":null,"more":null}'))).toMatchObject({parameters: {}, more: false});
  });

  test('unknown top-level keys are ignored on receive', () => {
    expect(decodeCall(frame('{"method":"a.b.C","x-vendor":1}')).method).toBe('a.b.C');
  });

  test.each([
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), undefined],
    ['not JSON', frame('{"method":'), undefined],
    ['empty frame', frame(''), undefined],
    ['an array', frame('[1]'), undefined],
    ['a string', frame('"x"'), undefined],
    ['no method', frame('{"parameters":{}}'), 'method'],
    ['numeric method', frame('{"method":7}'), 'method'],
    ['unqualified method', frame('{"method":"Ping"}'), 'method'],
    ['lower-case member', frame('{"method":"a.b.ping"}'), 'method'],
    ['string flag', frame('{"method":"a.b.C","more":"yes"}'), 'more'],
    ['numeric oneway', frame('{"method":"a.b.C","oneway":1}'), 'oneway'],
    ['array parameters', frame('{"method":"a.b.C","parameters":[]}'), 'parameters'],
    ['oneway with more', frame('{"method":"a.b.C","more":true,"oneway":true}'), 'more'],
  ])('rejects %s', (_name, bytes, field) => {
    let error: unknown;
    try {
      decodeCall(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).field).toBe(field);
  });
});

describe('decodeReply', () => {
  test('error and continues', () => {
    expect(decodeReply(frame('{"error":"org.varlink.service.MethodNotFound","parameters":{"method":"x"}}')))
      .toEqual({error: 'org.varlink.service.MethodNotFound', parameters: {method: 'x'}, continues: false});
    expect(decodeReply(frame('{"continues":true}'))).toEqual({parameters: {}, continues: true});
  });

  test('rejects a malformed error name', () => {
    expect(() => decodeReply(frame('{"error":42}'))).toThrow(ProtocolError);
  });
});

describe('encoding', () => {
  test('calls omit empty parameters and false flags', () => {
    expect(JSON.stringify(makeCall('a.b.C'))).toBe('{"method":"a.b.C"}');
    expect(JSON.stringify(makeCall('a.b.C', {x: 1}, {more: true}))).toBe('{"method":"a.b.C","parameters":{"x":1},"more":true}');
  });

  test('replies omit empty parameters and false continues', () => {
    expect(JSON.stringify(makeReply())).toBe('{}');
    expect(JSON.stringify(makeReply({ok: true}, true))).toBe('{"parameters":{"ok":true},"continues":true}');
    expect(JSON.stringify(makeErrorReply('org.varlink.service.ExpectedMore'))).toBe('{"error":"org.varlink.service.ExpectedMore"}');
  });
});
