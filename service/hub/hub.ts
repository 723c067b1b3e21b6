// The hub's logic: events in (from the ingester), events out (to subscribers), verdicts through (to the helper).
// It is the only authority on what is pending: every verdict must match a live binding of an emitted request.
import {makeEvent, type ClearanceEvent} from '../../core/clearance/event.js';
import {dossierIdentity} from '../../core/clearance/identity.js';
import {sanitiseDossier} from '../../core/clearance/sanitise.js';
import {
  applyToBlock, bindingTarget, INVALID_ACTION, isVerdictAction, SHIELD_CLI_FAILED, UNKNOWN_REQUEST, VERDICT_TUPLE_MISMATCH,
  type ShieldApplier, type VerdictAction,
} from '../../core/clearance/verdict.js';
import {decisionRecord} from '../../core/decisions/decision-record.js';
import type {DecidedBy} from '../../core/decisions/decision-log.js';
import {
  confirmationReason, draftDecision, isScopeKind, lastingText, parseLasting, type Decision, type LastingChoice,
} from '../../core/decisions/decision.js';
import {DecisionIndex} from '../../core/decisions/matcher.js';
import {VarlinkError} from '../../core/varlink/errors.js';
import type {JsonObject} from '../../core/varlink/message.js';
import {blockFacts, type LastingDecisions} from '../decisions/lasting-decisions.js';
import {LiveBindings, type Binding, type BindingLimits} from './bindings.js';
import {FanOut, type StreamSink} from './fanout.js';

export const CONFIRMATION_REQUIRED = 'org.terok.Clearance1.ConfirmationRequired';
export const INVALID_DECISION = 'org.terok.Clearance1.InvalidDecision';
export const UNKNOWN_DECISION = 'org.terok.Clearance1.UnknownDecision';
export const RULES_FILE_BROKEN = 'org.terok.Clearance1.RulesFileBroken';

/** Who asked for a verdict, for the decision log. */
export interface Caller {
  readonly ui: string;
  /** -1 when unknown. */
  readonly uid: number;
}

const UNKNOWN_CALLER: Caller = {ui: '', uid: -1};

/** What Decide is asked: the request, the lasting choice as sent, the confirmation, the caller. */
export interface DecideParameters {
  container: string;
  request_id: string;
  dest: string;
  action: string;
  lasting: string;
  scope: string;
  pattern: string;
  confirmed: boolean;
}


export interface HubOptions {
  limits?: BindingLimits;
  queueDepth?: number;
  now?: () => number;
  /** Told about bindings evicted by the cap or the age limit. */
  onEvict?: (event: ClearanceEvent, why: 'cap' | 'age') => void;
  /**
   * Who a container is, as the verdict helper finds out (a dossier: project, task, name, container_name); must not
   * reject. Without it ContainerIdentity knows nothing.
   */
  identify?: (container: string) => Promise<Record<string, unknown>>;
  /** Rules and grants that answer blocks without a prompt, and the decision log; without it, every block prompts. */
  decisions?: LastingDecisions;
}

/** Containers the hub remembers having had events of (ContainerIdentity answers only for those); oldest dropped. */
export const MAX_SEEN_CONTAINERS = 4096;

const PURGING = new Set(['shield_down', 'shield_disengaged', 'container_exited']);

export class ClearanceHub {
  private readonly bindings: LiveBindings;
  private readonly fanOut: FanOut;
  private readonly now: () => number;
  // Containers with a verdict in flight, and whether they were purged meanwhile: a verdict that fails after a
  // purge must not resurrect its bindings. Entries live only while their verdicts do.
  private readonly inFlight = new Map<string, {verdicts: number; purges: number}>();
  private readonly seen = new Set<string>();
  // `seen` oldest first, as a ring: the next slot written holds the container to forget. (Not the Set's own order:
  // V8 keeps deleted entries as holes until it rehashes, so finding its first live entry costs a scan.)
  private readonly seenOrder: string[] = [];
  private seenNext = 0;
  private readonly identify: HubOptions['identify'];
  private readonly decisions: LastingDecisions | undefined;
  // Blocks a decision is being applied to, by container and target: a repeat joins the shield run in flight.
  private readonly answering = new Map<string, {decision: Decision; events: ClearanceEvent[]}>();

  constructor(private readonly applier: ShieldApplier, options: HubOptions = {}) {
    this.now = options.now ?? Date.now;
    this.identify = options.identify;
    this.decisions = options.decisions;
    this.bindings = new LiveBindings(options.limits, options.onEvict);
    this.fanOut = new FanOut(options.queueDepth, this.now);
  }

