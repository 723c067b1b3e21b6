// The varlink interface definition language (varlink.org "Interface Definition"): a parser that checks the whole
// grammar and every name rule, and a printer whose output parses back to the same definition.
//
// Decisions where the spec or the peers leave room:
// - Doc comments: every `#` comment since the previous token belongs to the next interface, member or struct
//   field (systemd and python-varlink attach them the same way); one space after `#` is not part of the text.
//   Comments anywhere else (before an enum value, inside a type) are accepted and dropped.
// - A named type must be declared by a `type` of the same interface (before or after its use); anything else is
//   an IdlSyntaxError at the reference, so a server never starts with an interface it cannot validate against.
// - `()` is an empty struct. A dict of empty structs is a set: `[string]()` and `[string] ()` both give
//   {kind: 'set'} (their values are `{}` either way).
// - Enums have at least one value; a `?` directly inside a `?` is refused; types nest at most 64 deep (as sd-varlink).
// - CRLF and LF are both line ends; the printer writes LF.

import {isInterfaceName, isMemberName} from './message.js';

export type TypeNode =
  | {kind: 'bool' | 'int' | 'float' | 'string' | 'object'}
  | {kind: 'named'; name: string}
  | {kind: 'struct'; fields: Field[]}
  | {kind: 'enum'; values: string[]}
  | {kind: 'array'; element: TypeNode}
  | {kind: 'dict'; element: TypeNode}
  | {kind: 'set'}
  | {kind: 'maybe'; inner: TypeNode};

export interface Field {
  name: string;
  /** Doc comment lines joined by '\n'; '' when there is none. */
  doc: string;
  type: TypeNode;
}

export interface TypeDef {
  kind: 'type';
  name: string;
  doc: string;
  /** A struct or an enum. */
  type: TypeNode;
}

export interface MethodDef {
  kind: 'method';
  name: string;
  doc: string;
  input: Field[];
  output: Field[];
}

export interface ErrorDef {
  kind: 'error';
  name: string;
  doc: string;
  fields: Field[];
}

export type Member = TypeDef | MethodDef | ErrorDef;

export interface InterfaceDef {
  name: string;
  doc: string;
  /** Every member in source order (the printer's order). */
  members: Member[];
  types: Map<string, TypeDef>;
  methods: Map<string, MethodDef>;
  errors: Map<string, ErrorDef>;
}

/** A description that is not a valid interface; `line` and `column` (1-based, in code points) locate the fault. */
export class IdlSyntaxError extends Error {
  constructor(readonly reason: string, readonly line: number, readonly column: number) {
    super(`${line}:${column}: ${reason}`);
    this.name = 'IdlSyntaxError';
  }
}

const FIELD_NAME = /^[A-Za-z](_?[A-Za-z0-9])*$/;
const PRIMITIVES = new Set(['bool', 'int', 'float', 'string', 'object']);
const MAX_DEPTH = 64;

export {isInterfaceName};

/** Parses an interface description. Throws IdlSyntaxError, and nothing else, for any invalid text. */
export function parseInterface(text: string): InterfaceDef {
  return new Parser(text).parse();
}

function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
}

interface Reference {
  name: string;
  at: number;
}

class Parser {
  private pos = 0;
  private comments: string[] = [];
  private readonly references: Reference[] = [];

  constructor(private readonly text: string) {}

  parse(): InterfaceDef {
    this.skip();
    const doc = this.takeDoc();
    this.keyword('interface');
    const name = this.interfaceName();
    const def: InterfaceDef = {name, doc, members: [], types: new Map(), methods: new Map(), errors: new Map()};
    for (this.skip(); this.pos < this.text.length; this.skip()) {
      const member = this.member(def);
      def.members.push(member);
      if (member.kind === 'type') def.types.set(member.name, member);
      else if (member.kind === 'method') def.methods.set(member.name, member);
      else def.errors.set(member.name, member);
    }
    for (const ref of this.references) {
      if (def.types.has(ref.name)) continue;
      const other = def.methods.has(ref.name) ? 'a method' : def.errors.has(ref.name) ? 'an error' : undefined;
      this.fail(other ? `'${ref.name}' is ${other}, not a type` : `unknown type '${ref.name}'`, ref.at);
    }
    return def;
  }

  private member(def: InterfaceDef): Member {
    const doc = this.takeDoc();
    const start = this.pos;
    const keyword = this.word();
    if (keyword !== 'type' && keyword !== 'method' && keyword !== 'error')
      this.fail(`expected 'type', 'method' or 'error', found ${this.describe(start, keyword)}`, start);
    const name = this.memberName(def);
    if (keyword === 'type') return {kind: 'type', name, doc, type: this.structOrEnum(1)};
    if (keyword === 'error') return {kind: 'error', name, doc, fields: this.struct('error')};
    const input = this.struct('method input');
    this.expect('->', `after the input of method ${name}`);
    return {kind: 'method', name, doc, input, output: this.struct('method output')};
  }

