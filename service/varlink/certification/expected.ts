// What each step of org.varlink.certification exchanges, with the values of the Python reference server
// (varlink/tests/test_certification.py). Pure data and comparison, shared by our server and our client.
// Each call carries client_id plus the previous step's reply, so the expected calls follow from the replies.
import {makeCall} from '../../../core/varlink/message.js';
import type {JsonObject} from '../../../core/varlink/message.js';
import {CERTIFICATION_INTERFACE} from './interface.js';

export const STEPS = [
  'Start', 'Test01', 'Test02', 'Test03', 'Test04', 'Test05', 'Test06', 'Test07', 'Test08', 'Test09', 'Test10',
  'Test11', 'End',
] as const;
export type Step = typeof STEPS[number];

/** The step after `step`; End starts over. */
export function nextStep(step: Step): Step {
  return STEPS[(STEPS.indexOf(step) + 1) % STEPS.length] as Step;
}

const MAP = {foo: 'Foo', bar: 'Bar'};
const SET = {one: {}, two: {}, three: {}};
const SCALARS = {bool: false, int: 2, float: Math.PI, string: 'a lot of string'};
const MY_TYPE = {
  object: {method: 'org.varlink.certification.Test09', parameters: {map: MAP}},
  enum: 'two',
  struct: {first: 1, second: '2'},
  array: ['one', 'two', 'three'],
  dictionary: MAP,
  stringset: SET,
  nullable: null,
  nullable_array_struct: null,
  interface: {
    foo: [null, {foo: 'foo', bar: 'bar'}, null, {one: 'foo', two: 'bar'}],
    anon: {foo: true, bar: false},
  },
};

/** The ten strings Test10 streams, in order; the client sends them back with Test11. */
export const MORE_REPLIES: readonly string[] = Array.from({length: 10}, (_, i) => `Reply number ${i + 1}`);

/** Steps answered by exactly one reply (Start's carries the fresh client_id, Test10 streams, Test11 is oneway). */
export type SingleReplyStep = Exclude<Step, 'Start' | 'Test10' | 'Test11'>;

const REPLIES: Record<SingleReplyStep, JsonObject> = {
  Test01: {bool: true},
  Test02: {int: 1},
  Test03: {float: 1.0},
  Test04: {string: 'ping'},
  Test05: SCALARS,
  Test06: {struct: SCALARS},
  Test07: {map: MAP},
  Test08: {set: SET},
  Test09: {mytype: MY_TYPE},
  End: {all_ok: true},
};

/** The reply a server gives to `step` (a fresh copy: callers may hand it to code that mutates). */
export function replyTo(step: SingleReplyStep): JsonObject {
  return structuredClone(REPLIES[step]);
}

export interface ExpectedCall {
  parameters: JsonObject;
  more: boolean;
  oneway: boolean;
}

/** The call a certified client makes at `step`. */
export function expectedCall(step: Step, clientId: string): ExpectedCall {
  const call = (parameters: JsonObject, flags: {more?: boolean; oneway?: boolean} = {}): ExpectedCall =>
    ({parameters, more: flags.more ?? false, oneway: flags.oneway ?? false});
  switch (step) {
    case 'Start': return call({});
    case 'Test01': return call({client_id: clientId});
    case 'Test10': return call({client_id: clientId, ...replyTo('Test09')}, {more: true});
    case 'Test11': return call({client_id: clientId, last_more_replies: [...MORE_REPLIES]}, {oneway: true});
    case 'End': return call({client_id: clientId});
    default: return call({client_id: clientId, ...replyTo(STEPS[STEPS.indexOf(step) - 1] as SingleReplyStep)});
  }
}

/** The call as a varlink call object, for CertificationError's `wants` and `got`. */
export function callObject(step: Step, call: ExpectedCall): JsonObject {
  return makeCall(`${CERTIFICATION_INTERFACE}.${step}`, call.parameters, {more: call.more, oneway: call.oneway});
}

/**
 * Exact JSON equality, key order aside. In an object a null member equals an absent one: varlink gives both the
 * same meaning for `?` fields (Python sends `"nullable": null`, Go omits it), and the type check has already
 * refused null anywhere else. Numbers compare as numbers, so 1 and 1.0 are the same value.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const x = a as JsonObject, y = b as JsonObject;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const key of keys) if (!sameJson(member(x, key), member(y, key))) return false;
  return true;
}

function member(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] ?? null : null;
}

/** True when a received call is exactly what `step` expects, flags included. */
export function matchesCall(expected: ExpectedCall, got: ExpectedCall): boolean {
  return expected.more === got.more && expected.oneway === got.oneway && sameJson(expected.parameters, got.parameters);
}
