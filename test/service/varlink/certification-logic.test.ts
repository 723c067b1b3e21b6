// The pure part of the certification tool: the reference values and the per-client state machine.
import {describe, expect, test} from '@jest/globals';
import {VarlinkError} from '../../../core/varlink/errors.js';
import {MORE_REPLIES, STEPS, expectedCall, matchesCall, nextStep, replyTo, sameJson} from '../../../service/varlink/certification/expected.js';
import {CertificationSessions} from '../../../service/varlink/certification/sessions.js';
import {CERTIFICATION_IDL} from '../../../service/varlink/certification/interface.js';

const CERT = 'org.varlink.certification';

function sessions(options: {maxClients?: number; maxAgeMs?: number} = {}) {
  let clock = 1000;
  let n = 0;
  const s = new CertificationSessions({newId: () => `id${++n}`, now: () => clock, ...options});
  return {s, advance: (ms: number) => { clock += ms; }};
}

function errorOf(fn: () => void): VarlinkError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VarlinkError) return e;
    throw e;
  }
  throw new Error('expected a VarlinkError');
}

describe('reference values', () => {
  test('each call carries client_id plus the previous reply', () => {
    expect(expectedCall('Test02', 'c')).toEqual({parameters: {client_id: 'c', bool: true}, more: false, oneway: false});
    expect(expectedCall('Test06', 'c').parameters).toEqual({client_id: 'c', bool: false, int: 2, float: Math.PI, string: 'a lot of string'});
    expect(expectedCall('Test10', 'c')).toMatchObject({parameters: {client_id: 'c', mytype: replyTo('Test09').mytype}, more: true});
    expect(expectedCall('Test11', 'c')).toEqual({parameters: {client_id: 'c', last_more_replies: MORE_REPLIES}, more: false, oneway: true});
    expect(MORE_REPLIES).toEqual(Array.from({length: 10}, (_, i) => `Reply number ${i + 1}`));
  });

  test('the step order ends where it starts', () => {
    expect(STEPS.map(nextStep)).toEqual([...STEPS.slice(1), 'Start']);
  });

  test('replies are fresh copies', () => {
    (replyTo('Test07').map as Record<string, string>).foo = 'changed';
    expect(replyTo('Test07')).toEqual({map: {foo: 'Foo', bar: 'Bar'}});
  });

  test('the interface text is the Python reference file', () => {
    expect(CERTIFICATION_IDL.startsWith('# Interface to test varlink implementations against.\n')).toBe(true);
    expect(CERTIFICATION_IDL).toContain('# Start, Test01, Test02, …, Test09, End\n');
    expect(CERTIFICATION_IDL.endsWith('error CertificationError (wants: object, got: object)\n')).toBe(true);
  });
});

describe('sameJson', () => {
  test('exact values, key order aside', () => {
    expect(sameJson({a: 1, b: [1, 'x']}, {b: [1, 'x'], a: 1})).toBe(true);
    expect(sameJson({a: 1}, {a: 1.0000000001})).toBe(false);
    expect(sameJson({a: 1}, {a: '1'})).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({a: {}}, {a: []})).toBe(false);
    expect(sameJson({a: true}, {a: true, b: false})).toBe(false);
  });

  test('a null member equals an absent one, but not inside arrays', () => {
    expect(sameJson({a: 1, n: null}, {a: 1})).toBe(true);
    expect(sameJson([null, 1], [1])).toBe(false);
    expect(sameJson({n: null}, {n: 0})).toBe(false);
  });

  test('inherited names are not members', () => {
    expect(sameJson(JSON.parse('{"__proto__": {"x": 1}}'), {})).toBe(false);
    expect(sameJson({constructor: null}, {})).toBe(true);
  });

  test('a call matches only with the same flags', () => {
    const wants = expectedCall('Test10', 'c');
    expect(matchesCall(wants, {...wants, more: false})).toBe(false);
    expect(matchesCall(wants, {...wants, oneway: true})).toBe(false);
    expect(matchesCall(wants, structuredClone(wants))).toBe(true);
  });
});

describe('CertificationSessions', () => {
  test('a client walks every step in order, then is forgotten', () => {
    const {s} = sessions();
    const id = s.start();
    for (const step of STEPS.slice(1)) s.enter(id, step);
    expect(s.size).toBe(0);
    expect(errorOf(() => s.enter(id, 'Test01')).errorName).toBe(`${CERT}.ClientIdError`);
  });

  test('a step out of order is a CertificationError naming both methods, and the client may still go on', () => {
    const {s} = sessions();
    const id = s.start();
    s.enter(id, 'Test01');
    const e = errorOf(() => s.enter(id, 'Test03'));
    expect(e.errorName).toBe(`${CERT}.CertificationError`);
    expect(e.parameters).toEqual({wants: {method: `${CERT}.Test02`}, got: {method: `${CERT}.Test03`}});
    expect(() => s.enter(id, 'Test01')).toThrow(VarlinkError);
    s.enter(id, 'Test02');
  });

  test('an unknown client_id is a ClientIdError', () => {
    const {s} = sessions();
    expect(errorOf(() => s.enter('nobody', 'Test01')).errorName).toBe(`${CERT}.ClientIdError`);
  });

  test('a recorded failure is what the next call hears, once', () => {
    const {s} = sessions();
    const id = s.start();
    for (const step of STEPS.slice(1, -1)) s.enter(id, step);
    const failure = new VarlinkError(`${CERT}.CertificationError`, {wants: {}, got: {}});
    s.fail(id, failure);
    expect(errorOf(() => s.enter(id, 'End'))).toBe(failure);
    expect(errorOf(() => s.enter(id, 'End')).errorName).toBe(`${CERT}.ClientIdError`);
  });

  test('clients are capped, the oldest evicted first', () => {
    const {s} = sessions({maxClients: 3});
    const ids = [s.start(), s.start(), s.start(), s.start()];
    expect(s.size).toBe(3);
    expect(errorOf(() => s.enter(ids[0] as string, 'Test01')).errorName).toBe(`${CERT}.ClientIdError`);
    for (const id of ids.slice(1)) s.enter(id, 'Test01');
  });

  test('clients expire after maxAgeMs', () => {
    const {s, advance} = sessions({maxAgeMs: 5000});
    const old = s.start();
    advance(3000);
    const young = s.start();
    advance(2500);
    expect(errorOf(() => s.enter(old, 'Test01')).errorName).toBe(`${CERT}.ClientIdError`);
    s.enter(young, 'Test01');
    expect(s.size).toBe(1);
  });
});
