// Validation of received or outgoing parameters against an interface's types. Strict: no coercion, unknown fields
// refused, integers must be exact. Reports where the first fault is, as the dotted path the varlink
// InvalidParameter error carries (`mytype.map.foo`; array elements by index: `list.3`).
//
// Decisions: `object` is any JSON object (as sd-varlink; arrays, scalars and null are refused — `?object` for null);
// `float` is any finite number; a set's values must be `{}`; an optional (`?`) value may be null or absent.
// Values nested deeper than MAX_DEPTH type levels (a value level costs one or two) are refused, so hostile input
// cannot exhaust the stack.
import type {Field, InterfaceDef, TypeNode} from './idl.js';
import {isJsonObject} from './message.js';
import type {JsonObject} from './message.js';

const MAX_DEPTH = 512;

/** Path segments of a fault, innermost first (built only when a check fails). */
type Fault = string[];

/** null when `value` holds exactly `fields`, else the dotted path of the first offending parameter. */
export function checkFields(fields: readonly Field[], value: JsonObject, iface: InterfaceDef): string | null {
  const fault = checkStruct(fields, value, iface, 0);
  return fault ? fault.reverse().join('.') : null;
}

/** null when `value` is of `type`, else the dotted path of the offending part, starting with `path`. */
export function checkValue(type: TypeNode, value: unknown, iface: InterfaceDef, path: string): string | null {
  const fault = check(type, value, iface, 0);
  return fault ? [path, ...fault.reverse()].join('.') : null;
}

function checkStruct(fields: readonly Field[], value: JsonObject, iface: InterfaceDef, depth: number): Fault | null {
  for (const key of Object.keys(value)) {
    if (!fields.some((field) => field.name === key)) return [key];
  }
  for (const field of fields) {
    const fault = check(field.type, Object.hasOwn(value, field.name) ? value[field.name] : undefined, iface, depth);
    if (fault) {
      fault.push(field.name);
      return fault;
    }
  }
  return null;
}

function check(type: TypeNode, value: unknown, iface: InterfaceDef, depth: number): Fault | null {
  if (depth > MAX_DEPTH) return [];
  switch (type.kind) {
    case 'bool':
      return typeof value === 'boolean' ? null : [];
    case 'int':
      return Number.isSafeInteger(value) ? null : [];
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? null : [];
    case 'string':
      return typeof value === 'string' ? null : [];
    case 'object':
      return isJsonObject(value) ? null : [];
    case 'enum':
      return typeof value === 'string' && type.values.includes(value) ? null : [];
    case 'maybe':
      return value === null || value === undefined ? null : check(type.inner, value, iface, depth);
    case 'named': {
      const def = iface.types.get(type.name);
      return def ? check(def.type, value, iface, depth + 1) : [];
    }
    case 'struct':
      return isJsonObject(value) ? checkStruct(type.fields, value, iface, depth + 1) : [];
    case 'array': {
      if (!Array.isArray(value)) return [];
      for (let i = 0; i < value.length; i++) {
        const fault = check(type.element, value[i], iface, depth + 1);
        if (fault) {
          fault.push(String(i));
          return fault;
        }
      }
      return null;
    }
    case 'dict':
    case 'set': {
      if (!isJsonObject(value)) return [];
      for (const [key, element] of Object.entries(value)) {
        const fault = type.kind === 'dict' ? check(type.element, element, iface, depth + 1) :
          isJsonObject(element) && Object.keys(element).length === 0 ? null : [];
        if (fault) {
          fault.push(key);
          return fault;
        }
      }
      return null;
    }
  }
}
