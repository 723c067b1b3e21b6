// The hub's logic: events in (from the ingester), events out (to subscribers), verdicts through (to the helper).
// It is the only authority on what is pending: every verdict must match a live binding of an emitted request.
import {makeEvent, type ClearanceEvent} from '../../core/clearance/event.js';
import {dossierIdentity} from '../../core/clearance/identity.js';
import {sanitiseDossier} from '../../core/clearance/sanitise.js';
import {
  bindingTarget, INVALID_ACTION, isVerdictAction, SHIELD_CLI_FAILED, UNKNOWN_REQUEST, VERDICT_TUPLE_MISMATCH,
  type VerdictAction,
} from '../../core/clearance/verdict.js';
import {VarlinkError} from '../../core/varlink/errors.js';
import type {JsonObject} from '../../core/varlink/message.js';
import {LiveBindings, type Binding, type BindingLimits} from './bindings.js';
import {FanOut, type StreamSink} from './fanout.js';

/** Applies a verdict to the firewall (the verdict helper client). Never throws: failure is `ok: false`. */
export interface VerdictApplier {
  apply(container: string, dest: string, action: VerdictAction): Promise<{ok: boolean; stderr: string}>;
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

  constructor(private readonly applier: VerdictApplier, options: HubOptions = {}) {
    this.now = options.now ?? Date.now;
    this.identify = options.identify;
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
      this.bindings.add(event, this.now());
    } else if (PURGING.has(event.type)) {
      this.bindings.purge(event.container);
      const flight = this.inFlight.get(event.container);
      if (flight) flight.purges++;
    }
    this.fanOut.broadcast({event});
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

  async verdict(container: string, requestId: string, dest: string, action: string): Promise<JsonObject> {
    if (!isVerdictAction(action)) throw new VarlinkError(INVALID_ACTION, {action});
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
    const result = await this.applyTo([binding], action);
    if (!result.ok) throw new VarlinkError(SHIELD_CLI_FAILED, {action, stderr: result.stderr});
    return {ok: true};
  }

  async verdictContainer(container: string, action: string): Promise<JsonObject> {
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
      result = await this.applier.apply(container, target, action);
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
