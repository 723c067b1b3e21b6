// LiveBindings against a plain model of what it promises: a list of bindings in binding order, the oldest
// evicted first by the cap and the age limit, a re-used request id refreshed, a restored binding back at its
// place by age. Random operation sequences must leave both with the same pending list, the same requests per
// target, and the same evictions.
import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {bindingTarget} from '../../../core/clearance/verdict.js';
import {LiveBindings, type Binding, type BindingLimits} from '../../../service/hub/bindings.js';

const CONTAINERS = ['aaaaaaaaaaaa', 'bbbbbbbbbbbb'];

const blocked = (n: number, container: string, domain: string) =>
  makeEvent({type: 'connection_blocked', container, request_id: `r${n}`, dest: '198.51.100.1', port: 443, proto: 6, domain});

/** The same promises, kept the obvious way. */
class Model {
  private list: {event: ClearanceEvent; at: number; seq: number}[] = [];
  private seq = 0;
  constructor(private readonly limits: BindingLimits, private readonly evicted: string[]) {}

  add(event: ClearanceEvent, now: number): void {
    this.list = this.list.filter((b) => b.event.request_id !== event.request_id);
    this.list.push({event, at: now, seq: this.seq++});
    this.expire(now);
    while (this.list.length > this.limits.maxBindings) this.evicted.push(`cap ${this.list.shift()!.event.request_id}`);
  }

  expire(now: number): void {
    while (this.list.length > 0 && now - this.list[0]!.at > this.limits.maxAgeMs) {
      this.evicted.push(`age ${this.list.shift()!.event.request_id}`);
    }
  }

  take(id: string): {event: ClearanceEvent; at: number; seq: number} | undefined {
    const i = this.list.findIndex((b) => b.event.request_id === id);
    return i === -1 ? undefined : this.list.splice(i, 1)[0];
  }

  restore(b: {event: ClearanceEvent; at: number; seq: number}): void {
    if (this.list.some((x) => x.event.request_id === b.event.request_id)) return;
    this.list.push(b);
    this.list.sort((x, y) => x.seq - y.seq);
  }

  purge(container: string): number {
    const before = this.list.length;
    this.list = this.list.filter((b) => b.event.container !== container);
    return before - this.list.length;
  }

  pending(): ClearanceEvent[] {
    return this.list.map((b) => b.event);
  }
}

type Op =
  | {op: 'add'; n: number; container: number; domain: number; advance: number}
  | {op: 'take'; n: number}
  | {op: 'restore'; pick: number}
  | {op: 'purge'; container: number}
  | {op: 'expire'; advance: number};

const ops = fc.array(fc.oneof(
  {weight: 6, arbitrary: fc.record({op: fc.constant('add' as const), n: fc.nat(40), container: fc.nat(1), domain: fc.nat(3), advance: fc.nat(30)})},
  {weight: 3, arbitrary: fc.record({op: fc.constant('take' as const), n: fc.nat(40)})},
  {weight: 2, arbitrary: fc.record({op: fc.constant('restore' as const), pick: fc.nat(1000)})},
  {weight: 1, arbitrary: fc.record({op: fc.constant('purge' as const), container: fc.nat(1)})},
  {weight: 1, arbitrary: fc.record({op: fc.constant('expire' as const), advance: fc.nat(200)})},
), {maxLength: 400});

describe('LiveBindings', () => {
  test('behaves as the model under any sequence of adds, takes, restores, purges and expiry', () => {
    fc.assert(fc.property(ops, fc.integer({min: 1, max: 12}), fc.integer({min: 20, max: 400}), (sequence, maxBindings, maxAgeMs) => {
      const limits = {maxBindings, maxAgeMs};
      const realEvictions: string[] = [];
      const modelEvictions: string[] = [];
      const real = new LiveBindings(limits, (e, why) => realEvictions.push(`${why} ${e.request_id}`));
      const model = new Model(limits, modelEvictions);
      // Taken bindings, each with the model's twin, for later restores (including stale ones).
      const taken: [Binding, NonNullable<ReturnType<Model['take']>>][] = [];
      let now = 0;
      for (const step of sequence as Op[]) {
        switch (step.op) {
          case 'add': {
            now += step.advance;
            const event = blocked(step.n, CONTAINERS[step.container]!, `d${step.domain}.example`);
            real.add(event, now);
            model.add(event, now);
            break;
          }
          case 'take': {
            const [r, m] = [real.take(`r${step.n}`), model.take(`r${step.n}`)];
            expect(r?.event).toEqual(m?.event);
            if (r && m) taken.push([r, m]);
            break;
          }
          case 'restore': {
            if (taken.length === 0) break;
            const [r, m] = taken[step.pick % taken.length]!;
            real.restore(r);
            model.restore(m);
            break;
          }
          case 'purge':
            expect(real.purge(CONTAINERS[step.container]!)).toBe(model.purge(CONTAINERS[step.container]!));
            break;
          case 'expire':
            now += step.advance;
            real.expire(now);
            model.expire(now);
            break;
        }
        expect(real.pending()).toEqual(model.pending());
        expect(real.size).toBe(model.pending().length);
        for (const container of CONTAINERS) {
          for (const domain of ['d0.example', 'd1.example', 'd2.example', 'd3.example']) {
            expect(real.sameTarget(container, domain))
              .toEqual(model.pending().filter((e) => e.container === container && bindingTarget(e) === domain));
          }
        }
      }
      expect(realEvictions).toEqual(modelEvictions);
    }), {numRuns: 300});
  });

  test('a flood past the cap keeps the newest, evicting oldest first, at a cost per line that does not grow with the cap', () => {
    const events = Array.from({length: 100_000}, (_, n) => blocked(n, CONTAINERS[0]!, `h${n}.example`));
    const flood = (maxBindings: number) => {
      const evicted: string[] = [];
      const bindings = new LiveBindings({maxBindings, maxAgeMs: 60_000}, (e) => evicted.push(e.request_id));
      const started = performance.now();
      for (const event of events) bindings.add(event, 0);
      const ms = performance.now() - started;
      expect(bindings.size).toBe(maxBindings);
      expect(bindings.pending()[0]!.request_id).toBe(`r${events.length - maxBindings}`);
      expect(evicted.slice(0, 2)).toEqual(['r0', 'r1']);
      expect(evicted).toHaveLength(events.length - maxBindings);
      return ms;
    };
    flood(100); // warm-up
    // A bigger table costs some cache misses (about 2-3×); finding the oldest by a scan — a Map used as a queue
    // skips the holes its deleted entries leave — costs about 50× more at this cap.
    expect(flood(20_000) / flood(100)).toBeLessThan(10);
  });
});
