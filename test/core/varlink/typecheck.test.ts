import {describe, expect, test} from '@jest/globals';
import {parseInterface} from '../../../core/varlink/idl.js';
import {checkFields, checkValue} from '../../../core/varlink/typecheck.js';

const iface = parseInterface(`interface org.example.check
type MyType (
  object: object,
  enum: (one, two, three),
  struct: (first: int, second: string),
  array: []string,
  map: [string]int,
  set: [string](),
  nullable: ?string,
  nested: ?[](first: int, second: ?[string]Colour),
  colour: Colour
)
type Colour (red, green)
type Node (value: float, next: ?Node)
method Call(mytype: MyType, count: int, ratio: float, flag: bool, name: string, node: ?Node) -> ()
`);
const call = iface.methods.get('Call')!;
const check = (params: Record<string, unknown>) => checkFields(call.input, params, iface);

const valid = {
  mytype: {
    object: {method: 'x', parameters: {a: [1, null]}},
    enum: 'two',
    struct: {first: -1, second: ''},
    array: ['a', 'b'],
    map: {foo: 1, bar: 2},
    set: {one: {}, two: {}},
    nullable: null,
    nested: [{first: 1, second: {x: 'red'}}, {first: 2}],
    colour: 'green',
  },
  count: 9007199254740991,
  ratio: 0.5,
  flag: false,
  name: 'n',
};

/** `valid` with the value at `path` replaced (or removed when `value` is undefined). */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[keys.at(-1)!];
  else at[keys.at(-1)!] = value;
  return copy;
}

describe('checkFields', () => {
  test('a valid value of every type passes', () => {
    expect(check(valid)).toBeNull();
  });

  test.each<[string, unknown]>([
    ['mytype.nullable', undefined],
    ['mytype.nullable', 'text'],
    ['mytype.nested', null],
    ['mytype.nested', undefined],
    ['mytype.nested', []],
    ['mytype.map', {}],
    ['mytype.set', {}],
    ['mytype.object', {}],
    ['count', -9007199254740991],
    ['count', 0],
    ['count', -0],
    ['count', 1e3],
    ['ratio', 1],
    ['ratio', -1.5e300],
    ['node', {value: 1, next: {value: 2, next: null}}],
  ])('%s = %j is accepted', (path, value) => {
    expect(check(withValue(path, value))).toBeNull();
  });

  test.each<[string, unknown, string?]>([
    ['count', 9007199254740992],
    ['count', -9007199254740992],
    ['count', Number('12345678901234567890')],
    ['count', 1.5],
    ['count', '1'],
    ['count', true],
    ['count', null],
    ['count', undefined],
    ['count', Infinity],
    ['ratio', NaN],
    ['ratio', Infinity],
    ['ratio', '0.5'],
    ['flag', 0],
    ['flag', 'false'],
    ['flag', null],
    ['name', 1],
    ['name', null],
    ['name', ['n']],
    ['mytype', 'x'],
    ['mytype', []],
    ['mytype.object', [1]],
    ['mytype.object', 'x'],
    ['mytype.object', null],
    ['mytype.object', 1],
    ['mytype.enum', 'four'],
    ['mytype.enum', 'One'],
    ['mytype.enum', 1],
    ['mytype.enum', 'toString'],
    ['mytype.colour', 'blue'],
    ['mytype.struct.first', '1'],
    ['mytype.struct.second', undefined],
    ['mytype.struct', {first: 1, second: 's', third: 3}, 'mytype.struct.third'],
    ['mytype.struct', [1, 's'], 'mytype.struct'],
    ['mytype.array', 'a', 'mytype.array'],
    ['mytype.array', ['a', 1], 'mytype.array.1'],
    ['mytype.array', {0: 'a'}, 'mytype.array'],
    ['mytype.map', {foo: 1, bar: 'x'}, 'mytype.map.bar'],
    ['mytype.map', {foo: 1.5}, 'mytype.map.foo'],
    ['mytype.map', [1], 'mytype.map'],
    ['mytype.set', {one: true}, 'mytype.set.one'],
    ['mytype.set', {one: {x: 1}}, 'mytype.set.one'],
    ['mytype.set', {one: null}, 'mytype.set.one'],
    ['mytype.set', ['one'], 'mytype.set'],
    ['mytype.nested', [{first: 1}, {first: 2, second: {a: 'blue'}}], 'mytype.nested.1.second.a'],
    ['mytype.nested', [{first: 1, extra: null}], 'mytype.nested.0.extra'],
    ['mytype.nested', [null], 'mytype.nested.0'],
    ['node', {value: 1, next: {value: 2, next: {value: 'x'}}}, 'node.next.next.value'],
    ['node', {value: 1, next: {next: null}}, 'node.next.value'],
  ])('%s = %j is offending at %s', (path, value, offending = path) => {
    expect(check(withValue(path, value))).toBe(offending);
  });

  test('an unknown parameter is offending, also with a null or undefined value', () => {
    expect(check({...valid, extra: 1})).toBe('extra');
    expect(check({...valid, extra: null})).toBe('extra');
    expect(check({...valid, extra: undefined})).toBe('extra');
    expect(check({...valid, __proto__: {}} as Record<string, unknown>)).toBeNull();
    expect(check({...valid, ...JSON.parse('{"__proto__": 1}')})).toBe('__proto__');
  });

  test('inherited properties are not fields', () => {
    const empty = parseInterface('interface org.example.e\nmethod M(constructor: ?int, toString: ?string) -> ()');
    expect(checkFields(empty.methods.get('M')!.input, {}, empty)).toBeNull();
    expect(checkFields(empty.methods.get('M')!.input, {toString: 1}, empty)).toBe('toString');
  });

  test('an empty parameter list accepts only an empty object', () => {
    expect(checkFields([], {}, iface)).toBeNull();
    expect(checkFields([], {a: 1}, iface)).toBe('a');
  });

  test('values nested beyond the depth limit are refused, not a stack overflow', () => {
    const deep = JSON.parse('{"value":1,"next":'.repeat(100_000) + 'null' + '}'.repeat(100_000));
    const path = check({...valid, node: deep});
    expect(path).toMatch(/^node(\.next)+$/);
    let shallow: unknown = null;
    for (let i = 0; i < 200; i++) shallow = {value: i, next: shallow};
    expect(check({...valid, node: shallow})).toBeNull();
  });
});

describe('checkValue', () => {
  test('reports paths under the given root', () => {
    const type = {kind: 'named', name: 'MyType'} as const;
    expect(checkValue(type, valid.mytype, iface, 'mytype')).toBeNull();
    expect(checkValue(type, {...valid.mytype, enum: 'x'}, iface, 'mytype')).toBe('mytype.enum');
    expect(checkValue({kind: 'array', element: {kind: 'int'}}, [1, 2, 3.5], iface, 'list')).toBe('list.2');
    expect(checkValue({kind: 'int'}, 'x', iface, 'count')).toBe('count');
  });

  test('a named type missing from the interface is offending, not an exception', () => {
    expect(checkValue({kind: 'named', name: 'Nowhere'}, {}, iface, 'x')).toBe('x');
  });
});
