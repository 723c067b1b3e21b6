// The lasting-decision calls of our org.terok.Clearance1 additions (Decide, Decisions, WatchDecisions, Revoke,
// RemoveRule), replies checked strictly. A hub without them (older, or the Python hub) answers MethodNotFound:
// the outcome says "unsupported" and UIs offer only the plain Allow/Deny.
import {isPlainObject} from '../clearance/event.js';
import {CLEARANCE_INTERFACE} from '../clearance/verdict.js';
import {decisionFromRecord} from '../decisions/decision-record.js';
import {logEntryOf, type DecisionLogEntry} from '../decisions/decision-log.js';
import type {Decision, LastingChoice} from '../decisions/decision.js';
import {lastingText} from '../decisions/decision.js';
import {isNotFound, VarlinkError} from '../varlink/errors.js';
import type {JsonObject} from '../varlink/message.js';
import {sendVerdict, verdictFailure, type VarlinkCaller, type VerdictOutcome} from './clearance-calls.js';

export const DECIDE = `${CLEARANCE_INTERFACE}.Decide`;
export const DECISIONS = `${CLEARANCE_INTERFACE}.Decisions`;
export const WATCH_DECISIONS = `${CLEARANCE_INTERFACE}.WatchDecisions`;
export const REVOKE = `${CLEARANCE_INTERFACE}.Revoke`;
export const REMOVE_RULE = `${CLEARANCE_INTERFACE}.RemoveRule`;
export const CONFIRMATION_REQUIRED = `${CLEARANCE_INTERFACE}.ConfirmationRequired`;
export const INVALID_DECISION = `${CLEARANCE_INTERFACE}.InvalidDecision`;
export const UNKNOWN_DECISION = `${CLEARANCE_INTERFACE}.UnknownDecision`;
export const RULES_FILE_BROKEN = `${CLEARANCE_INTERFACE}.RulesFileBroken`;

const DECIDE_TIMEOUT_MS = 120_000; // the request's shield run, then one per other request the decision covers
const QUERY_TIMEOUT_MS = 10_000;

export type DecideOutcome =
  | {kind: 'applied'; decision: Decision | null; covered: string[]}
  /** The hub wants the operator's explicit confirmation first (a whole domain, "always" for every container). */
  | {kind: 'needs-confirmation'; reason: string}
  /** The hub has no Decide: only a one-time answer is possible (sent as Verdict when the choice was "once"). */
  | {kind: 'unsupported'}
  | Exclude<VerdictOutcome, {kind: 'applied'}>;

/** What a UI passes to decide: the request, the choice, and whether the operator confirmed it. */
export interface DecideRequest {
  readonly container: string;
  readonly request_id: string;
  readonly dest: string;
  readonly choice: LastingChoice;
  readonly confirmed: boolean;
  /** The client, for the decision log: "gnome-shell", "watch", "cli", "notifier". */
  readonly ui: string;
}

/**
 * Decide on a hub that has it. A one-time choice on a hub without it falls back to Verdict (the same answer), so
 * a plain Allow works everywhere; a lasting one is reported unsupported, never silently made one-time.
 */
export async function sendDecide(client: VarlinkCaller, r: DecideRequest): Promise<DecideOutcome> {
  const {choice} = r;
  try {
    const reply = await client.call(DECIDE, {
      container: r.container, request_id: r.request_id, dest: r.dest, action: choice.action,
      lasting: lastingText(choice.lasting), scope: choice.scope, pattern: choice.pattern, confirmed: r.confirmed,
      ui: r.ui,
    }, {timeoutMs: DECIDE_TIMEOUT_MS});
    const decision = reply.decision === undefined ? null : decisionFromRecord(reply.decision);
    const covered = reply.covered;
    if (reply.ok !== true || (reply.decision !== undefined && !decision) || !isStringList(covered)) {
      return {kind: 'failed', detail: 'malformed Decide reply'};
    }
    return {kind: 'applied', decision, covered};
  } catch (e) {
    if (isNotFound(e)) {
      if (choice.lasting.kind !== 'once') return {kind: 'unsupported'};
      const outcome = await sendVerdict(client, r.container, r.request_id, r.dest, choice.action);
      return outcome.kind === 'applied' ? {kind: 'applied', decision: null, covered: []} : outcome;
    }
    if (e instanceof VarlinkError && e.errorName === CONFIRMATION_REQUIRED) {
      return {kind: 'needs-confirmation', reason: String(e.parameters.reason ?? '')};
    }
    if (e instanceof VarlinkError && e.errorName === INVALID_DECISION) {
      return {kind: 'failed', detail: String(e.parameters.reason ?? e.message)};
    }
    // Everything else is Verdict's vocabulary (UnknownRequest, ShieldCliFailed, a lost connection).
    return verdictFailure(e);
  }
}

/**
 * Whether the hub has Decide, from its interface description: true or false, or null when it did not answer (the
 * connection broke or timed out; ask again on the next connection).
 */
