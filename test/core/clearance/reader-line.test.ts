import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {EVENT_FIELDS, isClearanceEvent, makeEvent} from '../../../core/clearance/event.js';
import {MAX_READER_LINE_BYTES, translateReaderLine, type ReaderLineResult} from '../../../core/clearance/reader-line.js';

const pending = {
  type: 'pending', container: 'abc123def456', id: 'abc123def456:7', dest: '198.51.100.1', port: 443, proto: 6,
  domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'},
  ts: '2026-11-23T08:00:00.000001+00:00',
};

function translate(x: unknown): ReaderLineResult {
  return translateReaderLine(JSON.stringify(x));
}

function eventOf(x: unknown) {
  const result = translate(x);
  if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
}

function expectWarning(x: unknown, reason: RegExp): void {
  const result = typeof x === 'string' ? translateReaderLine(x) : translate(x);
  expect(result).toEqual({kind: 'dropped', level: 'warning', reason: expect.stringMatching(reason)});
}

test('the limit is 64 KiB', () => {
  expect(MAX_READER_LINE_BYTES).toBe(65536);
});

describe('connection_blocked', () => {
  test('the example line of wire.md §4', () => {
    const line = '{"type":"pending","container":"abc123def456","id":"abc123def456:7","dest":"198.51.100.1","port":443,'
      + '"proto":6,"domain":"registry.example.net","dossier":{"project":"warp","task":"t42","name":"build"},'
      + '"ts":"2026-11-23T08:00:00.000001+00:00"}';
    const result = translateReaderLine(line);
    expect(result).toEqual({kind: 'event', event: makeEvent({
      type: 'connection_blocked', container: 'abc123def456', request_id: 'abc123def456:7', dest: '198.51.100.1',
      port: 443, proto: 6, domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'},
    })});
    if (result.kind === 'event') {
      expect(Object.keys(result.event)).toEqual([...EVENT_FIELDS]);
      expect(isClearanceEvent(result.event)).toBe(true);
    }
  });

  test('the literal connection_blocked type is accepted too', () => {
    expect(eventOf({...pending, type: 'connection_blocked'}).type).toBe('connection_blocked');
  });

  test('domain and dossier are optional; null counts as absent', () => {
    const {domain: _d, dossier: _s, ...bare} = pending;
    expect(eventOf(bare)).toMatchObject({domain: '', dossier: {}});
    expect(eventOf({...pending, domain: null, dossier: null})).toMatchObject({domain: '', dossier: {}});
  });

  test('a dossier that is not an object is {}', () => {
    expect(eventOf({...pending, dossier: 'warp'}).dossier).toEqual({});
    expect(eventOf({...pending, dossier: ['warp']}).dossier).toEqual({});
  });

  test.each([
    ['"443"', '443', 443],
    ['"0"', '0', 0],
    ['"065535"', '065535', 65535],
    ['443.0 (an integer in JSON)', 443.0, 443],
    ['4.43e2', 4.43e2, 443],
  ])('port %s is accepted', (_name, port, expected) => {
    const event = eventOf({...pending, port});
    expect(Object.is(event.port, expected)).toBe(true);
  });

  test('numbers in JSON text such as 1e2 and -0', () => {
    const line = JSON.stringify(pending).replace('"port":443', '"port":1e2').replace('"proto":6', '"proto":-0');
    const result = translateReaderLine(line);
    expect(result.kind === 'event' && [result.event.port, Object.is(result.event.proto, 0)]).toEqual([100, true]);
  });

  test.each([
    ['"443abc"', '443abc'], ['" 443"', ' 443'], ['"443 "', '443 '], ['"+443"', '+443'], ['"-1"', '-1'],
    ['"4.4e2"', '4.4e2'], ['"0x1bb"', '0x1bb'], ['""', ''], ['"443.0"', '443.0'], ['"4_43"', '4_43'],
    ['"١٢٣" (non-ASCII digits)', '١٢٣'],
    ['443.5', 443.5], ['-1', -1], ['65536', 65536], ['1e300', 1e300], ['true', true], ['null', null],
    ['[443]', [443]], ['{}', {}], ['"99999999999"', '99999999999'],
  ])('port %s is a warning drop', (_name, port) => {
    expectWarning({...pending, port}, /^pending: "port" must be an integer 0\.\.65535, got /);
  });

  test('port missing is a warning drop', () => {
    const {port: _p, ...rest} = pending;
    expectWarning(rest, /"port" must be an integer 0\.\.65535, got nothing/);
  });

  test('proto must be 0..255', () => {
    expect(eventOf({...pending, proto: 255}).proto).toBe(255);
    expect(eventOf({...pending, proto: '17'}).proto).toBe(17);
    for (const proto of [256, -1, 6.5, '6a', '', false]) {
      expectWarning({...pending, proto}, /"proto" must be an integer 0\.\.255/);
    }
  });

  test.each(['container', 'id', 'dest'])('%s is required, a string and not blank', (field) => {
    const {[field as keyof typeof pending]: _gone, ...rest} = pending;
    expectWarning(rest, new RegExp(`^pending: "${field}" must be a string, got nothing$`));
    expectWarning({...pending, [field]: ''}, new RegExp(`"${field}" is blank`));
    expectWarning({...pending, [field]: '   '}, new RegExp(`"${field}" is blank`));
    expectWarning({...pending, [field]: '\n\u0000'}, new RegExp(`"${field}" is blank`));
    expectWarning({...pending, [field]: 12}, new RegExp(`"${field}" must be a string, got 12`));
    expectWarning({...pending, [field]: ['a']}, new RegExp(`"${field}" must be a string, got an array`));
    expectWarning({...pending, [field]: {a: 1}}, new RegExp(`"${field}" must be a string, got an object`));
    expectWarning({...pending, [field]: null}, new RegExp(`"${field}" must be a string, got null`));
  });

  test('a domain of the wrong type drops the line rather than silently binding to the IP', () => {
    expectWarning({...pending, domain: ['registry.example.net']}, /"domain" must be a string, got an array/);
    expectWarning({...pending, domain: 7}, /"domain" must be a string/);
  });

  test('every string is sanitised: control, bidi and non-ASCII characters become spaces, long ones are cut', () => {
    const event = eventOf({
      ...pending, container: 'abc\u001b[2Jdef', id: 'abc:\n7', dest: '198.51.100.1\u202e',
      domain: 'caf\u00e9.example\u0000', dossier: {'na\tme': 'build\u2066x', project: 'p'.repeat(300)},
    });
    expect(event).toMatchObject({
      container: 'abc [2Jdef', request_id: 'abc: 7', dest: '198.51.100.1 ', domain: 'caf .example ',
      dossier: {'na me': 'build x', project: 'p'.repeat(253) + '...'},
    });
  });

  test('extra fields are ignored, whatever they are called', () => {
    const event = eventOf({...pending, ts: 1, ok: true, action: 'allow', reason: 'x', request_id: 'forged',
      constructor: 'x', toString: 'y'});
    expect(event).toMatchObject({request_id: 'abc123def456:7', ok: false, action: '', reason: ''});
    expect(Object.keys(event)).toEqual([...EVENT_FIELDS]);
  });

  test('a __proto__ key in the line neither pollutes nor supplies a field', () => {
    const {container: _c, ...rest} = pending;
    const line = JSON.stringify(rest).replace('{', '{"__proto__":{"container":"ghost"},');
    expect(translateReaderLine(line)).toMatchObject({kind: 'dropped', level: 'warning'});
    expect(({} as Record<string, unknown>).container).toBeUndefined();
    const polluted = JSON.stringify(pending).replace('"dossier":{', '"dossier":{"__proto__":"x",');
    const result = translateReaderLine(polluted);
    expect(result.kind === 'event' && Object.keys(result.event.dossier)).toEqual(['__proto__', 'project', 'task', 'name']);
  });

  test('duplicate keys: the last one wins, as in any JSON decoder used by the shield', () => {
    const line = JSON.stringify(pending).replace('"port":443', '"port":80,"port":443');
    expect(translateReaderLine(line)).toMatchObject({kind: 'event', event: {port: 443}});
  });
});

