// One NDJSON line from the shield's reader → one ClearanceEvent, or the reason it was dropped (wire.md §4).
// Strict on shape, so a broken or hostile reader cannot put half-right prompts in front of the operator: wrong
// types, blank required strings and out-of-range numbers drop the line with a warning. Every string is sanitised.
import {makeEvent, isPlainObject, type ClearanceEvent} from './event.js';
import {sanitise, sanitiseDossier} from './sanitise.js';

/** Longer lines close the reader's connection; enforced by the ingester, which sees the bytes. */
export const MAX_READER_LINE_BYTES = 64 * 1024;

export type ReaderLineResult =
  | {kind: 'event'; event: ClearanceEvent}
  | {kind: 'ignored'}
  | {kind: 'dropped'; level: 'warning' | 'debug'; reason: string};

// A Map, not an object literal: a type such as "constructor" must not find anything on Object.prototype.
const WIRE_TYPES: ReadonlyMap<string, string> = new Map([
  ['pending', 'connection_blocked'],
  ['connection_blocked', 'connection_blocked'],
  ['container_started', 'container_started'],
  ['container_exited', 'container_exited'],
  ['shield_up', 'shield_up'],
  ['shield_down', 'shield_down'],
  ['shield_disengaged', 'shield_disengaged'],
  // The older shield's name for a full bypass; the original hub silently dropped it.
  ['shield_down_all', 'shield_disengaged'],
]);

const MAX_PORT = 65535;
const MAX_PROTO = 255;

export function translateReaderLine(line: string): ReaderLineResult {
  if (/^[ \t\r\n]*$/.test(line)) return {kind: 'ignored'};
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return warning(`invalid JSON: ${preview(line)}`);
  }
  if (!isPlainObject(raw)) return warning(`not a JSON object: ${preview(line)}`);
  const type = own(raw, 'type');
  if (typeof type !== 'string') return warning(`"type" missing or not a string: ${preview(line)}`);
  const wireType = WIRE_TYPES.get(type);
  if (wireType === undefined) return {kind: 'dropped', level: 'debug', reason: `unknown type ${describe(type)}`};
  try {
    const event = wireType === 'connection_blocked' ? blocked(raw) : lifecycle(wireType, raw);
    return {kind: 'event', event};
  } catch (e) {
    if (e instanceof FieldError) return warning(`${sanitise(type, 40)}: ${e.message}`);
    throw e;
  }
}

function blocked(raw: Record<string, unknown>): ClearanceEvent {
  return makeEvent({
    type: 'connection_blocked',
    container: requiredString(raw, 'container'),
    request_id: requiredString(raw, 'id'),
    dest: requiredString(raw, 'dest'),
    port: boundedInteger(raw, 'port', MAX_PORT),
    proto: boundedInteger(raw, 'proto', MAX_PROTO),
    domain: optionalString(raw, 'domain'),
    dossier: sanitiseDossier(own(raw, 'dossier')),
  });
}

function lifecycle(type: string, raw: Record<string, unknown>): ClearanceEvent {
  return makeEvent({
    type,
    container: requiredString(raw, 'container'),
    reason: type === 'container_exited' ? optionalString(raw, 'reason') : '',
    dossier: sanitiseDossier(own(raw, 'dossier')),
  });
}

class FieldError extends Error {}

function own(raw: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(raw, key) ? raw[key] : undefined;
}

function requiredString(raw: Record<string, unknown>, key: string): string {
  const value = own(raw, key);
  if (typeof value !== 'string') throw new FieldError(`"${key}" must be a string, got ${describe(value)}`);
  const clean = sanitise(value);
  if (clean.trim() === '') throw new FieldError(`"${key}" is blank`);
  return clean;
}

function optionalString(raw: Record<string, unknown>, key: string): string {
  const value = own(raw, key);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new FieldError(`"${key}" must be a string, got ${describe(value)}`);
  return sanitise(value);
}

/** An integer 0..max, given as a JSON number or a string of decimal digits ("443"; not "443abc", "4.4e2", " 443"). */
function boundedInteger(raw: Record<string, unknown>, key: string, max: number): number {
  const value = own(raw, key);
  const n = typeof value === 'number' ? value
    : typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value)
    : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new FieldError(`"${key}" must be an integer 0..${max}, got ${describe(value)}`);
  }
  return n + 0; // -0 → 0
}

function warning(reason: string): ReaderLineResult {
  return {kind: 'dropped', level: 'warning', reason};
}

/** A short, log-safe rendering of an offending value. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(sanitise(value, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'nothing';
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
}

function preview(line: string): string {
  return JSON.stringify(sanitise(line, 80));
}
