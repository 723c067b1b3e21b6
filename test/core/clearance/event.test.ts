import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {
  EVENT_FIELDS, EVENT_TYPES, copyDossier, isClearanceEvent, isEventType, makeEvent, type ClearanceEvent,
} from '../../../core/clearance/event.js';

const full: ClearanceEvent = {
  type: 'connection_blocked', container: 'abc123def456', request_id: 'abc123def456:7', dest: '198.51.100.1',
  port: 443, proto: 6, domain: 'registry.example.net', action: '', ok: false, reason: '',
  dossier: {project: 'warp', task: 't42', name: 'build'},
};

describe('makeEvent', () => {
  test('defaults every field and keeps wire order, whatever order the fields were given in', () => {
    const event = makeEvent({dossier: {a: 'b'}, ok: true, type: 'verdict_applied', request_id: 'c:1', action: 'allow'});
    expect(Object.keys(event)).toEqual([...EVENT_FIELDS]);
    expect(JSON.stringify(event)).toBe(
      '{"type":"verdict_applied","container":"","request_id":"c:1","dest":"","port":0,"proto":0,"domain":"",'
      + '"action":"allow","ok":true,"reason":"","dossier":{"a":"b"}}');
  });

  test('only type given', () => {
    expect(makeEvent({type: 'shield_up'})).toEqual({
      type: 'shield_up', container: '', request_id: '', dest: '', port: 0, proto: 0, domain: '', action: '',
      ok: false, reason: '', dossier: {},
    });
  });

  test('extra properties never reach the wire', () => {
    const fields = {...full, ts: '2026-11-23T08:00:00Z', extra: 1} as unknown as ClearanceEvent;
    const event = makeEvent(fields);
    expect(Object.keys(event)).toEqual([...EVENT_FIELDS]);
    expect(isClearanceEvent(event)).toBe(true);
  });

  test('copies the dossier, so later changes to the input do not leak into the event', () => {
    const dossier = {name: 'x'};
    const event = makeEvent({type: 'shield_up', dossier});
    dossier.name = 'changed';
    expect(event.dossier).toEqual({name: 'x'});
  });

  test('a __proto__ dossier key stays an own, serialised key and does not touch the prototype', () => {
    const dossier = JSON.parse('{"__proto__":"x","name":"n"}') as Record<string, string>;
    const event = makeEvent({type: 'shield_up', dossier});
    expect(Object.getPrototypeOf(event.dossier)).toBe(Object.prototype);
    expect(JSON.stringify(event.dossier)).toBe('{"__proto__":"x","name":"n"}');
    expect(copyDossier(dossier)).toEqual(dossier);
  });

  test('property: a copied dossier has exactly the same own keys, in order, Object.prototype names included', () => {
    const names = Object.getOwnPropertyNames(Object.prototype);
    const key = fc.oneof(fc.constantFrom(...names), fc.string());
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(key, fc.string()), {selector: ([k]) => k}), (entries) => {
      const dossier: Record<string, string> = {};
      for (const [k, v] of entries) Object.defineProperty(dossier, k, {value: v, enumerable: true, writable: true, configurable: true});
      const copy = copyDossier(dossier);
      expect(Object.entries(copy)).toEqual(Object.entries(dossier));
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(copy))).toEqual(JSON.parse(JSON.stringify(dossier)));
    }));
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(names);
  });
});

describe('isClearanceEvent', () => {
  test('accepts a full event and what a Python hub sends', () => {
    expect(isClearanceEvent(full)).toBe(true);
    expect(isClearanceEvent(JSON.parse(JSON.stringify(full)))).toBe(true);
    expect(isClearanceEvent(makeEvent({type: 'some_future_type'}))).toBe(true);
  });

  test.each(EVENT_FIELDS.map((f) => [f]))('rejects a missing %s', (field) => {
    const copy: Record<string, unknown> = {...full};
    delete copy[field];
    expect(isClearanceEvent(copy)).toBe(false);
  });

  test.each([
    ['an extra field', {ts: 'x'}],
    ['port as a string', {port: '443'}],
    ['a float port', {port: 1.5}],
    ['a NaN proto', {proto: NaN}],
    ['ok as a number', {ok: 1}],
    ['a number container', {container: 7}],
    ['a null domain', {domain: null}],
    ['a dossier array', {dossier: []}],
    ['a null dossier', {dossier: null}],
    ['a non-string dossier value', {dossier: {a: 1}}],
  ])('rejects %s', (_name, patch) => {
    expect(isClearanceEvent({...full, ...patch})).toBe(false);
  });

  test('rejects non-objects and exotic objects', () => {
    for (const x of [null, undefined, 'x', 1, [], [full], new Map()]) expect(isClearanceEvent(x)).toBe(false);
    class Fake {}
    expect(isClearanceEvent(Object.assign(new Fake(), full))).toBe(false);
  });

  test('an extra field named like a prototype member is still an extra field', () => {
    expect(isClearanceEvent({...JSON.parse('{"__proto__":1}'), ...full})).toBe(false);
  });

  test('property: never throws, and anything it accepts survives makeEvent unchanged', () => {
    fc.assert(fc.property(fc.anything(), (x) => {
      if (isClearanceEvent(x)) expect(makeEvent(x)).toEqual(x);
    }));
    fc.assert(fc.property(fc.record({
      type: fc.string(), container: fc.string(), request_id: fc.string(), dest: fc.string(),
      port: fc.integer(), proto: fc.integer(), domain: fc.string(), action: fc.string(), ok: fc.boolean(),
      reason: fc.string(), dossier: fc.dictionary(fc.string(), fc.string()),
    }), (event) => {
      expect(isClearanceEvent(JSON.parse(JSON.stringify(makeEvent(event))))).toBe(true);
    }));
  });
});

test('EVENT_TYPES and isEventType', () => {
  expect(EVENT_TYPES).toEqual(['connection_blocked', 'verdict_applied', 'container_started', 'container_exited',
    'shield_up', 'shield_down', 'shield_disengaged']);
  expect(isEventType('shield_disengaged')).toBe(true);
  for (const x of ['pending', 'shield_down_all', 'constructor', '', 1, null]) expect(isEventType(x)).toBe(false);
});
