// The org.terok.Clearance1 calls a client makes (wire.md §2, §6), with replies checked strictly and failures turned
// into the outcomes a UI or a script acts on. Shared by the long-lived hub connections (Node and the GNOME Shell
// extension) and the one-shot commands; the transport is whatever varlink client the edge has.
import {isClearanceEvent, isPlainObject, type ClearanceEvent} from '../clearance/event.js';
import {sanitise} from '../clearance/sanitise.js';
import {CLEARANCE_INTERFACE, SHIELD_CLI_FAILED, UNKNOWN_REQUEST, type VerdictAction} from '../clearance/verdict.js';
import {isNotFound, VarlinkError} from '../varlink/errors.js';
import type {JsonObject} from '../varlink/message.js';

/**
 * A varlink connection that can make calls: rejects with VarlinkError for an error reply, with another Error when no
 * answer came (closed, timed out; a timeout closes the connection).
 */
export interface VarlinkCaller {
  call(method: string, parameters: JsonObject, options: {timeoutMs?: number}): Promise<JsonObject>;
}

export const SUBSCRIBE = `${CLEARANCE_INTERFACE}.Subscribe`;
export const WATCH = `${CLEARANCE_INTERFACE}.Watch`;
const VERDICT = `${CLEARANCE_INTERFACE}.Verdict`;
const PENDING = `${CLEARANCE_INTERFACE}.Pending`;
const VERDICT_CONTAINER = `${CLEARANCE_INTERFACE}.VerdictContainer`;
const CONTAINER_IDENTITY = `${CLEARANCE_INTERFACE}.ContainerIdentity`;

/**
 * Pending is quick (and so is ContainerIdentity: the hub gives its helper 3 s; the margin matters, because a
 * timeout closes the connection); a verdict waits for the shield (the helper gives it 10 s), a container verdict once per target. */
const PENDING_TIMEOUT_MS = 10_000;
const IDENTITY_TIMEOUT_MS = 10_000;
const VERDICT_TIMEOUT_MS = 30_000;
const CONTAINER_VERDICT_TIMEOUT_MS = 120_000;

export type VerdictOutcome =
  | {kind: 'applied'}
  /** Someone else answered it first, or the hub never had it (expired, purged, restarted). */
  | {kind: 'unknown-request'}
  /** The shield refused (its stderr), or the hub rejected the call. The request stays pending: retry is allowed. */
  | {kind: 'failed'; detail: string}
  /** No hub to ask, or the connection broke before the answer: the verdict may or may not have applied. */
  | {kind: 'unreachable'; detail: string};

/** The outcome of one shield invocation of a container-wide verdict (TargetVerdict in our IDL). */
export interface TargetVerdict {
  target: string;
  request_ids: string[];
  ok: boolean;
  stderr: string;
}

export type ContainerOutcome =
  | {kind: 'applied'; results: TargetVerdict[]}
  /** The hub has no VerdictContainer (an older or Python hub): answer the requests one by one instead. */
  | {kind: 'unsupported'}
  | {kind: 'failed'; detail: string}
  | {kind: 'unreachable'; detail: string};

/** Reports a malformed value from the hub (already made log-safe); the value is skipped. */
export type InvalidReport = (what: string) => void;

/** The event of one Subscribe reply, or null when the reply is not a well-formed ClearanceEvent. */
export function subscribedEvent(reply: JsonObject, onInvalid: InvalidReport): ClearanceEvent | null {
  const event = reply.event;
  if (isClearanceEvent(event)) return event;
  onInvalid(`malformed Subscribe reply skipped: ${preview(reply)}`);
  return null;
}

/**
 * The hub's connection_blocked events still waiting for a verdict, or null when the hub has no Pending method (an
 * older or Python hub: not an error). Malformed entries are reported and skipped; other failures throw.
 */