export async function hasDecide(client: VarlinkCaller): Promise<boolean | null> {
  try {
    const reply = await client.call('org.varlink.service.GetInterfaceDescription', {interface: CLEARANCE_INTERFACE},
      {timeoutMs: QUERY_TIMEOUT_MS});
    return typeof reply.description === 'string' && /^method Decide\(/m.test(reply.description);
  } catch (e) {
    return e instanceof VarlinkError ? false : null;
  }
}

/** What WatchDecisions and the indicator show of the lasting decisions. */
export interface DecisionState {
  readonly grants: readonly Decision[];
  readonly rulesCount: number;
  readonly rulesFile: string;
  readonly rulesError: string;
  readonly failing: readonly RevokeFailure[];
}

export interface RevokeFailure {
  readonly decision: string;
  readonly container: string;
  readonly target: string;
  readonly stderr: string;
  readonly attempts: number;
  readonly nextRetry: string;
}

/** One WatchDecisions reply, read strictly: null when it is malformed (the caller reports and skips it). */
export function decisionReply(reply: JsonObject):
  {state: DecisionState | null; recent: DecisionLogEntry[] | null; entry: DecisionLogEntry | null} | null {
  const state = reply.state === undefined ? null : decisionState(reply.state);
  if (reply.state !== undefined && !state) return null;
  let recent: DecisionLogEntry[] | null = null;
  if (reply.recent !== undefined) {
    if (!Array.isArray(reply.recent)) return null;
    recent = reply.recent.map(logEntryOf).filter((e): e is DecisionLogEntry => e !== null);
    if (recent.length !== reply.recent.length) return null;
  }
  const entry = reply.entry === undefined ? null : logEntryOf(reply.entry);
  if (reply.entry !== undefined && !entry) return null;
  return {state, recent, entry};
}

export function decisionState(x: unknown): DecisionState | null {
  if (!isPlainObject(x)) return null;
  const {grants, rules_count: count, rules_file: file, rules_error: error, failing} = x;
  if (!Array.isArray(grants) || !Number.isInteger(count) || typeof file !== 'string' || typeof error !== 'string'
    || !Array.isArray(failing)) return null;
  const decisions = grants.map(decisionFromRecord);
  const failures = failing.map(revokeFailure);
  if (decisions.includes(null) || failures.includes(null)) return null;
  return {
    grants: decisions as Decision[], rulesCount: count as number, rulesFile: file, rulesError: error,
    failing: failures as RevokeFailure[],
  };
}

function revokeFailure(x: unknown): RevokeFailure | null {
  if (!isPlainObject(x)) return null;
  const {decision, container, target, stderr, attempts, next_retry: nextRetry} = x;
  if (typeof decision !== 'string' || typeof container !== 'string' || typeof target !== 'string'
    || typeof stderr !== 'string' || !Number.isInteger(attempts) || typeof nextRetry !== 'string') return null;
  return {decision, container, target, stderr, attempts: attempts as number, nextRetry};
}

export type QueryOutcome<T> =
  | {kind: 'ok'; value: T}
  | {kind: 'unsupported'}
  | {kind: 'failed'; error: string; detail: string}
  | {kind: 'unreachable'; detail: string};

export interface DecisionList {
  readonly rules: Decision[];
  readonly grants: Decision[];
  readonly rulesFile: string;
  readonly rulesError: string;
}

export function fetchDecisions(client: VarlinkCaller): Promise<QueryOutcome<DecisionList>> {
  return query(client, DECISIONS, {}, (r) => {
    const rules = Array.isArray(r.rules) ? r.rules.map(decisionFromRecord) : [null];
    const grants = Array.isArray(r.grants) ? r.grants.map(decisionFromRecord) : [null];
    if (rules.includes(null) || grants.includes(null) || typeof r.rules_file !== 'string'
      || typeof r.rules_error !== 'string') return null;
    return {rules: rules as Decision[], grants: grants as Decision[], rulesFile: r.rules_file, rulesError: r.rules_error};
  });
}

export interface RevokeResult {
  readonly container: string;
  readonly target: string;
  readonly ok: boolean;
  readonly stderr: string;
}

export function sendRevoke(client: VarlinkCaller, id: string): Promise<QueryOutcome<RevokeResult[]>> {
  return query(client, REVOKE, {id}, (r) => {
    const list = r.results;
    if (!Array.isArray(list)) return null;
    const ok = list.every((x) => isPlainObject(x) && typeof x.container === 'string' && typeof x.target === 'string'
      && typeof x.ok === 'boolean' && typeof x.stderr === 'string');
    return ok ? (list as unknown as RevokeResult[]) : null;
  }, DECIDE_TIMEOUT_MS);
}

export function sendRemoveRule(client: VarlinkCaller, id: string): Promise<QueryOutcome<Decision>> {
  return query(client, REMOVE_RULE, {id}, (r) => decisionFromRecord(r.rule));
}

async function query<T>(client: VarlinkCaller, method: string, parameters: JsonObject,
  read: (reply: JsonObject) => T | null, timeoutMs = QUERY_TIMEOUT_MS): Promise<QueryOutcome<T>> {
  let reply: JsonObject;
  try {
    reply = await client.call(method, parameters, {timeoutMs});
  } catch (e) {
    if (isNotFound(e)) return {kind: 'unsupported'};
    if (e instanceof VarlinkError) return {kind: 'failed', error: e.errorName, detail: errorDetail(e)};
    if (e instanceof Error) return {kind: 'unreachable', detail: e.message};
    throw e;
  }
  const value = read(reply);
  return value === null ? {kind: 'failed', error: '', detail: `malformed ${method} reply`} : {kind: 'ok', value};
}

/** The operator-facing words of a hub's error: its reason, stderr or id parameter, else its name. */
function errorDetail(e: VarlinkError): string {
  const p = e.parameters;
  for (const key of ['reason', 'stderr', 'id'] as const) if (typeof p[key] === 'string' && p[key]) return p[key];
  return e.errorName;
}

function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}