  /** A struct where only a struct may stand (method input/output, error). */
  private struct(what: string): Field[] {
    this.skip();
    const at = this.pos;
    const type = this.structOrEnum(1);
    if (type.kind !== 'struct') this.fail(`${what} must be a struct, not an enum`, at);
    return type.fields;
  }

  private structOrEnum(depth: number): TypeNode {
    this.expect('(', '');
    if (depth > MAX_DEPTH) this.fail(`types nested more than ${MAX_DEPTH} deep`, this.pos - 1);
    this.skip();
    if (this.peek() === ')') {
      this.pos++;
      this.comments = [];
      return {kind: 'struct', fields: []};
    }
    const fields: Field[] = [];
    const values: string[] = [];
    const seen = new Set<string>();
    for (;;) {
      this.skip();
      const doc = this.takeDoc();
      const at = this.pos;
      const name = this.word();
      if (!name) this.fail(`expected a field name, found ${this.describe(at)}`, at);
      if (!FIELD_NAME.test(name))
        this.fail(`'${name}' is not a valid field name (a letter, then letters, digits and single '_' between them)`, at);
      if (seen.has(name)) this.fail(`duplicate ${fields.length ? 'field' : 'enum value'} '${name}'`, at);
      seen.add(name);
      this.skip();
      if (this.peek() === ':') {
        if (values.length) this.fail(`enum value '${name}' cannot have a type (this is an enum)`, this.pos);
        this.pos++;
        fields.push({name, doc, type: this.type(depth)});
      } else {
        if (fields.length) this.fail(`expected ':' after field '${name}', found ${this.describe(this.pos)}`, this.pos);
        values.push(name);
      }
      this.skip();
      const next = this.peek();
      this.comments = [];
      if (next === ',') {
        this.pos++;
      } else if (next === ')') {
        this.pos++;
        return fields.length ? {kind: 'struct', fields} : {kind: 'enum', values};
      } else {
        this.fail(`expected ',' or ')', found ${this.describe(this.pos)}`, this.pos);
      }
    }
  }

  private type(depth: number): TypeNode {
    this.skip();
    this.comments = [];
    const at = this.pos;
    if (depth > MAX_DEPTH) this.fail(`types nested more than ${MAX_DEPTH} deep`, at);
    const c = this.peek();
    if (c === '?') {
      this.pos++;
      const inner = this.type(depth + 1);
      if (inner.kind === 'maybe') this.fail(`'?' cannot apply to a type that is already optional`, at);
      return {kind: 'maybe', inner};
    }
    if (c === '[') {
      if (this.text.startsWith('[]', at)) {
        this.pos += 2;
        return {kind: 'array', element: this.type(depth + 1)};
      }
      if (this.text.startsWith('[string]', at)) {
        this.pos += 8;
        const element = this.type(depth + 1);
        return element.kind === 'struct' && element.fields.length === 0 ? {kind: 'set'} : {kind: 'dict', element};
      }
      this.fail(`expected '[]' or '[string]'`, at);
    }
    if (c === '(') return this.structOrEnum(depth + 1);
    const name = this.word();
    if (PRIMITIVES.has(name)) return {kind: name as 'bool' | 'int' | 'float' | 'string' | 'object'};
    if (isMemberName(name)) {
      this.references.push({name, at});
      return {kind: 'named', name};
    }
    return this.fail(`expected a type, found ${this.describe(at, name)}`, at);
  }

  private keyword(word: string): void {
    this.skip();
    const at = this.pos;
    const found = this.word();
    if (found !== word) this.fail(`expected '${word}', found ${this.describe(at, found)}`, at);
  }

  private interfaceName(): string {
    this.skip();
    this.comments = [];
    const at = this.pos;
    const name = this.run((c) => isWordChar(c) || c === '.' || c === '-');
    if (!name) this.fail(`expected an interface name, found ${this.describe(at)}`, at);
    if (!isInterfaceName(name))
      this.fail(`'${name}' is not a valid interface name (a reverse-domain name like org.example.service: ` +
        `dot-separated labels of letters and digits, '-' only inside a label)`, at);
    return name;
  }

  private memberName(def: InterfaceDef): string {
    this.skip();
    this.comments = [];
    const at = this.pos;
    const name = this.word();
    if (!name) this.fail(`expected a member name, found ${this.describe(at)}`, at);
    if (!isMemberName(name))
      this.fail(`'${name}' is not a valid member name (an uppercase letter, then letters and digits)`, at);
    if (def.members.some((m) => m.name === name)) this.fail(`duplicate member name '${name}'`, at);
    return name;
  }

  private expect(token: string, context: string): void {
    this.skip();
    this.comments = [];
    if (!this.text.startsWith(token, this.pos))
      this.fail(`expected '${token}'${context ? ' ' + context : ''}, found ${this.describe(this.pos)}`, this.pos);
    this.pos += token.length;
  }

