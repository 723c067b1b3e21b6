// The IDL parser and printer against other implementations: the reference interfaces as python-varlink ships them
// parse and print back, and systemd's parser (`varlinkctl validate-idl` in the trixie root) accepts what we print
// and reads it as we do. A missing peer fails the test with the provisioning hint; nothing is skipped.
import {describe, expect, test} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseInterface, printInterface} from '../../../core/varlink/idl.js';
import type {InterfaceDef} from '../../../core/varlink/idl.js';
import {pythonPath, validateIdl} from '../support/peers.js';

const reference = (file: string) => readFileSync(join(pythonPath(), 'varlink', file), 'utf8');

/**
 * The definition as systemd's reformatting keeps it: member order is lost (systemd prints types, then methods, then
 * errors) and so are empty comment lines (its printer drops them).
 */
function asSystemdKeepsIt(def: InterfaceDef): unknown {
  const {name, doc, types, methods, errors} = def;
  return JSON.parse(JSON.stringify({name, doc, types, methods, errors}, (key, value: unknown) => {
    if (value instanceof Map) return Object.fromEntries([...value].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (key === 'doc' && typeof value === 'string') return value.split('\n').filter((line) => line !== '').join('\n');
    return value;
  }));
}

// Every construct systemd's parser supports: docs on the interface, members and fields (nested too), each
// primitive, `?`, one `[]` or `[string]` level, anonymous structs and enums, named and recursive types.
const RICH = `# A rich interface.
#
#   Indented doc line, and one with a # inside.
interface org.terok.IdlCheck1

# A recursive struct.
type Node (
  # The payload.
  value: ?object,
  children: []Node,
  attributes: [string]string,
  parent: ?Node
)

type Colour (red, green, blue)

# Every field type.
method Everything(
  b: bool,
  i: int,
  f: float,
  s: string,
  o: object,
  colour: Colour,
  maybe: ?int,
  list: []string,
  maybe_list: ?[]float,
  map: [string]bool,
  maybe_map: ?[string]Colour,
  anon: (
    # Nested field doc.
    x: int,
    y: ?(north, south),
    z: [](a: int, b: [string](c, d))
  )
) -> (node: Node, colours: []Colour)

method Nothing() -> ()

# Failure with details.
error Failed (reason: string, where: ?(line: int, column: int))

error Empty ()
`;

describe('reference interfaces (python-varlink)', () => {
  test.each(['tests/org.varlink.certification.varlink', 'org.varlink.service.varlink', 'tests/org.example.more.varlink'])(
    '%s parses, and prints to a fixed point that parses back the same', (file) => {
      const def = parseInterface(reference(file));
      const text = printInterface(def);
      expect(parseInterface(text)).toEqual(def);
      expect(printInterface(parseInterface(text))).toBe(text);
    });

  test('org.varlink.certification reads as the spec means it', () => {
    const def = parseInterface(reference('tests/org.varlink.certification.varlink'));
    expect(def.doc.split('\n')[0]).toBe('Interface to test varlink implementations against.');
    expect(def.types.get('Interface')?.type).toEqual({kind: 'struct', fields: [
      {name: 'foo', doc: '', type: {kind: 'maybe', inner: {kind: 'array', element: {kind: 'maybe',
        inner: {kind: 'dict', element: {kind: 'enum', values: ['foo', 'bar', 'baz']}}}}}},
      {name: 'anon', doc: '', type: {kind: 'struct', fields: [
        {name: 'foo', doc: '', type: {kind: 'bool'}}, {name: 'bar', doc: '', type: {kind: 'bool'}}]}},
    ]});
    expect(def.methods.get('Test08')?.output).toEqual([{name: 'set', doc: '', type: {kind: 'set'}}]);
    expect(def.methods.get('Test10')?.doc).toBe('returns more than one reply with "continues"');
    expect(def.errors.get('ClientIdError')?.fields).toEqual([]);
    expect([...def.methods.keys()]).toEqual(['Start', ...Array.from({length: 11}, (_, i) => `Test${String(i + 1).padStart(2, '0')}`), 'End']);
  });
});

describe('systemd varlinkctl validate-idl', () => {
  test('accepts our printing of a rich interface and reads it back as we do', async () => {
    const def = parseInterface(RICH);
    const result = await validateIdl(printInterface(def));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // validate-idl prints systemd's own formatting of what it parsed: same members, fields and docs.
    expect(asSystemdKeepsIt(parseInterface(result.stdout))).toEqual(asSystemdKeepsIt(def));
  });

  test('accepts our printing of org.varlink.service', async () => {
    const result = await validateIdl(printInterface(parseInterface(reference('org.varlink.service.varlink'))));
    expect(result.code).toBe(0);
  });

  test('refuses nested containers, which we support (the limit is systemd\'s)', async () => {
    const text = printInterface(parseInterface('interface org.example.nested\nmethod M(a: [][]string) -> ()'));
    expect((await validateIdl(text)).code).not.toBe(0);
  });
});
