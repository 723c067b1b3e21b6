// A decision as a plain JSON record: the Decision of our IDL on the wire, and a grant's file in the grant store.
// Strict both ways: a record that is not exactly one is refused, never half-read.
import {isPlainObject} from '../clearance/event.js';
import {isVerdictAction} from '../clearance/verdict.js';
import type {Decision, DecisionKind} from './decision.js';
import {parsePattern, patternText} from './target-pattern.js';

export interface DecisionRecord {
  id: string;
  kind: string;
  action: string;
  target: string;
  port: number;
  container: string;
  project: string;
  /** RFC 3339, "" when the decision has no time end. */
  expires: string;
  until_exit: string;
  source: string;
  /** RFC 3339, "" when unknown. */
  created: string;
  request_id: string;
  ui: string;
  uid: number;
  note: string;
}

const FIELDS = ['id', 'kind', 'action', 'target', 'port', 'container', 'project', 'expires', 'until_exit', 'source',
  'created', 'request_id', 'ui', 'uid', 'note'] as const satisfies readonly (keyof DecisionRecord)[];

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

export function decisionRecord(d: Decision): DecisionRecord {
  return {
    id: d.id, kind: d.kind, action: d.action, target: patternText(d.pattern), port: d.port, container: d.container,
    project: d.project, expires: iso(d.expires), until_exit: d.untilExit, source: d.source,
    created: iso(d.provenance.created), request_id: d.provenance.requestId, ui: d.provenance.ui, uid: d.provenance.uid,
    note: d.note,
  };
}

/** The decision a record holds, or null when it is not exactly a well-formed record. */
export function decisionFromRecord(x: unknown): Decision | null {
  if (!isPlainObject(x)) return null;
  const keys = Object.keys(x);
  if (keys.length !== FIELDS.length || !FIELDS.every((f) => Object.hasOwn(x, f))) return null;
  const r = x as unknown as DecisionRecord;
  const strings = FIELDS.filter((f) => f !== 'port' && f !== 'uid');
  if (!strings.every((f) => typeof r[f] === 'string')) return null;
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535 || !Number.isInteger(r.uid)) return null;
  if ((r.kind !== 'rule' && r.kind !== 'grant') || !isVerdictAction(r.action)) return null;
  const parsed = parsePattern(r.target);
  if ('error' in parsed) return null;
  const expires = time(r.expires);
  const created = time(r.created);
  if (expires === undefined || created === undefined) return null;
  return {
    id: r.id, kind: r.kind as DecisionKind, action: r.action, pattern: parsed.pattern, port: r.port,
    container: r.container, project: r.project, expires, untilExit: r.until_exit, source: r.source,
    provenance: {created, requestId: r.request_id, ui: r.ui, uid: r.uid}, note: r.note,
  };
}

/** null for "", undefined for text that is not a date. */
function time(text: string): number | null | undefined {
  if (text === '') return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
