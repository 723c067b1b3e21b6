// One line of the decision log ($XDG_STATE_HOME/terok-clearance/decisions.jsonl): every verdict that reached the
// shield, whoever made it. The same record is DecisionLogEntry in our IDL. Parsing is forgiving of a torn or foreign
// line (skipped), strict about what it returns.
import {isPlainObject} from '../clearance/event.js';

/**
 * Who decided: the operator at a UI; a rule or a grant answering a block without a prompt; the hub ending a grant
 * (its time ran out, its container exited, the operator revoked it).
 */
export type DecidedBy = 'operator' | 'rule' | 'grant' | 'expiry' | 'exit' | 'revoke';
const DECIDERS: ReadonlySet<string> = new Set(['operator', 'rule', 'grant', 'expiry', 'exit', 'revoke']);

export interface DecisionLogEntry {
  /** RFC 3339 wall-clock time. */
  at: string;
  /** Which hub applied it: "session" or a container id (the per-container layout). */
  hub: string;
  by: DecidedBy;
  /** The rule or grant that decided or was made ("" for a one-time answer). */
  decision: string;
  /** How long the answer lasts: "once", "15m", "until-exit", "always"; "" for an ending. */
  lasting: string;
  container: string;
  identity: string;
  request_id: string;
  /** What the shield was told (a domain or an IP). */
  target: string;
  port: number;
  action: string;
  ok: boolean;
  /** The shield's complaint when it failed. */
  stderr: string;
  ui: string;
  /** -1 when unknown. */
  uid: number;
}

const FIELDS = ['at', 'hub', 'by', 'decision', 'lasting', 'container', 'identity', 'request_id', 'target', 'port',
  'action', 'ok', 'stderr', 'ui', 'uid'] as const satisfies readonly (keyof DecisionLogEntry)[];

/** The entry `value` holds, or null when it is not exactly one. */
export function logEntryOf(value: unknown): DecisionLogEntry | null {
  if (!isPlainObject(value)) return null;
  if (Object.keys(value).length !== FIELDS.length || !FIELDS.every((f) => Object.hasOwn(value, f))) return null;
  const e = value as unknown as DecisionLogEntry;
  const strings = FIELDS.filter((f) => f !== 'port' && f !== 'ok' && f !== 'uid');
  if (!strings.every((f) => typeof e[f] === 'string') || !DECIDERS.has(e.by)) return null;
  return Number.isInteger(e.port) && Number.isInteger(e.uid) && typeof e.ok === 'boolean' ? e : null;
}

/** The entries of log text, oldest first; lines that are not entries (torn by a crash, foreign) are skipped. */
export function parseLog(text: string): DecisionLogEntry[] {
  const entries: DecisionLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const entry = logEntryOf(value);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** One log line: the entry's JSON with its fields in order, and the newline. */
export function logLine(entry: DecisionLogEntry): string {
  const ordered: Record<string, unknown> = {};
  for (const f of FIELDS) ordered[f] = entry[f];
  return `${JSON.stringify(ordered)}\n`;
}

/** Who decided, as a person reads it: "operator (gnome-shell, uid 1000)", "rule h1a2b3c4d", "expiry of g7". */
export function deciderText(e: Pick<DecisionLogEntry, 'by' | 'decision' | 'ui' | 'uid'>): string {
  switch (e.by) {
    case 'operator': {
      const how = [e.ui, e.uid >= 0 ? `uid ${e.uid}` : ''].filter(Boolean).join(', ');
      return how ? `operator (${how})` : 'operator';
    }
    case 'rule': case 'grant': return `${e.by} ${e.decision}`;
    case 'expiry': return `expiry of ${e.decision}`;
    case 'exit': return `container exit ending ${e.decision}`;
    case 'revoke': return `revocation of ${e.decision}`;
  }
}