  get subscriberCount(): number {
    return this.fanOut.size;
  }

  get pendingCount(): number {
    return this.bindings.size;
  }

  /** An event from the ingester: update the bindings, then fan it out. */
  ingest(event: ClearanceEvent): void {
    if (event.container !== '' && !this.seen.has(event.container)) this.remember(event.container);
    if (event.type === 'connection_blocked' && event.request_id !== '') {
      const match = this.decisions?.match(event);
      if (match) {
        this.answer(event, match.decision);
        return;
      }
      this.bindings.add(event, this.now());
    } else if (PURGING.has(event.type)) {
      this.bindings.purge(event.container);
      const flight = this.inFlight.get(event.container);
      if (flight) flight.purges++;
      this.decisions?.containerEnded(event.container);
    }
    this.fanOut.broadcast({event});
  }

  /**
   * A block a lasting decision covers: the shield is told at once and nobody is asked. Only when that fails does the
   * block become a prompt like any other (the operator still decides; nothing is allowed by the failure).
   */
  private answer(event: ClearanceEvent, decision: Decision): void {
    const key = JSON.stringify([event.container, bindingTarget(event)]);
    const running = this.answering.get(key);
    if (running) {
      running.events.push(event);
      return;
    }
    const batch = {decision, events: [event]};
    this.answering.set(key, batch);
    void applyToBlock(this.applier, event.container, event, decision.action).then(async (result) => {
      this.answering.delete(key);
      const by: DecidedBy = decision.kind === 'rule' ? 'rule' : 'grant';
      for (const e of batch.events) {
        await this.record(e, decision.action, result, by, decision.id, '', UNKNOWN_CALLER);
        if (!result.ok) {
          this.bindings.add(e, this.now());
          this.fanOut.broadcast({event: e});
        }
      }
      if (result.ok) await this.decisions?.applied(decision, event);
    });
  }

  private async record(event: ClearanceEvent, action: VerdictAction, result: {ok: boolean; stderr: string},
    by: DecidedBy, decision: string, lasting: string, caller: Caller): Promise<void> {
    await this.decisions?.record({
      by, decision, lasting, container: event.container, identity: dossierIdentity(event.dossier),
      request_id: event.request_id, target: bindingTarget(event), port: event.port, action, ok: result.ok,
      stderr: result.stderr, ui: caller.ui, uid: caller.uid,
    });
  }

  /** Whether the ingester should hold off reading (see FanOut.backpressure). */
  backpressure(): Promise<void> | null {
    return this.fanOut.backpressure();
  }

  /** Streams every event from now on to `sink`; resolves when the subscriber is gone. */
  subscribe(sink: StreamSink): Promise<void> {
    return this.fanOut.attach(sink);
  }

  /**
   * Pending's snapshot as the first reply to `sink`, then every event from now on, like subscribe: both in one turn,
   * so an event is either in the snapshot or on the stream, never lost between them.
   */
  watch(sink: StreamSink): Promise<void> {
    return this.fanOut.attach(sink, {pending: this.pending()});
  }

  pending(): ClearanceEvent[] {
    this.bindings.expire(this.now());
    return this.bindings.pending();
  }

  /**
   * Who a container is, for UIs that cannot ask its engine themselves: the helper's dossier, sanitised like a
   * reader's (it goes to UIs) and made into the label a dossier on the wire would give; "" when nothing is known.
   * Only for containers this hub has had events of (among the last MAX_SEEN_CONTAINERS) or still holds a request
   * of: the hub names what it reported, it is no oracle for every container on the host.
   */
  async containerIdentity(container: string): Promise<JsonObject> {
    if (!this.identify || !this.hasSeen(container)) return {identity: ''};
    let dossier: Record<string, string>;
    try {
      dossier = sanitiseDossier(await this.identify(container));
    } catch {
      dossier = {};
    }
    return {identity: dossierIdentity(dossier)};
  }

  private remember(container: string): void {
    const oldest = this.seenOrder[this.seenNext];
    if (oldest !== undefined) this.seen.delete(oldest);
    this.seen.add(container);
    this.seenOrder[this.seenNext] = container;
    this.seenNext = (this.seenNext + 1) % MAX_SEEN_CONTAINERS;
  }

  private hasSeen(container: string): boolean {
    if (container === '') return false;
    if (this.seen.has(container)) return true;
    // Dropped from `seen` by newer containers, but a request of it is still waiting.
    this.bindings.expire(this.now());
    return this.bindings.holds(container);
  }

