// Properties over generated interfaces, texts and values: printing round-trips, the parser fails only with
// IdlSyntaxError, the type check never throws and accepts every value of a type.
import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {IdlSyntaxError, parseInterface, printInterface} from '../../../core/varlink/idl.js';
import type {Field, InterfaceDef, Member, TypeNode} from '../../../core/varlink/idl.js';
import {checkFields, checkValue} from '../../../core/varlink/typecheck.js';

const interfaceName = fc.tuple(
  fc.stringMatching(/^[A-Za-z]([-]{0,2}[A-Za-z0-9]){0,5}$/),
  fc.array(fc.stringMatching(/^[A-Za-z0-9]([-]{0,2}[A-Za-z0-9]){0,5}$/), {minLength: 1, maxLength: 3}),
).map(([first, rest]) => [first, ...rest].join('.'));
const memberName = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,6}$/);
const fieldName = fc.stringMatching(/^[A-Za-z](_?[A-Za-z0-9]){0,5}$/);
const docLine = fc.oneof(fc.string({maxLength: 12}), fc.string({unit: 'grapheme', maxLength: 6}))
  .filter((line) => !/[\r\n]/.test(line));
const doc = fc.oneof(fc.constant(''), fc.array(docLine, {minLength: 1, maxLength: 3}).map((lines) => lines.join('\n')));

/** Types that may name the types in `typeNames`; dicts of empty structs are sets (the parser's normal form). */
function typeArbitraries(typeNames: string[]) {
  const leaves: fc.Arbitrary<TypeNode>[] = [
    fc.constantFrom<TypeNode>({kind: 'bool'}, {kind: 'int'}, {kind: 'float'}, {kind: 'string'}, {kind: 'object'}, {kind: 'set'}),
  ];
  if (typeNames.length) leaves.push(fc.constantFrom(...typeNames).map((name): TypeNode => ({kind: 'named', name})));
  return fc.letrec<{type: TypeNode; plain: TypeNode; fields: Field[]; enum: TypeNode}>((tie) => ({
    type: fc.oneof(tie('plain'), tie('plain').map((inner): TypeNode => ({kind: 'maybe', inner}))),
    plain: fc.oneof({depthSize: 'small', maxDepth: 4},
      ...leaves,
      tie('type').map((element): TypeNode => ({kind: 'array', element})),
      tie('type').filter((e) => e.kind !== 'struct' || e.fields.length > 0).map((element): TypeNode => ({kind: 'dict', element})),
      tie('fields').map((fields): TypeNode => ({kind: 'struct', fields})),
      tie('enum')),
    fields: fc.uniqueArray(fc.record({name: fieldName, doc, type: tie('type')}), {selector: (f) => f.name, maxLength: 4}),
    enum: fc.uniqueArray(fieldName, {minLength: 1, maxLength: 4}).map((values): TypeNode => ({kind: 'enum', values})),
  }));
}

function makeInterface(name: string, ifaceDoc: string, members: Member[]): InterfaceDef {
  const def: InterfaceDef = {name, doc: ifaceDoc, members, types: new Map(), methods: new Map(), errors: new Map()};
  for (const m of members) {
    if (m.kind === 'type') def.types.set(m.name, m);
    else if (m.kind === 'method') def.methods.set(m.name, m);
    else def.errors.set(m.name, m);
  }
  return def;
}

const interfaces: fc.Arbitrary<InterfaceDef> = fc.record({
  name: interfaceName,
  doc,
  members: fc.uniqueArray(fc.tuple(memberName, fc.constantFrom('type', 'method', 'error')), {selector: ([n]) => n, maxLength: 6}),
}).chain(({name, doc: ifaceDoc, members}) => {
  const types = typeArbitraries(members.filter(([, kind]) => kind === 'type').map(([n]) => n));
  const member = ([memberName, kind]: [string, string]): fc.Arbitrary<Member> => {
    if (kind === 'type')
      return fc.record({doc, type: fc.oneof(types.fields.map((fields): TypeNode => ({kind: 'struct', fields})), types.enum)})
        .map((m) => ({kind: 'type', name: memberName, ...m}));
    if (kind === 'method')
      return fc.record({doc, input: types.fields, output: types.fields}).map((m) => ({kind: 'method', name: memberName, ...m}));
    return fc.record({doc, fields: types.fields}).map((m) => ({kind: 'error', name: memberName, ...m}));
  };
  return fc.tuple(...members.map(member)).map((ms) => makeInterface(name, ifaceDoc, ms));
});

