// Live bindings: request_id → the connection_blocked event it was emitted with. The only authority on what a
// Verdict may answer. Bounded by count and age (oldest evicted first) so a flood cannot grow memory without limit.
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {bindingTarget} from '../../core/clearance/verdict.js';

export interface BindingLimits {
  /** Most live bindings kept; the oldest is evicted beyond it. */
  maxBindings: number;
  /** Age after which a binding is evicted, in ms. */
  maxAgeMs: number;
}

export const DEFAULT_BINDING_LIMITS: BindingLimits = {maxBindings: 10_000, maxAgeMs: 24 * 3600_000};

export interface Binding {
  readonly event: ClearanceEvent;
  /** When it was bound (ms). */
  readonly at: number;
  /** Order of binding: times can tie, this cannot. */
  readonly seq: number;
}

export class LiveBindings {
  private readonly byId = new Map<string, Binding>();
  // Every binding in seq order, oldest at `head`, so the oldest is found in O(1). Entries taken, purged or
  // re-bound are left in place and skipped (a binding is live while byId maps its id to it); the array is
  // compacted once such dead entries outnumber the live ones. (Not the Map's own order: V8 keeps deleted Map
  // entries as holes until it rehashes, so finding the first live entry of a Map used as a queue costs a scan.)
  private order: Binding[] = [];
  private head = 0;
  private seq = 0;
  // Live bindings by container, then target, so a verdict finds the others it answers without a scan.
  private readonly byTarget = new Map<string, Map<string, Set<Binding>>>();

  constructor(
    private readonly limits: BindingLimits = DEFAULT_BINDING_LIMITS,
    private readonly onEvict: (event: ClearanceEvent, why: 'cap' | 'age') => void = () => {},
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Binds a connection_blocked event; a re-used request id replaces (and refreshes) the old binding. */
  add(event: ClearanceEvent, now: number): void {
    this.take(event.request_id);
    const binding = {event, at: now, seq: this.seq++};
    this.bind(binding);
    this.order.push(binding);
    this.expire(now);
    while (this.byId.size > this.limits.maxBindings) this.onEvict(this.evictOldest(), 'cap');
    this.compact();
  }

  /** Evicts bindings older than the age limit. */
  expire(now: number): void {
    for (let oldest = this.oldest(); oldest && now - oldest.at > this.limits.maxAgeMs; oldest = this.oldest()) {
      this.onEvict(this.evictOldest(), 'age');
    }
  }

  /** Removes and returns the binding for `requestId`, if live. */
  take(requestId: string): Binding | undefined {
    const b = this.byId.get(requestId);
    if (b) this.unbind(b);
    return b;
  }

  /**
   * Puts back a binding taken by take() (a refused or failed verdict), at its place by age so eviction stays
   * oldest-first. A binding whose request id was re-bound meanwhile is not put back over the newer one.
   */
  restore(binding: Binding): void {
    if (this.byId.has(binding.event.request_id)) return;
    this.bind(binding);
    // Its entry is usually still in `order` (live again now); if it was skipped or compacted away, it goes back
    // at its place by seq.
    let lo = this.head;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.seq < binding.seq) lo = mid + 1;
      else hi = mid;
    }
    if (this.order[lo] !== binding) this.order.splice(lo, 0, binding);
  }

  /** Drops every binding of a container (shield down/disengaged, container exited). Returns how many. */
  purge(container: string): number {
    let n = 0;
    for (const group of this.byTarget.get(container)?.values() ?? []) {
      for (const b of group) {
        this.unbind(b);
        n++;
      }
    }
    this.compact();
    return n;
  }

  /** Whether any request of `container` is live. */
  holds(container: string): boolean {
    return this.byTarget.has(container);
  }

  /** The live bindings of `container` whose target is `target`, oldest first. */
  sameTarget(container: string, target: string): ClearanceEvent[] {
    const group = this.byTarget.get(container)?.get(target);
    return group ? [...group].sort((a, b) => a.seq - b.seq).map((b) => b.event) : [];
  }

  /** Every live binding's event, oldest first. */
  pending(): ClearanceEvent[] {
    const events: ClearanceEvent[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const b = this.order[i]!;
      if (this.isLive(b)) events.push(b.event);
    }
    return events;
  }

  private bind(b: Binding): void {
    this.byId.set(b.event.request_id, b);
    let targets = this.byTarget.get(b.event.container);
    if (!targets) this.byTarget.set(b.event.container, targets = new Map());
    const target = bindingTarget(b.event);
    let group = targets.get(target);
    if (!group) targets.set(target, group = new Set());
    group.add(b);
  }

  private unbind(b: Binding): void {
    this.byId.delete(b.event.request_id);
    const targets = this.byTarget.get(b.event.container)!;
    const target = bindingTarget(b.event);
    const group = targets.get(target)!;
    group.delete(b);
    // Emptied groups go, so targets that come and go cannot pile up.
    if (group.size === 0 && targets.delete(target) && targets.size === 0) this.byTarget.delete(b.event.container);
  }

  private isLive(b: Binding): boolean {
    return this.byId.get(b.event.request_id) === b;
  }

  /** The oldest live binding; dead entries in front of it are dropped on the way. */
  private oldest(): Binding | undefined {
    while (this.head < this.order.length) {
      const b = this.order[this.head]!;
      if (this.isLive(b)) return b;
      this.head++;
    }
    return undefined;
  }

  private evictOldest(): ClearanceEvent {
    const b = this.oldest()!;
    this.unbind(b);
    this.head++;
    return b.event;
  }

  /** Amortised O(1): rebuilds `order` only once dead entries (skipped or not yet reached) outnumber live ones. */
  private compact(): void {
    if (this.order.length <= 2 * this.byId.size + 64) return;
    this.order = this.order.slice(this.head).filter((b) => this.isLive(b));
    this.head = 0;
  }
}