  async verdict(container: string, requestId: string, dest: string, action: string,
    caller: Caller = UNKNOWN_CALLER): Promise<JsonObject> {
    if (!isVerdictAction(action)) throw new VarlinkError(INVALID_ACTION, {action});
    const binding = this.takeBound(container, requestId, dest);
    const result = await this.applyTo([binding], action);
    await this.record(binding.event, action, result, 'operator', '', 'once', caller);
    if (!result.ok) throw new VarlinkError(SHIELD_CLI_FAILED, {action, stderr: result.stderr});
    return {ok: true};
  }

  /** Takes the live binding of an emitted request out of the map, checked against the verdict's tuple (wire.md §2). */
  private takeBound(container: string, requestId: string, dest: string): Binding {
    this.bindings.expire(this.now());
    const binding = this.bindings.take(requestId);
    if (!binding) throw new VarlinkError(UNKNOWN_REQUEST, {request_id: requestId});
    const expected = {container: binding.event.container, dest: bindingTarget(binding.event)};
    if (expected.container !== container || expected.dest !== dest) {
      this.bindings.restore(binding);
      throw new VarlinkError(VERDICT_TUPLE_MISMATCH, {
        expected_container: expected.container, expected_dest: expected.dest, got_container: container, got_dest: dest,
      });
    }
    return binding;
  }

  /**
   * Verdict that lasts: the same checks and the same shield run as Verdict, then the decision is kept (a rule in the
   * rules file, or a grant) and answers, at once, the other pending requests it covers.
   */
  async decide(p: DecideParameters, caller: Caller): Promise<JsonObject> {
    if (!isVerdictAction(p.action)) throw new VarlinkError(INVALID_ACTION, {action: p.action});
    const lasting = parseLasting(p.lasting);
    if (!lasting) throw invalidDecision('lasting', `"${p.lasting}" is not once, a duration (15m, 1h, 8h), until-exit or always`);
    if (!isScopeKind(p.scope)) throw invalidDecision('scope', `"${p.scope}" is not container, project or all`);
    const choice: LastingChoice = {action: p.action, lasting, scope: p.scope, pattern: p.pattern};
    if (lasting.kind !== 'once') this.lasting();
    const binding = this.takeBound(p.container, p.request_id, p.dest);
    const drafted = draftDecision(binding.event, choice, this.now());
    const refuse = (error: VarlinkError) => {
      this.bindings.restore(binding);
      return error;
    };
    if ('error' in drafted) throw refuse(invalidDecision(drafted.parameter, drafted.error));
    const reason = confirmationReason(choice);
    if (reason && !p.confirmed) throw refuse(new VarlinkError(CONFIRMATION_REQUIRED, {reason}));
    if (drafted.draft?.kind === 'rule' && this.decisions!.rulesError) {
      throw refuse(new VarlinkError(RULES_FILE_BROKEN, {reason: this.decisions!.rulesError}));
    }
    const result = await this.applyTo([binding], p.action);
    const decision: Decision | null = drafted.draft && {
      ...drafted.draft, id: this.decisions!.newId(drafted.draft.kind),
      source: drafted.draft.kind === 'rule' ? 'rules' : 'grant', note: '',
      provenance: {created: this.now(), requestId: p.request_id, ui: caller.ui, uid: caller.uid},
    };
    await this.record(binding.event, p.action, result, 'operator', result.ok ? decision?.id ?? '' : '',
      lastingText(lasting), caller);
    if (!result.ok) throw new VarlinkError(SHIELD_CLI_FAILED, {action: p.action, stderr: result.stderr});
    if (!decision) return {ok: true, covered: []};
    try {
      await this.decisions!.add(decision);
    } catch (e) {
      throw invalidDecision('lasting', `${p.action} applied for this request, but the decision was not kept: ${(e as Error).message}`);
    }
    await this.decisions!.applied(decision, binding.event);
    const covered = await this.answerCovered(decision);
    // The rule's place in the file is known once it is written; report what the hub now holds.
    const kept = this.decisions!.decisions()[decision.kind === 'rule' ? 'rules' : 'grants'].find((d) => d.id === decision.id);
    return {ok: true, decision: {...decisionRecord(kept ?? decision)}, covered};
  }

  /** Decisions: the rules in force and the grants. */
  listDecisions(): JsonObject {
    const d = this.lasting();
    const {rules, grants} = d.decisions();
    return {rules: rules.map((r) => ({...decisionRecord(r)})), grants: grants.map((g) => ({...decisionRecord(g)})),
      rules_file: d.rulesFile, rules_error: d.rulesError};
  }

