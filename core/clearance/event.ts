// The ClearanceEvent of org.terok.Clearance1 (wire.md §2). Python clients decode it strictly: all 11 fields, in this
// order, nothing more. So the record is built field by field here and nowhere else.

export const EVENT_TYPES = [
  'connection_blocked',
  'verdict_applied',
  'container_started',
  'container_exited',
  'shield_up',
  'shield_down',
  'shield_disengaged',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface ClearanceEvent {
  // A string, not EventType: a newer hub may send types this client does not know, which consumers ignore.
  type: string;
  container: string;
  request_id: string;
  dest: string;
  port: number;
  proto: number;
  domain: string;
  action: string;
  ok: boolean;
  reason: string;
  dossier: Record<string, string>;
}

/** The wire order of the fields. */
export const EVENT_FIELDS = [
  'type', 'container', 'request_id', 'dest', 'port', 'proto', 'domain', 'action', 'ok', 'reason', 'dossier',
] as const satisfies readonly (keyof ClearanceEvent)[];

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(x: unknown): x is EventType {
  return typeof x === 'string' && KNOWN_TYPES.has(x);
}

/** Builds an event with exactly the 11 fields in wire order; anything else on `fields` is not copied. */
export function makeEvent(fields: Partial<ClearanceEvent> & {type: string}): ClearanceEvent {
  return {
    type: fields.type,
    container: fields.container ?? '',
    request_id: fields.request_id ?? '',
    dest: fields.dest ?? '',
    port: fields.port ?? 0,
    proto: fields.proto ?? 0,
    domain: fields.domain ?? '',
    action: fields.action ?? '',
    ok: fields.ok ?? false,
    reason: fields.reason ?? '',
    dossier: copyDossier(fields.dossier ?? {}),
  };
}

/** A copy that keeps every key as an own property, `__proto__` included (plain assignment would drop it). */
export function copyDossier(dossier: Record<string, string>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(dossier)) setDossierEntry(copy, key, value);
  return copy;
}

export function setDossierEntry(target: Record<string, string>, key: string, value: string): void {
  // A plain store unless the key is inherited (`__proto__` is a setter on Object.prototype; an inherited read-only
  // property would refuse the store): defineProperty is several times slower, and so is serialising its result.
  if (key in target) Object.defineProperty(target, key, {value, enumerable: true, writable: true, configurable: true});
  else target[key] = value;
}

const STRING_FIELDS = ['type', 'container', 'request_id', 'dest', 'domain', 'action', 'reason'] as const;

/**
 * Strict check for an event decoded from a hub's stream: exactly the 11 fields with their wire types (port and
 * proto integers, dossier a plain object of strings). Field order is not checked; JSON decoding does not need it.
 */
export function isClearanceEvent(x: unknown): x is ClearanceEvent {
  if (!isPlainObject(x)) return false;
  const keys = Object.keys(x);
  if (keys.length !== EVENT_FIELDS.length || !EVENT_FIELDS.every((f) => Object.hasOwn(x, f))) return false;
  const r = x as Record<string, unknown>;
  return STRING_FIELDS.every((f) => typeof r[f] === 'string')
    && Number.isSafeInteger(r.port) && Number.isSafeInteger(r.proto)
    && typeof r.ok === 'boolean'
    && isPlainObject(r.dossier) && Object.values(r.dossier).every((v) => typeof v === 'string');
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
