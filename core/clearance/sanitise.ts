// The one chokepoint for strings from the reader (wire.md §4): printable ASCII only, length-capped. Renderers still
// escape for their medium (`& < >` pass through here); this only guarantees no control, bidi or non-ASCII characters.
import {setDossierEntry, isPlainObject} from './event.js';

export const SANITISE_CAP = 256;

const MARKER = '...';
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * Reduces `value` to printable ASCII: each code point outside 0x20..0x7E becomes one space (an astral character is
 * one code point, so one space; a lone surrogate is one too). Longer than `cap` → the first cap-3 characters and
 * "..."; for a cap ≤ 3 just "..." cut to the cap. Non-strings are stringified first (null/undefined → "").
 * Stops reading once past the cap, so a huge input costs no more than a short one.
 */
export function sanitise(value: unknown, cap: number = SANITISE_CAP): string {
  const limit = cap >= 0 ? Math.floor(cap) : 0;
  // Most strings are clean already: returned as they are, not rebuilt a character at a time (which costs time
  // and leaves a rope of one-character pieces behind, for as long as the event is kept).
  if (typeof value === 'string' && value.length <= limit && PRINTABLE.test(value)) return value;
  let out = '';
  for (const ch of stringify(value)) {
    if (out.length > limit) break;
    out += isPrintableAscii(ch) ? ch : ' ';
  }
  if (out.length <= limit) return out;
  return limit <= MARKER.length ? MARKER.slice(0, limit) : out.slice(0, limit - MARKER.length) + MARKER;
}

/**
 * A reader's dossier made safe: a non-object gives {}; values are stringified then sanitised. Keys are kept but go
 * through the same rule, because a UI that lists the dossier renders them too; if two hostile keys sanitise to the
 * same text, the first one is kept. `__proto__` is kept as an ordinary own key.
 */
export function sanitiseDossier(x: unknown, cap: number = SANITISE_CAP): Record<string, string> {
  const dossier: Record<string, string> = {};
  if (!isPlainObject(x)) return dossier;
  for (const [rawKey, rawValue] of Object.entries(x)) {
    const key = sanitise(rawKey, cap);
    if (!Object.hasOwn(dossier, key)) setDossierEntry(dossier, key, sanitise(rawValue, cap));
  }
  return dossier;
}

function isPrintableAscii(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return ch.length === 1 && code >= 0x20 && code <= 0x7e;
}

function stringify(value: unknown): string {
  switch (typeof value) {
    case 'string': return value;
    case 'number': case 'boolean': case 'bigint': case 'symbol': return String(value);
    case 'object': return value === null ? '' : jsonText(value);
    default: return '';
  }
}

function jsonText(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    // Only values that never come from JSON.parse land here (cycles, BigInt inside).
    return '';
  }
}