  watchDecisions(sink: StreamSink): Promise<void> {
    return this.lasting().watch(sink);
  }

  async revoke(id: string): Promise<JsonObject> {
    const results = await this.lasting().revoke(id);
    if (!results) throw new VarlinkError(UNKNOWN_DECISION, {id});
    return {results};
  }

  async removeRule(id: string): Promise<JsonObject> {
    let removed;
    try {
      removed = await this.lasting().removeRule(id);
    } catch (e) {
      throw new VarlinkError(RULES_FILE_BROKEN, {reason: (e as Error).message});
    }
    if (!removed) throw new VarlinkError(UNKNOWN_DECISION, {id});
    return {rule: {...decisionRecord(removed)}};
  }

  private lasting(): LastingDecisions {
    if (!this.decisions) throw invalidDecision('lasting', 'this hub keeps no lasting decisions');
    return this.decisions;
  }

  /** Answers the pending requests a new decision covers (one shield run per container and target). */
  private async answerCovered(decision: Decision): Promise<string[]> {
    const index = new DecisionIndex([decision]);
    const groups = new Map<string, Binding[]>();
    for (const event of this.bindings.pending()) {
      if (!index.match(blockFacts(event), this.now())) continue;
      const key = JSON.stringify([event.container, bindingTarget(event)]);
      groups.set(key, [...(groups.get(key) ?? []), this.bindings.take(event.request_id)!]);
    }
    const covered: string[] = [];
    const by: DecidedBy = decision.kind === 'rule' ? 'rule' : 'grant';
    for (const group of groups.values()) {
      const result = await this.applyTo(group, decision.action);
      for (const b of group) await this.record(b.event, decision.action, result, by, decision.id, '', UNKNOWN_CALLER);
      if (!result.ok) continue;
      covered.push(...group.map((b) => b.event.request_id));
      await this.decisions!.applied(decision, group[0]!.event);
    }
    return covered;
  }

  async verdictContainer(container: string, action: string, caller: Caller = UNKNOWN_CALLER): Promise<JsonObject> {
    if (!isVerdictAction(action)) throw new VarlinkError(INVALID_ACTION, {action});
    this.bindings.expire(this.now());
    const byTarget = new Map<string, Binding[]>();
    for (const event of this.bindings.pending()) {
      if (event.container !== container) continue;
      const binding = this.bindings.take(event.request_id)!;
      const target = bindingTarget(event);
      byTarget.set(target, [...(byTarget.get(target) ?? []), binding]);
    }
    const results: JsonObject[] = [];
    for (const [target, group] of byTarget) {
      const r = await this.applyTo(group, action);
      for (const b of group) await this.record(b.event, action, r, 'operator', '', 'once', caller);
      results.push({target, request_ids: group.map((b) => b.event.request_id), ok: r.ok, stderr: r.stderr});
    }
    return {results};
  }

  /**
   * Runs the shield once for the target shared by `taken` (bindings already out of the live map), then settles
   * them: on success every other live request for the same container and target is answered too (one rule covers
   * them all); on failure the bindings go back so the operator can retry. Every settled request is broadcast as
   * verdict_applied before the caller replies.
   */
  private async applyTo(taken: Binding[], action: VerdictAction): Promise<{ok: boolean; stderr: string}> {
    const {container} = taken[0]!.event;
    const target = bindingTarget(taken[0]!.event);
    const flight = this.inFlight.get(container) ?? {verdicts: 0, purges: 0};
    flight.verdicts++;
    this.inFlight.set(container, flight);
    const purgesBefore = flight.purges;
    let result;
    try {
      result = await applyToBlock(this.applier, container, taken[0]!.event, action);
    } finally {
      if (--flight.verdicts === 0) this.inFlight.delete(container);
    }
    let settled: {event: ClearanceEvent}[] = taken;
    if (result.ok) {
      const covered = this.bindings.sameTarget(container, target);
      for (const e of covered) this.bindings.take(e.request_id);
      settled = [...taken, ...covered.map((event) => ({event}))];
    } else if (flight.purges === purgesBefore) {
      for (const b of taken) this.bindings.restore(b);
    }
    for (const b of settled) {
      this.fanOut.broadcast({event: makeEvent({
        type: 'verdict_applied', container, request_id: b.event.request_id, action, ok: result.ok,
        // Not in the original hub's broadcast: the shield's complaint for every UI, not only the one that asked.
        reason: result.ok ? '' : result.stderr,
      })});
    }
    return result;
  }
}

function invalidDecision(parameter: string, reason: string): VarlinkError {
  return new VarlinkError(INVALID_DECISION, {parameter, reason});
}