  private word(): string {
    return this.run(isWordChar);
  }

  private run(accepts: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accepts(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Skips whitespace and comments; comment texts wait for the next documentable item in `comments`. */
  private skip(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
      } else if (c === '#') {
        let end = text.indexOf('\n', this.pos);
        if (end === -1) end = text.length;
        let line = text.slice(this.pos + 1, end);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.comments.push(line.startsWith(' ') ? line.slice(1) : line);
        this.pos = end;
      } else {
        return;
      }
    }
  }

  private takeDoc(): string {
    const doc = this.comments.join('\n');
    this.comments = [];
    return doc;
  }

  private describe(at: number, token?: string): string {
    if (token) return `'${token}'`;
    if (at >= this.text.length) return 'end of input';
    const c = String.fromCodePoint(this.text.codePointAt(at)!);
    return /[\x21-\x7e]/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }

  private fail(reason: string, at: number): never {
    const before = this.text.slice(0, at);
    const lineStart = before.lastIndexOf('\n') + 1;
    let line = 1;
    for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line++;
    throw new IdlSyntaxError(reason, line, Array.from(before.slice(lineStart)).length + 1);
  }
}

const WIDTH = 80;
const INDENT = '  ';

/**
 * The canonical text of an interface: doc comments as `# ` lines, one blank line between members, a struct on one
 * line when it has no field docs and fits in 80 columns, otherwise one field per line indented by two spaces.
 */
export function printInterface(def: InterfaceDef): string {
  const lines = [...docLines(def.doc, ''), `interface ${def.name}`];
  for (const member of def.members) lines.push('', ...docLines(member.doc, ''), printMember(member));
  return lines.join('\n') + '\n';
}

function printMember(member: Member): string {
  switch (member.kind) {
    case 'type': {
      const head = `type ${member.name} `;
      return head + printType(member.type, 0, head.length);
    }
    case 'error': {
      const head = `error ${member.name} `;
      return head + printFields(member.fields, 0, head.length);
    }
    case 'method': {
      const head = `method ${member.name}` + printFields(member.input, 0, member.name.length + 7) + ' -> ';
      return head + printFields(member.output, 0, head.length - head.lastIndexOf('\n') - 1);
    }
  }
}

function docLines(doc: string, indent: string): string[] {
  return doc === '' ? [] : doc.split('\n').map((line) => (line === '' ? `${indent}#` : `${indent}# ${line}`));
}

/** `type` printed at nesting `level`, starting at `column` of the current line. */
function printType(type: TypeNode, level: number, column: number): string {
  switch (type.kind) {
    case 'maybe':
      return '?' + printType(type.inner, level, column + 1);
    case 'array':
      return '[]' + printType(type.element, level, column + 2);
    case 'dict':
      return '[string]' + printType(type.element, level, column + 8);
    case 'set':
      return '[string]()';
    case 'named':
      return type.name;
    case 'struct':
      return printFields(type.fields, level, column);
    case 'enum': {
      const flat = `(${type.values.join(', ')})`;
      if (column + flat.length <= WIDTH) return flat;
      const inner = INDENT.repeat(level + 1);
      return `(\n${type.values.map((v) => inner + v).join(',\n')}\n${INDENT.repeat(level)})`;
    }
    default:
      return type.kind;
  }
}

function printFields(fields: Field[], level: number, column: number): string {
  const flat = flatFields(fields);
  if (flat !== undefined && column + flat.length <= WIDTH) return flat;
  const inner = INDENT.repeat(level + 1);
  const lines = fields.map((field, i) => {
    const head = `${inner}${field.name}: `;
    const comma = i < fields.length - 1 ? ',' : '';
    return [...docLines(field.doc, inner), head + printType(field.type, level + 1, head.length) + comma].join('\n');
  });
  return `(\n${lines.join('\n')}\n${INDENT.repeat(level)})`;
}

/** One-line form, or undefined when a field doc forces lines. */
function flatFields(fields: Field[]): string | undefined {
  const parts: string[] = [];
  for (const field of fields) {
    const type = flatType(field.type);
    if (field.doc !== '' || type === undefined) return undefined;
    parts.push(`${field.name}: ${type}`);
  }
  return `(${parts.join(', ')})`;
}

function flatType(type: TypeNode): string | undefined {
  switch (type.kind) {
    case 'maybe': {
      const inner = flatType(type.inner);
      return inner === undefined ? undefined : '?' + inner;
    }
    case 'array':
    case 'dict': {
      const element = flatType(type.element);
      return element === undefined ? undefined : (type.kind === 'array' ? '[]' : '[string]') + element;
    }
    case 'struct':
      return flatFields(type.fields);
    case 'enum':
      return `(${type.values.join(', ')})`;
    default:
      return printType(type, 0, 0);
  }
}