describe('lifecycle events', () => {
  test.each(['container_started', 'shield_up', 'shield_down', 'shield_disengaged'])('%s', (type) => {
    expect(translate({type, container: 'abc123def456', dossier: {name: 'web'}, reason: 'ignored', port: 9}))
      .toEqual({kind: 'event', event: makeEvent({type, container: 'abc123def456', dossier: {name: 'web'}})});
  });

  test('the older shield_down_all is accepted as shield_disengaged', () => {
    expect(eventOf({type: 'shield_down_all', container: 'abc123def456'}))
      .toEqual(makeEvent({type: 'shield_disengaged', container: 'abc123def456'}));
  });

  test('container_exited keeps an optional reason', () => {
    expect(eventOf({type: 'container_exited', container: 'c', reason: 'exit\ncode 137'}))
      .toEqual(makeEvent({type: 'container_exited', container: 'c', reason: 'exit code 137'}));
    expect(eventOf({type: 'container_exited', container: 'c'}).reason).toBe('');
    expectWarning({type: 'container_exited', container: 'c', reason: 137}, /^container_exited: "reason" must be a string/);
  });

  test.each(['container_started', 'container_exited', 'shield_up', 'shield_down', 'shield_disengaged',
    'shield_down_all'])('%s requires a container', (type) => {
    expectWarning({type}, new RegExp(`^${type}: "container" must be a string, got nothing$`));
    expectWarning({type, container: ''}, /"container" is blank/);
    expectWarning({type, container: ['c']}, /got an array/);
  });
});

