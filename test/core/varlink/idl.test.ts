import {describe, expect, test} from '@jest/globals';
import {IdlSyntaxError, isInterfaceName, parseInterface, printInterface} from '../../../core/varlink/idl.js';
import type {InterfaceDef, TypeNode} from '../../../core/varlink/idl.js';

function syntaxError(text: string): IdlSyntaxError {
  try {
    parseInterface(text);
  } catch (e) {
    if (e instanceof IdlSyntaxError) return e;
    throw e;
  }
  throw new Error(`parsed: ${JSON.stringify(text)}`);
}

/** The type of field `field` of the first member (a method's input, an error's or struct type's fields). */
function fieldType(def: InterfaceDef, field: string): TypeNode | undefined {
  const member = def.members[0]!;
  const fields = member.kind === 'method' ? member.input : member.kind === 'error' ? member.fields :
    member.type.kind === 'struct' ? member.type.fields : [];
  return fields.find((f) => f.name === field)?.type;
}

const typeOf = (type: string) => fieldType(parseInterface(`interface org.example.t\nmethod M(x: ${type}) -> ()\n`), 'x');

describe('parseInterface', () => {
  test('members in source order, indexed by kind', () => {
    const def = parseInterface(`interface org.example.ping
type Point (x: int, y: int)
method Ping(ping: string) -> (pong: string)
error Failed (reason: string)
type Colour (red, green)
`);
    expect(def.name).toBe('org.example.ping');
    expect(def.members.map((m) => `${m.kind} ${m.name}`)).toEqual(
      ['type Point', 'method Ping', 'error Failed', 'type Colour']);
    expect([...def.types.keys()]).toEqual(['Point', 'Colour']);
    expect(def.methods.get('Ping')).toEqual({kind: 'method', name: 'Ping', doc: '',
      input: [{name: 'ping', doc: '', type: {kind: 'string'}}], output: [{name: 'pong', doc: '', type: {kind: 'string'}}]});
    expect(def.errors.get('Failed')?.fields).toEqual([{name: 'reason', doc: '', type: {kind: 'string'}}]);
    expect(def.types.get('Colour')?.type).toEqual({kind: 'enum', values: ['red', 'green']});
  });

  test.each<[string, TypeNode]>([
    ['bool', {kind: 'bool'}],
    ['int', {kind: 'int'}],
    ['float', {kind: 'float'}],
    ['string', {kind: 'string'}],
    ['object', {kind: 'object'}],
    ['?int', {kind: 'maybe', inner: {kind: 'int'}}],
    ['[]string', {kind: 'array', element: {kind: 'string'}}],
    ['[string]int', {kind: 'dict', element: {kind: 'int'}}],
    ['[string]()', {kind: 'set'}],
    ['[string] ()', {kind: 'set'}],
    ['[string](a)', {kind: 'dict', element: {kind: 'enum', values: ['a']}}],
    ['()', {kind: 'struct', fields: []}],
    ['[]()', {kind: 'array', element: {kind: 'struct', fields: []}}],
    ['(a, b)', {kind: 'enum', values: ['a', 'b']}],
    ['(a: int, b: ?(c, d))', {kind: 'struct', fields: [{name: 'a', doc: '', type: {kind: 'int'}},
      {name: 'b', doc: '', type: {kind: 'maybe', inner: {kind: 'enum', values: ['c', 'd']}}}]}],
    ['?[]?[string][][]int', {kind: 'maybe', inner: {kind: 'array', element: {kind: 'maybe', inner: {kind: 'dict',
      element: {kind: 'array', element: {kind: 'array', element: {kind: 'int'}}}}}}}],
    ['[string][string]()', {kind: 'dict', element: {kind: 'set'}}],
    ['?object', {kind: 'maybe', inner: {kind: 'object'}}],
  ])('type %s', (text, type) => {
    expect(typeOf(text)).toEqual(type);
  });

  test('named types resolve to a type declared before or after', () => {
    const def = parseInterface('interface org.example.t\nmethod M(a: A, b: ?[]B) -> ()\ntype A (x: B)\ntype B (one)\n');
    expect(fieldType(def, 'a')).toEqual({kind: 'named', name: 'A'});
    expect(def.types.get('A')?.type).toEqual({kind: 'struct', fields: [{name: 'x', doc: '', type: {kind: 'named', name: 'B'}}]});
  });

  test('recursive types are allowed', () => {
    expect(parseInterface('interface org.example.t\ntype Node (value: int, next: ?Node)\n').types.has('Node')).toBe(true);
  });

  test('doc comments on the interface, members and fields; one leading space is dropped', () => {
    const def = parseInterface(`# Interface doc
#   indented
#
#no space
interface org.example.doc

# Method doc
method M(
  # input field doc
  a: int,
  b: (
    # nested field doc
    c: int
  )
) -> (
  # output doc
  r: int
)

# first

# after a blank line
type T (
  # comments before enum values are dropped
  one,
  two
)
`);
    expect(def.doc).toBe('Interface doc\n  indented\n\nno space');
    const m = def.methods.get('M')!;
    expect(m.doc).toBe('Method doc');
    expect(m.input.map((f) => f.doc)).toEqual(['input field doc', '']);
    expect(m.input[1]!.type).toEqual({kind: 'struct', fields: [{name: 'c', doc: 'nested field doc', type: {kind: 'int'}}]});
    expect(m.output[0]!.doc).toBe('output doc');
    expect(def.types.get('T')).toEqual({kind: 'type', name: 'T', doc: 'first\nafter a blank line', type: {kind: 'enum', values: ['one', 'two']}});
  });

  test('comments elsewhere are accepted and dropped; a trailing comment documents the next member', () => {
    const def = parseInterface(`interface org.example.c # after the name
method M(a: # before a type
  int # after a type
  , b: int) # about N
  -> () # trailing
method N() -> ()
# at the end`);
    expect(def.doc).toBe('');
    expect(def.methods.get('M')!.input.map((f) => f.doc)).toEqual(['', '']);
    expect(def.methods.get('N')!.doc).toBe('trailing');
  });

  test('CRLF line ends, tabs and no whitespace at all where none is needed', () => {
    const def = parseInterface('# doc\r\ninterface org.example.crlf\r\n\r\n# m\r\nmethod\tM(a:int,b:[]string)->(c:?int)\r\n');
    expect(def.doc).toBe('doc');
    expect(def.methods.get('M')).toEqual({kind: 'method', name: 'M', doc: 'm',
      input: [{name: 'a', doc: '', type: {kind: 'int'}}, {name: 'b', doc: '', type: {kind: 'array', element: {kind: 'string'}}}],
      output: [{name: 'c', doc: '', type: {kind: 'maybe', inner: {kind: 'int'}}}]});
  });

  test('an interface without members', () => {
    expect(parseInterface('interface org.example.empty').members).toEqual([]);
  });

  test.each([
    ['org.example', true],
    ['org.example.foo-bar', true],
    ['org.ex--ample.a1', true],
    ['xn--bcher-kva.example', true],
    ['a.b', true],
    ['org.1example', true],
    ['org', false],
    ['Org.example', true],
    ['org.terok.Clearance1', true],
    ['org.-example', false],
    ['org.example-', false],
    ['org..example', false],
    ['org.example.', false],
    ['.org.example', false],
    ['1org.example', false],
    ['org.exa_mple', false],
  ])('interface name %s valid: %s', (name, valid) => {
    expect(isInterfaceName(name)).toBe(valid);
    if (valid) expect(parseInterface(`interface ${name}`).name).toBe(name);
    else expect(syntaxError(`interface ${name}`).message).toMatch(/^1:11: '.*' is not a valid interface name/);
  });

  test.each([
    // [text, line, column, message]
    ['', 1, 1, "expected 'interface', found end of input"],
    ['# only a comment\n', 2, 1, "expected 'interface', found end of input"],
    ['method M() -> ()', 1, 1, "expected 'interface', found 'method'"],
    ['interface', 1, 10, 'expected an interface name, found end of input'],
    ['interface org.example\nfunction F() -> ()', 2, 1, "expected 'type', 'method' or 'error', found 'function'"],
    ['interface org.example\nmethod m() -> ()', 2, 8, "'m' is not a valid member name"],
    ['interface org.example\nmethod M_x() -> ()', 2, 8, "'M_x' is not a valid member name"],
    ['interface org.example\nmethod M() -> ()\ntype M (a)', 3, 6, "duplicate member name 'M'"],
    ['interface org.example\nerror E (a: int)\nmethod E() -> ()', 3, 8, "duplicate member name 'E'"],
    ['interface org.example\nmethod M(a: int, a: string) -> ()', 2, 18, "duplicate field 'a'"],
    ['interface org.example\ntype T (a, b, a)', 2, 15, "duplicate enum value 'a'"],
    ['interface org.example\nmethod M(_a: int) -> ()', 2, 10, "'_a' is not a valid field name"],
    ['interface org.example\nmethod M(a__b: int) -> ()', 2, 10, "'a__b' is not a valid field name"],
    ['interface org.example\nmethod M(a_: int) -> ()', 2, 10, "'a_' is not a valid field name"],
    ['interface org.example\nmethod M(1a: int) -> ()', 2, 10, "'1a' is not a valid field name"],
    ['interface org.example\nmethod M(a: int,) -> ()', 2, 17, "expected a field name, found ')'"],
    ['interface org.example\nmethod M(a: int b: int) -> ()', 2, 17, "expected ',' or ')', found 'b'"],
    ['interface org.example\nmethod M(a: int) (b: int)', 2, 18, "expected '->' after the input of method M, found '('"],
    ['interface org.example\nmethod M(a: int) ->', 2, 20, "expected '(', found end of input"],
    ['interface org.example\nmethod M(a, b) -> ()', 2, 9, 'method input must be a struct, not an enum'],
    ['interface org.example\nmethod M() -> (a)', 2, 15, 'method output must be a struct, not an enum'],
    ['interface org.example\nerror E (a, b)', 2, 9, 'error must be a struct, not an enum'],
    ['interface org.example\nerror E', 2, 8, "expected '(', found end of input"],
    ['interface org.example\ntype T int', 2, 8, "expected '(', found 'i'"],
    ['interface org.example\ntype T (a: int, b)', 2, 18, "expected ':' after field 'b', found ')'"],
    ['interface org.example\ntype T (a, b: int)', 2, 13, "enum value 'b' cannot have a type"],
    ['interface org.example\nmethod M(a: ??int) -> ()', 2, 13, "'?' cannot apply to a type that is already optional"],
    ['interface org.example\nmethod M(a: [int]string) -> ()', 2, 13, "expected '[]' or '[string]'"],
    ['interface org.example\nmethod M(a: [ ]string) -> ()', 2, 13, "expected '[]' or '[string]'"],
    ['interface org.example\nmethod M(a: integer) -> ()', 2, 13, "expected a type, found 'integer'"],
    ['interface org.example\nmethod M(a: ) -> ()', 2, 13, "expected a type, found ')'"],
    ['interface org.example\nmethod M(a: Missing) -> ()', 2, 13, "unknown type 'Missing'"],
    ['interface org.example\nmethod M(a: ?[]E) -> ()\nerror E ()', 2, 16, "'E' is an error, not a type"],
    ['interface org.example\nmethod M(a: M) -> ()', 2, 13, "'M' is a method, not a type"],
    ['interface org.example\r\n\r\nmethod M(a: %) -> ()', 3, 13, "expected a type, found '%'"],
    ['interface org.example\nmethod M(a: \u00e9) -> ()', 2, 13, 'expected a type, found U+00E9'],
    ['# caf\u00e9 \u{1F600}\ninterface org.example\nmethod M(\u00e9', 3, 10, 'expected a field name, found U+00E9'],
    ['interface org.example\ntype T (a: int))', 2, 16, "expected 'type', 'method' or 'error', found ')'"],
  ])('%j is refused at %i:%i', (text, line, column, message) => {
    const error = syntaxError(text);
    expect(error.message).toContain(message);
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message.startsWith(`${line}:${column}: `)).toBe(true);
  });

  test('types nested more than 64 deep are refused, not a stack overflow', () => {
    parseInterface(`interface org.example\nmethod M(a: ${'[]'.repeat(63)}int) -> ()`);
    expect(syntaxError(`interface org.example\nmethod M(a: ${'[]'.repeat(64)}int) -> ()`).reason).toMatch(/nested more than 64/);
    expect(syntaxError(`interface org.example\ntype T ${'(a: '.repeat(100_000)}`).reason).toMatch(/nested more than 64/);
    expect(syntaxError(`interface org.example\nmethod M(a: ${'?[]'.repeat(100_000)}`).reason).toMatch(/nested more than 64/);
  });
});