export async function fetchPending(client: VarlinkCaller, onInvalid: InvalidReport): Promise<ClearanceEvent[] | null> {
  let reply: JsonObject;
  try {
    reply = await client.call(PENDING, {}, {timeoutMs: PENDING_TIMEOUT_MS});
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  return pendingEvents(reply, reply.events, 'Pending', onInvalid);
}

/** The snapshot in the first reply of a Watch call (the pending requests, as Pending lists them). */
export function watchedPending(reply: JsonObject, onInvalid: InvalidReport): ClearanceEvent[] {
  return pendingEvents(reply, reply.pending, 'Watch', onInvalid);
}

function pendingEvents(reply: JsonObject, list: unknown, method: string, onInvalid: InvalidReport): ClearanceEvent[] {
  if (!Array.isArray(list)) {
    onInvalid(`malformed ${method} reply skipped: ${preview(reply)}`);
    return [];
  }
  const events: ClearanceEvent[] = [];
  for (const event of list as unknown[]) {
    if (isClearanceEvent(event) && event.type === 'connection_blocked') events.push(event);
    else onInvalid(`malformed pending event skipped: ${preview(event)}`);
  }
  return events;
}

/**
 * The hub's name for a container ("" when it knows none, or on any failure: a name is never worth an error), or
 * null when the hub has no ContainerIdentity (an older or Python hub).
 */
export async function fetchContainerIdentity(client: VarlinkCaller, container: string): Promise<string | null> {
  try {
    const {identity} = await client.call(CONTAINER_IDENTITY, {container}, {timeoutMs: IDENTITY_TIMEOUT_MS});
    return typeof identity === 'string' ? identity : '';
  } catch (e) {
    return isNotFound(e) ? null : '';
  }
}

export async function sendVerdict(
  client: VarlinkCaller, container: string, requestId: string, dest: string, action: VerdictAction,
): Promise<VerdictOutcome> {
  try {
    const reply = await client.call(VERDICT, {container, request_id: requestId, dest, action},
      {timeoutMs: VERDICT_TIMEOUT_MS});
    return reply.ok === true ? {kind: 'applied'} : {kind: 'failed', detail: `the hub answered ${preview(reply)}`};
  } catch (e) {
    return verdictFailure(e);
  }
}

export async function sendVerdictContainer(
  client: VarlinkCaller, container: string, action: VerdictAction,
): Promise<ContainerOutcome> {
  try {
    const reply = await client.call(VERDICT_CONTAINER, {container, action}, {timeoutMs: CONTAINER_VERDICT_TIMEOUT_MS});
    const results = reply.results;
    if (!Array.isArray(results) || !results.every(isTargetVerdict)) {
      return {kind: 'failed', detail: `malformed VerdictContainer reply: ${preview(reply)}`};
    }
    return {kind: 'applied', results};
  } catch (e) {
    if (isNotFound(e)) return {kind: 'unsupported'};
    const failure = verdictFailure(e);
    return failure.kind === 'unknown-request' ? {kind: 'failed', detail: 'unknown request'} : failure;
  }
}

/** How a failed Verdict-like call reads to a UI (also Decide's: it answers with Verdict's errors). */
export function verdictFailure(e: unknown): Exclude<VerdictOutcome, {kind: 'applied'}> {
  if (e instanceof VarlinkError) {
    if (e.errorName === UNKNOWN_REQUEST) return {kind: 'unknown-request'};
    if (e.errorName === SHIELD_CLI_FAILED) {
      const stderr = e.parameters.stderr;
      return {kind: 'failed', detail: typeof stderr === 'string' ? stderr : ''};
    }
    return {kind: 'failed', detail: e.message};
  }
  // The call never got an answer: a closed connection, a timeout.
  if (e instanceof Error) return {kind: 'unreachable', detail: e.message};
  throw e;
}

function isTargetVerdict(x: unknown): x is TargetVerdict {
  if (!isPlainObject(x)) return false;
  const {target, request_ids: ids, ok, stderr} = x;
  return Object.keys(x).length === 4 && typeof target === 'string' && typeof ok === 'boolean'
    && typeof stderr === 'string' && Array.isArray(ids) && ids.every((id) => typeof id === 'string');
}

/** A short, log-safe rendering of something a hub sent. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return sanitise(text, 160);
}