describe('what is not an event', () => {
  test.each(['', ' ', '\t', '\r', ' \t \r\n '])('blank %j is ignored', (line) => {
    expect(translateReaderLine(line)).toEqual({kind: 'ignored'});
  });

  test('unknown types are dropped at debug level, prototype names included', () => {
    for (const type of ['verdict_applied', 'container_paused', 'PENDING', 'constructor', '__proto__', 'toString',
      'hasOwnProperty', '']) {
      expect(translate({...pending, type})).toEqual({kind: 'dropped', level: 'debug',
        reason: `unknown type ${JSON.stringify(type)}`});
    }
  });

  test('a verdict_applied from the reader is never forwarded: only the hub makes those', () => {
    expect(translate({type: 'verdict_applied', container: 'c', request_id: 'c:1', action: 'allow', ok: true}).kind)
      .toBe('dropped');
  });

  test('a missing or non-string type is a warning', () => {
    const {type: _t, ...rest} = pending;
    expectWarning(rest, /^"type" missing or not a string/);
    expectWarning({...pending, type: ['pending']}, /^"type" missing or not a string/);
    expectWarning({...pending, type: null}, /^"type" missing or not a string/);
  });

  test.each([
    ['invalid JSON', '{"type":"pending",', /^invalid JSON: /],
    ['a trailing comma', '{"type":"shield_up","container":"c",}', /^invalid JSON: /],
    ['a BOM', '\ufeff{"type":"shield_up","container":"c"}', /^invalid JSON: /],
    ['two objects on one line', '{"type":"shield_up","container":"c"}{}', /^invalid JSON: /],
    ['an array', '[{"type":"shield_up","container":"c"}]', /^not a JSON object: /],
    ['a string', '"pending"', /^not a JSON object: /],
    ['a number', '42', /^not a JSON object: /],
    ['null', 'null', /^not a JSON object: /],
    ['true', 'true', /^not a JSON object: /],
  ])('%s is a warning', (_name, line, reason) => {
    expectWarning(line, reason);
  });

  test('reasons are log-safe: no control characters, short, even for hostile input', () => {
    const hostile = '\u001b[31m\u202e' + 'x'.repeat(10_000);
    for (const line of [hostile, JSON.stringify({type: hostile}), JSON.stringify({...pending, port: hostile}),
      JSON.stringify({type: 'pending\u001b', container: 1})]) {
      const result = translateReaderLine(line);
      expect(result.kind).toBe('dropped');
      if (result.kind === 'dropped') {
        expect(result.reason).toMatch(/^[\x20-\x7e]*$/);
        expect(result.reason.length).toBeLessThan(200);
      }
    }
  });
});

describe('properties', () => {
  test('never throws on arbitrary strings, and every event it returns is a valid, sanitised ClearanceEvent', () => {
    const check = (line: string) => {
      const result = translateReaderLine(line);
      if (result.kind === 'event') {
        expect(isClearanceEvent(result.event)).toBe(true);
        expect(JSON.stringify(result.event)).toMatch(/^[\x20-\x7e]*$/);
      }
    };
    fc.assert(fc.property(fc.string({unit: 'binary'}), check), {numRuns: 2000});
    fc.assert(fc.property(fc.json(), check), {numRuns: 2000});
  });

  test('arbitrary field values on each accepted type never throw and never yield a malformed event', () => {
    const types = fc.constantFrom('pending', 'connection_blocked', 'container_started', 'container_exited',
      'shield_up', 'shield_down', 'shield_disengaged', 'shield_down_all');
    const value = fc.oneof(fc.jsonValue(), fc.string({unit: 'binary'}), fc.integer(), fc.double());
    fc.assert(fc.property(types, fc.record({
      container: value, id: value, dest: value, port: value, proto: value, domain: value, reason: value, dossier: value,
    }, {requiredKeys: []}), (type, fields) => {
      const result = translateReaderLine(JSON.stringify({type, ...fields}));
      expect(result.kind === 'event' || result.kind === 'dropped').toBe(true);
      if (result.kind === 'event') {
        expect(isClearanceEvent(result.event)).toBe(true);
        expect(result.event.port).toBeGreaterThanOrEqual(0);
        expect(result.event.port).toBeLessThanOrEqual(65535);
        expect(result.event.proto).toBeLessThanOrEqual(255);
        expect(result.event.container.trim()).not.toBe('');
      }
    }), {numRuns: 3000});
  });

  test('a well-formed pending line always translates, with its numbers in range', () => {
    fc.assert(fc.property(fc.integer({min: 0, max: 65535}), fc.integer({min: 0, max: 255}), fc.boolean(),
      (port, proto, asStrings) => {
        const event = eventOf({...pending, port: asStrings ? String(port) : port, proto: asStrings ? String(proto) : proto});
        expect([event.port, event.proto]).toEqual([port, proto]);
      }));
  });
});