describe('printInterface', () => {
  test('canonical layout: docs, blank lines between members, short structs on one line', () => {
    const text = `#doc
interface   org.example.print
type T(a:int,
b: ( c , d ))
# m
#
#  two spaces
method M ( # after '(': part of the first field's doc, as in systemd
  # x doc
  x : ?[]T ) -> ( )
error E()
`;
    expect(printInterface(parseInterface(text))).toBe(`# doc
interface org.example.print

type T (a: int, b: (c, d))

# m
#
#  two spaces
method M(
  # after '(': part of the first field's doc, as in systemd
  # x doc
  x: ?[]T
) -> ()

error E ()
`);
  });

  test('lines longer than 80 columns break, nested structs only as far as needed', () => {
    const def = parseInterface(`interface org.example.long
method Long(first_parameter: string, second_parameter: [string]int) -> (result: (alpha: int, beta: []string, gamma: (one, two, three), delta: ?float, epsilon: object))
type Colours (red, green, blue, cyan, magenta, yellow, black, white, orange, purple, brown, grey)
`);
    const text = printInterface(def);
    expect(text).toBe(`interface org.example.long

method Long(first_parameter: string, second_parameter: [string]int) -> (
  result: (
    alpha: int,
    beta: []string,
    gamma: (one, two, three),
    delta: ?float,
    epsilon: object
  )
)

type Colours (
  red,
  green,
  blue,
  cyan,
  magenta,
  yellow,
  black,
  white,
  orange,
  purple,
  brown,
  grey
)
`);
    expect(parseInterface(text)).toEqual(def);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('printing is a fixed point and parses back to the same definition', () => {
    const def = parseInterface(`# A
interface org.example.fix
type S (set: [string](), dict: [string]?[]S, e: ?(x, y), empty: (), nested: [][string](a: (b: ?object)))
# doc with a # hash and trailing space 
method M(s: S) -> (s: ?S)
error Bad (why: string, where: ?(line: int, column: int))
`);
    const text = printInterface(def);
    expect(parseInterface(text)).toEqual(def);
    expect(printInterface(parseInterface(text))).toBe(text);
  });
});
