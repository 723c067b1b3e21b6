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
  // A Map iterates in insertion order, so its first entry is always the oldest binding.
  private readonly byId = new Map<string, Binding>();
  private seq = 0;

  constructor(
    private readonly limits: BindingLimits = DEFAULT_BINDING_LIMITS,
    private readonly onEvict: (event: ClearanceEvent, why: 'cap' | 'age') => void = () => {},
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** Binds a connection_blocked event; a re-used request id replaces (and refreshes) the old binding. */
  add(event: ClearanceEvent, now: number): void {
    this.byId.delete(event.request_id);
    this.byId.set(event.request_id, {event, at: now, seq: this.seq++});
    this.expire(now);
    for (const [id, b] of this.byId) {
      if (this.byId.size <= this.limits.maxBindings) break;
      this.byId.delete(id);
      this.onEvict(b.event, 'cap');
    }
  }

  /** Evicts bindings older than the age limit. */
  expire(now: number): void {
    for (const [id, b] of this.byId) {
      if (now - b.at <= this.limits.maxAgeMs) break;
      this.byId.delete(id);
      this.onEvict(b.event, 'age');
    }
  }

  /** Removes and returns the binding for `requestId`, if live. */
  take(requestId: string): Binding | undefined {
    const b = this.byId.get(requestId);
    if (b) this.byId.delete(requestId);
    return b;
  }

  /**
   * Puts back a binding taken by take() (a refused or failed verdict), at its place by age so eviction stays
   * oldest-first. A binding whose request id was re-bound meanwhile is not put back over the newer one.
   */
  restore(binding: Binding): void {
    if (this.byId.has(binding.event.request_id)) return;
    const younger = [...this.byId].filter(([, b]) => b.seq > binding.seq);
    for (const [id] of younger) this.byId.delete(id);
    this.byId.set(binding.event.request_id, binding);
    for (const [id, b] of younger) this.byId.set(id, b);
  }

  /** Drops every binding of a container (shield down/disengaged, container exited). Returns how many. */
  purge(container: string): number {
    let n = 0;
    for (const [id, b] of this.byId) {
      if (b.event.container !== container) continue;
      this.byId.delete(id);
      n++;
    }
    return n;
  }

  /** The live bindings of `container` whose target is `target`, oldest first. */
  sameTarget(container: string, target: string): ClearanceEvent[] {
    return this.pending().filter((e) => e.container === container && bindingTarget(e) === target);
  }

  /** Every live binding's event, oldest first. */
  pending(): ClearanceEvent[] {
    return [...this.byId.values()].map((b) => b.event);
  }
}