/** Parses, requiring that any failure is an IdlSyntaxError pointing inside the text. */
function parseOrSyntaxError(text: string): InterfaceDef | undefined {
  try {
    return parseInterface(text);
  } catch (e) {
    expect(e).toBeInstanceOf(IdlSyntaxError);
    const {line, column} = e as IdlSyntaxError;
    const lines = text.split('\n');
    expect(line).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lines.length);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(column).toBeLessThanOrEqual(Array.from(lines[line - 1]!).length + 1);
    return undefined;
  }
}

const TOKENS = ['interface', 'org.example.x', 'type', 'method', 'error', 'Foo', 'Bar', 'foo', 'bar_baz', '(', ')', ':',
  ',', '->', '-', '>', '?', '[]', '[string]', '[', ']', 'string', 'int', 'bool', 'float', 'object', '# doc\n', '#', '\n',
  '\r\n', '\r', ' ', '\t', '\u00e9', '\u{1F600}', '\0', '((((', '[string]()'];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), {maxLength: 40}).map((t) => t.join(''));

describe('IDL properties', () => {
  test('printInterface output parses back to the same definition, with LF or CRLF', () => {
    fc.assert(fc.property(interfaces, (def) => {
      const text = printInterface(def);
      expect(parseInterface(text)).toEqual(def);
      expect(parseInterface(text.replace(/\n/g, '\r\n'))).toEqual(def);
      expect(printInterface(parseInterface(text))).toBe(text);
    }), {numRuns: 300});
  });

  test('the parser throws nothing but IdlSyntaxError, and what it accepts prints back to itself', () => {
    const mutated = fc.tuple(interfaces, fc.nat(), fc.nat({max: 6}), fc.oneof(fc.string({maxLength: 4}), fc.constantFrom(...TOKENS)))
      .map(([def, at, cut, insert]) => {
        const text = printInterface(def);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + cut);
      });
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({unit: 'binary'}), tokenSoup, mutated), (text) => {
      const def = parseOrSyntaxError(text);
      if (def) expect(parseInterface(printInterface(def))).toEqual(def);
    }), {numRuns: 2000});
  });

  test('checkFields and checkValue never throw on arbitrary JSON', () => {
    fc.assert(fc.property(interfaces, fc.jsonValue(), fc.dictionary(fieldName, fc.jsonValue(), {maxKeys: 4}),
      (def, value, object) => {
        for (const member of def.members) {
          const fields = member.kind === 'method' ? member.input : member.kind === 'error' ? member.fields : [];
          const result = checkFields(fields, object, def);
          expect(result === null || typeof result === 'string').toBe(true);
          if (member.kind === 'type') expect(typeof (checkValue(member.type, value, def, 'v') ?? '')).toBe('string');
        }
      }), {numRuns: 300});
  });

  test('every value of a type is accepted', () => {
    const empty = makeInterface('org.example.none', '', []);
    const valueOf = (type: TypeNode): fc.Arbitrary<unknown> => {
      switch (type.kind) {
        case 'bool': return fc.boolean();
        case 'int': return fc.maxSafeInteger();
        case 'float': return fc.double({noNaN: true, noDefaultInfinity: true});
        case 'string': return fc.string();
        case 'object': return fc.dictionary(fc.string(), fc.jsonValue(), {maxKeys: 3});
        case 'set': return fc.dictionary(fc.string(), fc.constant({}), {maxKeys: 3});
        case 'enum': return fc.constantFrom(...type.values);
        case 'maybe': return fc.oneof(fc.constant(null), valueOf(type.inner));
        case 'array': return fc.array(valueOf(type.element), {maxLength: 3});
        case 'dict': return fc.dictionary(fc.string(), valueOf(type.element), {maxKeys: 3});
        case 'struct': return fc.record(Object.fromEntries(type.fields.map((f) => [f.name, valueOf(f.type)])));
        case 'named': throw new Error('no named types here');
      }
    };
    const typeWithValue = typeArbitraries([]).type.chain((type) => valueOf(type).map((value) => ({type, value})));
    fc.assert(fc.property(typeWithValue, ({type, value}) => {
      expect(checkValue(type, JSON.parse(JSON.stringify(value)), empty, 'v')).toBeNull();
    }), {numRuns: 500});
  });
});
