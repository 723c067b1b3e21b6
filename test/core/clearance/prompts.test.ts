import {describe, expect, test} from '@jest/globals';
import fc from 'fast-check';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {
  PromptModel, promptKey, type PromptChange, type VerdictRequest,
} from '../../../core/clearance/prompts.js';
import {UNKNOWN_REQUEST, rejectionOf, type VerdictAction} from '../../../core/clearance/verdict.js';

const C = 'abc123def456';
const D = 'fed654cba321';
const TASK = {project: 'warp', task: 't42', name: 'build'};
const KEY = promptKey(C, 'registry.example.net');
let counter = 0;

function blocked(over: Partial<ClearanceEvent> = {}): ClearanceEvent {
  counter += 1;
  return makeEvent({
    type: 'connection_blocked', container: C, request_id: `${over.container ?? C}:${counter}`, dest: '198.51.100.1',
    port: 443, proto: 6, domain: 'registry.example.net', dossier: TASK, ...over,
  });
}

function applied(requestId: string, action = 'allow', ok = true, reason = ''): ClearanceEvent {
  return makeEvent({type: 'verdict_applied', container: C, request_id: requestId, action, ok, reason});
}

function lifecycle(type: string, container = C, dossier: Record<string, string> = {}): ClearanceEvent {
  return makeEvent({type, container, dossier});
}

const kinds = (changes: PromptChange[]) => changes.map((c) => c.kind);

describe('blocks and repeats', () => {
  test('a new block adds a numbered prompt with its identity', () => {
    const model = new PromptModel();
    const event = blocked();
    const changes = model.apply(event, 1000, 'session');
    expect(changes).toEqual([{kind: 'added', prompt: {
      key: KEY, number: 1, container: C, target: 'registry.example.net', domain: 'registry.example.net',
      dest: '198.51.100.1', port: 443, proto: 6, requestId: event.request_id, origin: 'session', count: 1,
      firstSeen: 1000, lastSeen: 1000, project: 'warp', identity: 'warp/t42 · build', inFlight: null, failure: null, notice: null,
    }}]);
    expect(model.prompts()).toHaveLength(1);
    expect(model.get(KEY)).toEqual(changes[0]!.kind === 'added' && changes[0]!.prompt);
  });

  test('a repeat for a live key updates the prompt, is never mistaken for a result, and moves the verdict to it', () => {
    const model = new PromptModel();
    const first = blocked();
    model.apply(first, 1000);
    const repeat = blocked({port: 8443, dest: '198.51.100.2'});
    const changes = model.apply(repeat, 5000);
    expect(kinds(changes)).toEqual(['updated']);
    const prompt = model.get(KEY)!;
    expect(prompt).toMatchObject({number: 1, count: 2, firstSeen: 1000, lastSeen: 5000, port: 8443,
      dest: '198.51.100.2', requestId: repeat.request_id});
    // the original tools' bug: the repeat took the prompt out of the pending list
    expect(model.prompts().map((p) => p.key)).toEqual([KEY]);
    expect(model.results()).toEqual([]);
    expect(model.beginVerdict(KEY, 'allow')).toMatchObject({request_id: repeat.request_id});
  });

  test('many repeats keep one prompt', () => {
    const model = new PromptModel();
    for (let i = 0; i < 100; i++) model.apply(blocked(), i);
    expect(model.prompts()).toHaveLength(1);
    expect(model.get(KEY)).toMatchObject({count: 100, firstSeen: 0, lastSeen: 99});
  });

  test('prompts are keyed by (container, domain || dest)', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    model.apply(blocked({domain: 'other.example.net'}), 0);
    model.apply(blocked({container: D}), 0);
    model.apply(blocked({domain: ''}), 0);
    model.apply(blocked({domain: '', dest: '2001:db8::1'}), 0);
    expect(model.prompts().map((p) => [p.number, p.container, p.target])).toEqual([
      [1, C, 'registry.example.net'], [2, C, 'other.example.net'], [3, D, 'registry.example.net'],
      [4, C, '198.51.100.1'], [5, C, '2001:db8::1'],
    ]);
  });

  test('the same block delivered twice (snapshot, second hub) is not counted twice', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    expect(model.apply(event, 10)).toEqual([]);
    expect(model.get(KEY)!.count).toBe(1);
  });

  test('a block nothing can be bound to is ignored', () => {
    const model = new PromptModel();
    expect(model.apply(blocked({request_id: ''}), 0)).toEqual([]);
    expect(model.apply(blocked({container: ''}), 0)).toEqual([]);
    expect(model.apply(blocked({domain: '', dest: ''}), 0)).toEqual([]);
    expect(model.prompts()).toEqual([]);
  });

  test('unknown event types change nothing', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    expect(model.apply(lifecycle('container_paused'), 0)).toEqual([]);
    expect(model.apply(lifecycle('pending'), 0)).toEqual([]);
    expect(model.prompts()).toHaveLength(1);
  });

  test('a request id re-bound to another target (a restarted reader counts from 1 again) leaves its old prompt', () => {
    const model = new PromptModel();
    model.apply(blocked({request_id: `${C}:1`}), 0);
    model.apply(blocked({request_id: `${C}:1`, domain: 'other.example.net'}), 10);
    expect(model.prompts().map((p) => p.target)).toEqual(['other.example.net']);
    // and an old prompt with other requests keeps them
    const model2 = new PromptModel();
    model2.apply(blocked({request_id: `${C}:1`}), 0);
    model2.apply(blocked({request_id: `${C}:2`}), 0);
    const changes = model2.apply(blocked({request_id: `${C}:2`, domain: 'other.example.net'}), 10);
    expect(kinds(changes)).toEqual(['updated', 'added']);
    expect(model2.get(KEY)!.requestId).toBe(`${C}:1`);
    expect(kinds(model2.apply(applied(`${C}:2`), 20))).toEqual(['resolved']);
    expect(model2.prompts().map((p) => p.target)).toEqual(['registry.example.net']);
  });

  test('the superseded prompt is reported as removed', () => {
    const model = new PromptModel();
    model.apply(blocked({request_id: `${C}:1`}), 0);
    const changes = model.apply(blocked({request_id: `${C}:1`, domain: 'other.example.net'}), 10);
    expect(changes).toEqual([
      expect.objectContaining({kind: 'removed', reason: 'superseded'}),
      expect.objectContaining({kind: 'added'}),
    ]);
  });
});

describe('verdict_applied', () => {
  test('ok for the latest request turns the prompt into a result', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const changes = model.apply(applied(event.request_id, 'allow'), 500);
    expect(changes).toEqual([{kind: 'resolved', prompt: expect.objectContaining({key: KEY}), result: {
      number: 1, key: KEY, container: C, target: 'registry.example.net', domain: 'registry.example.net',
      dest: '198.51.100.1', port: 443, proto: 6, identity: 'warp/t42 · build', requestId: event.request_id,
      action: 'allow', ok: true, stderr: '', at: 500,
    }}]);
    expect(model.prompts()).toEqual([]);
    expect(model.results()).toEqual([changes[0]!.kind === 'resolved' && changes[0]!.result]);
  });

  test('any request id the prompt has seen resolves it: the shield acts on the target', () => {
    const model = new PromptModel();
    const first = blocked();
    model.apply(first, 0);
    model.apply(blocked(), 1);
    model.apply(blocked(), 2);
    const changes = model.apply(applied(first.request_id, 'deny'), 3);
    expect(changes).toEqual([expect.objectContaining({kind: 'resolved',
      result: expect.objectContaining({action: 'deny', requestId: first.request_id})})]);
    expect(model.prompts()).toEqual([]);
  });

  test('a failure keeps the prompt answerable, with the stderr the hub put in reason', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const changes = model.apply(applied(event.request_id, 'allow', false, 'nft: permission denied'), 10);
    expect(changes).toEqual([{kind: 'failed', prompt: expect.objectContaining({key: KEY}),
      result: expect.objectContaining({ok: false, action: 'allow', stderr: 'nft: permission denied', at: 10})}]);
    expect(model.get(KEY)!.failure).toMatchObject({ok: false, stderr: 'nft: permission denied'});
    expect(model.results()).toEqual([]);
    // retry
    const request = model.beginVerdict(KEY, 'allow')!;
    expect(request).toMatchObject({request_id: event.request_id});
    expect(model.get(KEY)).toMatchObject({failure: null, inFlight: 'allow'});
    expect(kinds(model.apply(applied(event.request_id, 'allow'), 20))).toEqual(['resolved']);
    expect(model.verdictAccepted(request, 21)).toEqual([]);
    expect(model.results()).toHaveLength(1);
  });

  test('an unknown request or a malformed action changes nothing', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    expect(model.apply(applied('ghost:9'), 0)).toEqual([]);
    expect(model.apply(applied(event.request_id, 'Allow'), 0)).toEqual([]);
    expect(model.apply(applied(event.request_id, ''), 0)).toEqual([]);
    expect(model.prompts()).toHaveLength(1);
  });

  test('a second verdict on a resolved prompt: the same outcome is silent, a different one is the new truth', () => {
    const model = new PromptModel();
    const first = blocked();
    const second = blocked();
    model.apply(first, 0);
    model.apply(second, 0);
    model.apply(applied(second.request_id, 'allow'), 10);
    expect(model.apply(applied(second.request_id, 'allow'), 11)).toEqual([]);
    expect(model.apply(applied(first.request_id, 'allow'), 12)).toEqual([]);
    const changes = model.apply(applied(first.request_id, 'deny'), 13);
    expect(changes).toEqual([{kind: 'resolved', prompt: null, result: expect.objectContaining({
      key: KEY, number: 1, action: 'deny', requestId: first.request_id, identity: 'warp/t42 · build', at: 13})}]);
    expect(model.results().map((r) => r.action)).toEqual(['deny', 'allow']);
    // a failed late verdict on a resolved prompt is not news
    expect(model.apply(applied(first.request_id, 'allow', false), 14)).toEqual([]);
  });
});

describe('one click, one verdict', () => {
  test('beginVerdict gives the Verdict parameters once; a double click gets null', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0, 'hub-a');
    const request = model.beginVerdict(KEY, 'allow');
    expect(request).toEqual({key: KEY, container: C, request_id: event.request_id, dest: 'registry.example.net',
      action: 'allow', origin: 'hub-a'});
    expect(model.beginVerdict(KEY, 'allow')).toBeNull();
    expect(model.beginVerdict(KEY, 'deny')).toBeNull();
    expect(model.get(KEY)!.inFlight).toBe('allow');
  });

  test('the verdict dest is the IP when there is no domain', () => {
    const model = new PromptModel();
    model.apply(blocked({domain: ''}), 0);
    expect(model.beginVerdict(promptKey(C, '198.51.100.1'), 'deny')).toMatchObject({dest: '198.51.100.1'});
  });

  test('unknown keys and bad actions give null', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    expect(model.beginVerdict('nope', 'allow')).toBeNull();
    expect(model.beginVerdict(KEY, 'ALLOW' as VerdictAction)).toBeNull();
    expect(model.get(KEY)!.inFlight).toBeNull();
  });

  test('an accepted reply resolves at once, and the broadcast that follows adds nothing', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const request = model.beginVerdict(KEY, 'deny')!;
    expect(model.verdictAccepted(request, 5)).toEqual([expect.objectContaining({kind: 'resolved',
      result: expect.objectContaining({action: 'deny', ok: true, at: 5})})]);
    expect(model.apply(applied(event.request_id, 'deny'), 6)).toEqual([]);
    expect(model.results()).toHaveLength(1);
  });

  test('UnknownRequest is "already answered", not an error; the prompt stays until the broadcast arrives', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const request = model.beginVerdict(KEY, 'allow')!;
    const changes = model.verdictRejected(request, rejectionOf(UNKNOWN_REQUEST), '', 5);
    expect(changes).toEqual([{kind: 'updated', prompt: expect.objectContaining({
      notice: 'already-answered', inFlight: null, failure: null})}]);
    expect(kinds(model.apply(applied(event.request_id, 'deny'), 6))).toEqual(['resolved']);
  });

  test('after "already answered" the operator may still try again (the other verdict may have failed)', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    model.verdictRejected(model.beginVerdict(KEY, 'allow')!, 'unknown-request', '', 1);
    expect(model.beginVerdict(KEY, 'allow')).not.toBeNull();
    expect(model.get(KEY)!.notice).toBeNull();
  });

  test('a new block clears "already answered": there is a fresh request to answer', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    model.verdictRejected(model.beginVerdict(KEY, 'allow')!, 'unknown-request', '', 1);
    model.apply(blocked(), 2);
    expect(model.get(KEY)!.notice).toBeNull();
  });

  test('a failed call carries the detail; when the broadcast came first its stderr is kept', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    let request = model.beginVerdict(KEY, 'allow')!;
    expect(model.verdictRejected(request, 'failed', 'verdict helper unreachable: ECONNREFUSED', 3)).toEqual([
      {kind: 'failed', prompt: expect.objectContaining({inFlight: null}), result: expect.objectContaining({
        ok: false, action: 'allow', stderr: 'verdict helper unreachable: ECONNREFUSED'})}]);
    request = model.beginVerdict(KEY, 'allow')!;
    model.apply(applied(event.request_id, 'allow', false, 'exit 1: nft busy'), 4);
    model.verdictRejected(request, 'failed', '', 5);
    expect(model.get(KEY)!.failure).toMatchObject({stderr: 'exit 1: nft busy', at: 5});
    expect(model.beginVerdict(KEY, 'deny')).not.toBeNull();
  });

  test('settling a request twice, or a foreign one, does nothing', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    const request = model.beginVerdict(KEY, 'allow')!;
    const forged: VerdictRequest = {...request, action: 'deny'};
    expect(model.verdictAccepted(forged, 1)).toEqual([]);
    expect(model.get(KEY)!.inFlight).toBe('allow');
    expect(kinds(model.verdictRejected(request, 'failed', 'x', 2))).toEqual(['failed']);
    expect(model.verdictRejected(request, 'failed', 'x', 3)).toEqual([]);
    expect(model.verdictAccepted(request, 4)).toEqual([]);
    expect(model.prompts()).toHaveLength(1);
  });

  test('a late reply never resolves a newer prompt for the same key', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const request = model.beginVerdict(KEY, 'deny')!;
    model.apply(applied(event.request_id, 'deny'), 1);
    model.apply(blocked(), 2); // denied, so the container keeps trying: a new prompt
    expect(model.get(KEY)).toMatchObject({number: 2, inFlight: null});
    expect(model.verdictAccepted(request, 3)).toEqual([]);
    expect(model.verdictRejected(request, 'unknown-request', '', 3)).toEqual([]);
    expect(model.get(KEY)).toMatchObject({number: 2, notice: null});
  });

  test('a repeat while the verdict is in flight: the prompt updates, stays in flight, and the answer resolves it', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    const request = model.beginVerdict(KEY, 'allow')!;
    model.apply(blocked(), 1);
    expect(model.get(KEY)).toMatchObject({count: 2, inFlight: 'allow'});
    expect(model.beginVerdict(KEY, 'allow')).toBeNull();
    expect(kinds(model.apply(applied(request.request_id, 'allow'), 2))).toEqual(['resolved']);
  });
});

// The hub's Verdict steps (wire.md §2), reduced to what decides the race: the binding is taken while the helper
// runs, restored on failure, and verdict_applied reaches every subscriber before the caller's reply.
class HubRules {
  readonly bindings = new Map<string, {container: string; target: string}>();
  readonly shieldCalls: string[] = [];
  readonly streams: ClearanceEvent[][] = [];

  subscribe(): ClearanceEvent[] {
    const queue: ClearanceEvent[] = [];
    this.streams.push(queue);
    return queue;
  }

  emit(event: ClearanceEvent): void {
    if (event.type === 'connection_blocked') {
      this.bindings.set(event.request_id, {container: event.container, target: event.domain || event.dest});
    }
    for (const queue of this.streams) queue.push(event);
  }

  /** Steps 1–4: returns the error name, or a function finishing steps 5–7 with the helper's outcome. */
  take(request: VerdictRequest): string | ((ok: boolean, stderr?: string) => string | null) {
    const bound = this.bindings.get(request.request_id);
    if (!bound) return UNKNOWN_REQUEST;
    this.bindings.delete(request.request_id);
    return (ok, stderr = '') => {
      this.shieldCalls.push(`${request.action} ${request.container} ${request.dest}`);
      if (!ok) this.bindings.set(request.request_id, bound);
      this.emit(makeEvent({type: 'verdict_applied', container: request.container, request_id: request.request_id,
        action: request.action, ok, reason: stderr}));
      return ok ? null : 'org.terok.Clearance1.ShieldCliFailed';
    };
  }
}

function drain(model: PromptModel, queue: ClearanceEvent[], now: number): PromptChange[] {
  return queue.splice(0).flatMap((event) => model.apply(event, now));
}

describe('two UIs racing', () => {
  test('both click at once: one verdict applies, the other UI shows the same result and no error', () => {
    const hub = new HubRules();
    const [a, b] = [new PromptModel(), new PromptModel()];
    const [qa, qb] = [hub.subscribe(), hub.subscribe()];
    hub.emit(blocked());
    drain(a, qa, 0);
    drain(b, qb, 0);
    const ra = a.beginVerdict(KEY, 'allow')!;
    const rb = b.beginVerdict(KEY, 'deny')!;
    const finishA = hub.take(ra);
    const errorB = hub.take(rb); // B's call arrives while A's helper runs: the binding is absent
    expect(errorB).toBe(UNKNOWN_REQUEST);
    expect(typeof finishA).toBe('function');
    expect((finishA as (ok: boolean) => string | null)(true)).toBeNull();
    // B's reply comes back before B has read the broadcast
    expect(b.verdictRejected(rb, rejectionOf(errorB as string), '', 1)[0]).toMatchObject({kind: 'updated',
      prompt: {notice: 'already-answered'}});
    expect(kinds(drain(b, qb, 2))).toEqual(['resolved']);
    // A reads the broadcast, then its own reply
    expect(kinds(drain(a, qa, 2))).toEqual(['resolved']);
    expect(a.verdictAccepted(ra, 3)).toEqual([]);
    expect(hub.shieldCalls).toEqual([`allow ${C} registry.example.net`]);
    for (const model of [a, b]) {
      expect(model.prompts()).toEqual([]);
      expect(model.results().map((r) => [r.action, r.ok])).toEqual([['allow', true]]);
    }
  });

  test('the loser reads the broadcast first: its reply then finds nothing to change', () => {
    const hub = new HubRules();
    const [a, b] = [new PromptModel(), new PromptModel()];
    const [qa, qb] = [hub.subscribe(), hub.subscribe()];
    hub.emit(blocked());
    drain(a, qa, 0);
    drain(b, qb, 0);
    const ra = a.beginVerdict(KEY, 'allow')!;
    const rb = b.beginVerdict(KEY, 'allow')!;
    (hub.take(ra) as (ok: boolean) => string | null)(true);
    drain(b, qb, 1);
    expect(hub.take(rb)).toBe(UNKNOWN_REQUEST);
    expect(b.verdictRejected(rb, 'unknown-request', '', 2)).toEqual([]);
    expect(b.results()).toHaveLength(1);
    expect(hub.shieldCalls).toHaveLength(1);
  });

  test('failed then retried: the winner\'s verdict fails, the binding is back, the other UI retries and wins', () => {
    const hub = new HubRules();
    const [a, b] = [new PromptModel(), new PromptModel()];
    const [qa, qb] = [hub.subscribe(), hub.subscribe()];
    hub.emit(blocked());
    drain(a, qa, 0);
    drain(b, qb, 0);
    const ra = a.beginVerdict(KEY, 'allow')!;
    const rb = b.beginVerdict(KEY, 'allow')!;
    const finishA = hub.take(ra) as (ok: boolean, stderr?: string) => string | null;
    expect(hub.take(rb)).toBe(UNKNOWN_REQUEST);
    b.verdictRejected(rb, 'unknown-request', '', 1);
    const errorA = finishA(false, 'nft: resource busy');
    expect(kinds(drain(a, qa, 2))).toEqual(['failed']);
    expect(kinds(a.verdictRejected(ra, rejectionOf(errorA!), 'nft: resource busy', 2))).toEqual(['failed']);
    expect(kinds(drain(b, qb, 2))).toEqual(['failed']);
    expect(b.get(KEY)).toMatchObject({failure: {stderr: 'nft: resource busy'}});
    // both can retry; B does
    const retry = b.beginVerdict(KEY, 'allow')!;
    expect(retry).not.toBeNull();
    expect((hub.take(retry) as (ok: boolean) => string | null)(true)).toBeNull();
    b.verdictAccepted(retry, 3);
    drain(a, qa, 3);
    drain(b, qb, 3);
    expect(hub.shieldCalls).toHaveLength(2);
    for (const model of [a, b]) {
      expect(model.prompts()).toEqual([]);
      expect(model.results().map((r) => [r.action, r.ok])).toEqual([['allow', true]]);
    }
  });

  test('a UI that answered an older request of a repeated prompt still resolves it everywhere', () => {
    const hub = new HubRules();
    const [a, b] = [new PromptModel(), new PromptModel()];
    const [qa, qb] = [hub.subscribe(), hub.subscribe()];
    hub.emit(blocked());
    drain(a, qa, 0);
    const ra = a.beginVerdict(KEY, 'deny')!; // A has not seen the repeat yet
    hub.emit(blocked());
    drain(b, qb, 1);
    expect(b.get(KEY)!.count).toBe(2);
    (hub.take(ra) as (ok: boolean) => string | null)(true);
    expect(kinds(drain(b, qb, 2))).toEqual(['resolved']);
    expect(kinds(drain(a, qa, 2))).toEqual(['updated', 'resolved']);
    expect(a.verdictAccepted(ra, 2)).toEqual([]);
  });
});

describe('shield state and container lifecycle', () => {
  test('shield_down drops that container\'s prompts and raises an alert; shield_up retires it', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    model.apply(blocked({domain: 'other.example.net'}), 0);
    model.apply(blocked({container: D}), 0);
    const down = model.apply(lifecycle('shield_down', C, TASK), 10);
    expect(down).toEqual([
      {kind: 'removed', prompt: expect.objectContaining({number: 1}), reason: 'shield_down'},
      {kind: 'removed', prompt: expect.objectContaining({number: 2}), reason: 'shield_down'},
      {kind: 'alert-raised', alert: {container: C, kind: 'shield_down', identity: 'warp/t42 · build', since: 10}},
    ]);
    expect(model.prompts().map((p) => p.container)).toEqual([D]);
    expect(model.alerts()).toEqual([{container: C, kind: 'shield_down', identity: 'warp/t42 · build', since: 10}]);
    expect(model.apply(lifecycle('shield_down'), 11)).toEqual([]);
    const up = model.apply(lifecycle('shield_up'), 20);
    expect(up).toEqual([{kind: 'alert-cleared', alert: expect.objectContaining({container: C})}]);
    expect(model.alerts()).toEqual([]);
    expect(model.prompts()).toHaveLength(1);
    expect(model.apply(lifecycle('shield_up'), 21)).toEqual([]);
  });

  test('shield_disengaged: prompts dropped, alert raised; a change of kind re-raises it with its first time', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    expect(kinds(model.apply(lifecycle('shield_disengaged'), 5))).toEqual(['removed', 'alert-raised']);
    expect(model.apply(lifecycle('shield_down'), 6)).toEqual([{kind: 'alert-raised',
      alert: expect.objectContaining({kind: 'shield_down', since: 5})}]);
  });

  test('container_exited drops the prompts and the alert; shield_up does not drop prompts', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    expect(kinds(model.apply(lifecycle('shield_up'), 1))).toEqual([]);
    expect(model.prompts()).toHaveLength(1);
    model.apply(lifecycle('shield_down'), 2);
    model.apply(blocked(), 3);
    expect(model.apply(lifecycle('container_exited'), 4)).toEqual([
      {kind: 'removed', prompt: expect.objectContaining({key: KEY}), reason: 'container_exited'},
      {kind: 'alert-cleared', alert: expect.objectContaining({container: C})},
    ]);
    expect(model.prompts()).toEqual([]);
    expect(model.alerts()).toEqual([]);
  });

  test('a dropped prompt\'s request can no longer be answered, and a new block opens a new prompt', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    const request = model.beginVerdict(KEY, 'allow')!;
    model.apply(lifecycle('shield_down'), 1);
    expect(model.verdictAccepted(request, 2)).toEqual([]);
    expect(model.apply(applied(event.request_id, 'allow', false), 2)).toEqual([]);
    expect(model.apply(blocked(), 3)[0]).toMatchObject({kind: 'added', prompt: {number: 2, count: 1}});
  });
});

describe('numbering', () => {
  test('numbers are stable while others come and go, and never reused', () => {
    const model = new PromptModel();
    const targets = ['a.example', 'b.example', 'c.example'];
    const events = targets.map((domain) => blocked({domain}));
    for (const e of events) model.apply(e, 0);
    model.apply(applied(events[1]!.request_id), 1);
    model.apply(blocked({domain: 'd.example'}), 2);
    expect(model.prompts().map((p) => [p.number, p.target])).toEqual([[1, 'a.example'], [3, 'c.example'], [4, 'd.example']]);
    expect(model.byNumber(2)).toBeUndefined();
    expect(model.byNumber(3)!.target).toBe('c.example');
    expect(model.results()[0]!.number).toBe(2);
    model.apply(lifecycle('container_exited'), 3);
    expect(model.apply(blocked({domain: 'a.example'}), 4)[0]).toMatchObject({prompt: {number: 5}});
  });
});

describe('identity', () => {
  test('without a dossier the container id is shown; a resolver label updates the prompts', () => {
    const model = new PromptModel();
    model.apply(blocked({dossier: {}}), 0);
    expect(model.get(KEY)!.identity).toBe(C);
    expect(model.setIdentity(C, 'web-1')).toEqual([{kind: 'updated', prompt: expect.objectContaining({identity: 'web-1'})}]);
    expect(model.setIdentity(C, 'web-1')).toEqual([]);
    expect(model.identityOf(C)).toBe('web-1');
    expect(model.identityOf(D)).toBe(D);
  });

  test('an event without identity keys keeps the label; one with them replaces it', () => {
    const model = new PromptModel();
    model.setIdentity(C, 'web-1');
    model.apply(blocked({dossier: {image: 'x'}}), 0);
    expect(model.get(KEY)!.identity).toBe('web-1');
    model.apply(blocked({dossier: {container_name: 'renamed'}}), 1);
    expect(model.get(KEY)!.identity).toBe('renamed');
  });

  test('an identity change reaches the other prompts of the container and its alert, once each', () => {
    const model = new PromptModel();
    model.apply(blocked({dossier: {}, domain: 'a.example'}), 0);
    model.apply(lifecycle('shield_down', D), 0);
    model.apply(blocked({dossier: {}, container: D}), 0);
    const changes = model.apply(blocked({dossier: TASK, domain: 'b.example'}), 1);
    expect(changes.map((c) => [c.kind, c.kind === 'added' || c.kind === 'updated' ? c.prompt.identity : ''])).toEqual([
      ['updated', 'warp/t42 · build'], ['added', 'warp/t42 · build']]);
    expect(model.setIdentity(D, 'db')).toEqual([
      {kind: 'updated', prompt: expect.objectContaining({container: D, identity: 'db'})},
      {kind: 'alert-raised', alert: expect.objectContaining({container: D, identity: 'db'})},
    ]);
  });

  test('setIdentity("") falls back to the container id; container_started carries a dossier too', () => {
    const model = new PromptModel();
    model.apply(lifecycle('container_started', C, {container_name: 'web-1'}), 0);
    model.apply(blocked({dossier: {}}), 1);
    expect(model.get(KEY)!.identity).toBe('web-1');
    model.setIdentity(C, '');
    expect(model.get(KEY)!.identity).toBe(C);
  });

  test('a result keeps the identity it was resolved with', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0);
    model.apply(applied(event.request_id), 1);
    model.setIdentity(C, 'renamed');
    expect(model.results()[0]!.identity).toBe('warp/t42 · build');
  });

  test('the identity table is bounded', () => {
    const model = new PromptModel({maxIdentities: 2});
    for (const c of ['c1', 'c2', 'c3']) model.setIdentity(c, `label-${c}`);
    expect(['c1', 'c2', 'c3'].map((c) => model.identityOf(c))).toEqual(['c1', 'label-c2', 'label-c3']);
  });
});

describe('container-wide operations', () => {
  test('promptsOf and beginContainerVerdict cover exactly that container, skipping prompts in flight', () => {
    const model = new PromptModel();
    model.apply(blocked({domain: 'a.example'}), 0);
    model.apply(blocked({container: D}), 0);
    model.apply(blocked({domain: 'b.example'}), 0);
    model.apply(blocked({domain: 'c.example'}), 0);
    expect(model.promptsOf(C).map((p) => p.target)).toEqual(['a.example', 'b.example', 'c.example']);
    model.beginVerdict(promptKey(C, 'b.example'), 'deny');
    const requests = model.beginContainerVerdict(C, 'allow');
    expect(requests.map((r) => [r.dest, r.action])).toEqual([['a.example', 'allow'], ['c.example', 'allow']]);
    expect(model.beginContainerVerdict(C, 'allow')).toEqual([]);
    expect(model.promptsOf(D).map((p) => p.inFlight)).toEqual([null]);
    for (const r of requests) model.verdictAccepted(r, 1);
    expect(model.promptsOf(C).map((p) => p.target)).toEqual(['b.example']);
  });
});

describe('snapshot after reconnect', () => {
  test('merges without duplicates: known requests are skipped, new ones counted once', () => {
    const model = new PromptModel();
    const live = blocked();
    model.apply(live, 0, 'hub');
    const again = blocked();
    const other = blocked({domain: 'other.example.net'});
    const changes = model.reconcileOrigin([live, again, other, lifecycle('shield_down')], 10, 'hub');
    expect(kinds(changes)).toEqual(['updated', 'added']);
    expect(model.get(KEY)).toMatchObject({count: 2, requestId: again.request_id});
    expect(model.reconcileOrigin([live, again, other], 20, 'hub')).toEqual([]);
    expect(model.prompts()).toHaveLength(2);
    expect(model.alerts()).toEqual([]);
  });

  test('a snapshot taken before a verdict or a purge does not bring the prompt back', () => {
    const model = new PromptModel();
    const answered = blocked();
    const purged = blocked({container: D});
    const dismissed = blocked({domain: 'x.example'});
    for (const e of [answered, purged, dismissed]) model.apply(e, 0);
    model.apply(applied(answered.request_id), 1);
    model.apply(lifecycle('container_exited', D), 1);
    model.dismiss(promptKey(C, 'x.example'));
    expect(model.reconcileOrigin([answered, purged, dismissed], 2, '')).toEqual([]);
    expect(model.prompts()).toEqual([]);
  });

  test('a late starter builds its prompts from the snapshot, with the origin recorded', () => {
    const model = new PromptModel();
    const changes = model.reconcileOrigin([blocked(), blocked({container: D})], 7, 'per-container');
    expect(changes.map((c) => c.kind === 'added' && [c.prompt.number, c.prompt.origin, c.prompt.firstSeen]))
      .toEqual([[1, 'per-container', 7], [2, 'per-container', 7]]);
  });
});

describe('hubs coming and going', () => {
  test('forgetOrigin removes what only that hub knew; prompts it shared move to the other hub', () => {
    const model = new PromptModel();
    const fromA = blocked();
    const fromB = blocked();
    model.apply(fromA, 0, 'a');
    model.apply(fromB, 1, 'b');
    model.apply(blocked({domain: 'only-a.example'}), 2, 'a');
    expect(model.get(KEY)!.origin).toBe('b');
    const changes = model.forgetOrigin('b');
    expect(changes).toEqual([{kind: 'updated', prompt: expect.objectContaining({requestId: fromA.request_id,
      origin: 'a', count: 2})}]);
    expect(model.beginVerdict(KEY, 'allow')).toMatchObject({request_id: fromA.request_id, origin: 'a'});
    const lostA = model.forgetOrigin('a');
    expect(lostA.map((c) => c.kind === 'removed' && [c.reason, c.prompt.requestId])).toEqual([
      ['hub-lost', fromA.request_id], ['hub-lost', expect.stringMatching(/^abc123def456:\d+$/)]]);
    expect(model.prompts()).toEqual([]);
    expect(model.forgetOrigin('a')).toEqual([]);
  });

  test('after a hiccup the same hub\'s snapshot restores its prompts', () => {
    const model = new PromptModel();
    const event = blocked();
    model.apply(event, 0, 'a');
    model.forgetOrigin('a');
    expect(kinds(model.reconcileOrigin([event], 5, 'a'))).toEqual(['added']);
  });

  test('reconcileOrigin keeps what the hub still holds with its number, forgets the rest, adds the new', () => {
    const model = new PromptModel();
    const kept = blocked();
    const gone = blocked({domain: 'gone.example'});
    const elsewhere = blocked({container: D});
    model.apply(kept, 0, 'a');
    model.apply(gone, 1, 'a');
    model.apply(elsewhere, 2, 'b');
    const fresh = blocked({domain: 'new.example'});
    const changes = model.reconcileOrigin([kept, fresh, lifecycle('shield_up')], 5, 'a');
    expect(changes.map((c) => c.kind === 'removed' || c.kind === 'added' ? [c.kind, c.prompt.target] : c.kind)).toEqual([
      ['removed', 'gone.example'], ['added', 'new.example']]);
    expect(changes[0]).toMatchObject({reason: 'hub-lost'});
    expect(model.prompts().map((p) => [p.container, p.target, p.number, p.origin, p.count])).toEqual([
      [C, 'registry.example.net', 1, 'a', 1], [D, 'registry.example.net', 3, 'b', 1], [C, 'new.example', 4, 'a', 1]]);
    // Another hub's snapshot leaves a's prompts alone.
    expect(model.reconcileOrigin([], 6, 'b').map((c) => c.kind)).toEqual(['removed']);
    expect(model.prompts().map((p) => p.target)).toEqual(['registry.example.net', 'new.example']);
  });

  test('reconcileOrigin: a request id the hub now binds to another target moves (a restarted reader); answered ones stay gone', () => {
    const model = new PromptModel();
    const first = blocked();
    const answered = blocked({domain: 'answered.example'});
    model.apply(first, 0, 'a');
    model.apply(answered, 0, 'a');
    model.apply(applied(answered.request_id), 1);
    const rebound = {...first, domain: 'other.example'};
    const changes = model.reconcileOrigin([rebound, answered], 2, 'a');
    expect(changes).toEqual([expect.objectContaining({kind: 'removed', reason: 'superseded'}),
      expect.objectContaining({kind: 'added', prompt: expect.objectContaining({target: 'other.example'})})]);
    expect(model.prompts().map((p) => p.target)).toEqual(['other.example']);
  });

  test('alerts survive a lost hub: a stale warning is safer than a missed one', () => {
    const model = new PromptModel();
    model.apply(lifecycle('shield_down'), 0, 'a');
    model.forgetOrigin('a');
    expect(model.alerts()).toHaveLength(1);
  });
});

describe('dismiss', () => {
  test('hides a prompt locally and sends nothing', () => {
    const model = new PromptModel();
    model.apply(blocked(), 0);
    model.beginVerdict(KEY, 'deny');
    expect(model.dismiss(KEY)).toEqual([{kind: 'removed', prompt: expect.objectContaining({key: KEY}),
      reason: 'dismissed'}]);
    expect(model.dismiss(KEY)).toEqual([]);
    expect(model.results()).toEqual([]);
    expect(kinds(model.apply(blocked(), 1))).toEqual(['added']);
  });
});

describe('bounds', () => {
  test('recent results: newest first, at most maxResults', () => {
    const model = new PromptModel({maxResults: 3});
    for (let i = 0; i < 5; i++) {
      const event = blocked({domain: `${i}.example`});
      model.apply(event, i);
      model.apply(applied(event.request_id), i);
    }
    expect(model.results().map((r) => r.target)).toEqual(['4.example', '3.example', '2.example']);
  });

  test('over maxPrompts the least recently blocked prompt is evicted', () => {
    const model = new PromptModel({maxPrompts: 2});
    model.apply(blocked({domain: 'a.example'}), 0);
    model.apply(blocked({domain: 'b.example'}), 1);
    model.apply(blocked({domain: 'a.example'}), 2);
    const changes = model.apply(blocked({domain: 'c.example'}), 3);
    expect(changes).toEqual([expect.objectContaining({kind: 'added'}),
      {kind: 'removed', prompt: expect.objectContaining({target: 'b.example'}), reason: 'evicted'}]);
    expect(model.prompts().map((p) => p.target)).toEqual(['a.example', 'c.example']);
  });

  test('request ids per prompt are bounded; the count is not', () => {
    const model = new PromptModel({maxRequestsPerPrompt: 3});
    const events = Array.from({length: 5}, () => blocked());
    for (const e of events) model.apply(e, 0);
    expect(model.get(KEY)!.count).toBe(5);
    expect(model.apply(applied(events[0]!.request_id), 1)).toEqual([]);
    expect(kinds(model.apply(applied(events[2]!.request_id), 1))).toEqual(['resolved']);
  });

  test('retired request ids are bounded', () => {
    const model = new PromptModel({maxRetired: 1});
    const first = blocked({domain: 'a.example'});
    const second = blocked({domain: 'b.example'});
    model.apply(first, 0);
    model.apply(second, 0);
    model.apply(applied(first.request_id), 1);
    model.apply(applied(second.request_id), 1);
    expect(kinds(model.reconcileOrigin([first, second], 2, ''))).toEqual(['added']);
  });
});

describe('views', () => {
  test('are frozen copies: a UI cannot change the model through them', () => {
    const model = new PromptModel();
    const [change] = model.apply(blocked(), 0);
    const prompt = change!.kind === 'added' ? change!.prompt : undefined;
    expect(Object.isFrozen(prompt)).toBe(true);
    expect(() => {
      (prompt as {count: number}).count = 99;
    }).toThrow(TypeError);
    const listed = model.prompts();
    listed.pop();
    expect(model.prompts()).toHaveLength(1);
    expect(Object.isFrozen(model.beginVerdict(KEY, 'allow'))).toBe(true);
  });

  test('promptKey cannot be confused by separators inside the parts', () => {
    expect(promptKey('a', 'b|c')).not.toBe(promptKey('a|b', 'c'));
    expect(promptKey('a\u0000b', 'c')).not.toBe(promptKey('a', 'b\u0000c'));
  });
});

describe('properties', () => {
  const container = fc.constantFrom(C, D);
  const domain = fc.constantFrom('', 'a.example', 'b.example');
  const requestNumber = fc.integer({min: 1, max: 12});
  const command = fc.oneof(
    fc.record({op: fc.constant('block' as const), container, domain, n: requestNumber, origin: fc.constantFrom('x', 'y')}),
    fc.record({op: fc.constant('applied' as const), container, n: requestNumber,
      action: fc.constantFrom('allow', 'deny'), ok: fc.boolean()}),
    fc.record({op: fc.constant('lifecycle' as const), container,
      type: fc.constantFrom('shield_up', 'shield_down', 'shield_disengaged', 'container_exited', 'container_started')}),
    fc.record({op: fc.constant('begin' as const), index: fc.nat(5), action: fc.constantFrom<VerdictAction>('allow', 'deny')}),
    fc.record({op: fc.constant('settle' as const), index: fc.nat(5), accepted: fc.boolean(), unknown: fc.boolean()}),
    fc.record({op: fc.constant('forget' as const), origin: fc.constantFrom('x', 'y')}),
    fc.record({op: fc.constant('dismiss' as const), index: fc.nat(5)}),
  );

  test('any sequence keeps the model consistent, and only beginVerdict ever produces a request', () => {
    fc.assert(fc.property(fc.array(command, {maxLength: 60}), (commands) => {
      const model = new PromptModel({maxPrompts: 4, maxResults: 5});
      const pending: VerdictRequest[] = [];
      let requestsMade = 0;
      let now = 0;
      for (const c of commands) {
        now += 1;
        switch (c.op) {
          case 'block':
            model.apply(makeEvent({type: 'connection_blocked', container: c.container, request_id: `${c.container}:${c.n}`,
              dest: '192.0.2.1', port: 443, proto: 6, domain: c.domain}), now, c.origin);
            break;
          case 'applied':
            model.apply(makeEvent({type: 'verdict_applied', container: c.container, request_id: `${c.container}:${c.n}`,
              action: c.action, ok: c.ok}), now);
            break;
          case 'lifecycle':
            model.apply(makeEvent({type: c.type, container: c.container}), now);
            break;
          case 'begin': {
            const prompt = model.prompts()[c.index];
            const request = prompt && model.beginVerdict(prompt.key, c.action);
            if (request) {
              requestsMade += 1;
              pending.push(request);
            }
            break;
          }
          case 'settle': {
            const request = pending.splice(c.index % Math.max(pending.length, 1), 1)[0];
            if (request && c.accepted) model.verdictAccepted(request, now);
            else if (request) model.verdictRejected(request, c.unknown ? 'unknown-request' : 'failed', 'e', now);
            break;
          }
          case 'forget':
            model.forgetOrigin(c.origin);
            break;
          case 'dismiss': {
            const prompt = model.prompts()[c.index];
            if (prompt) model.dismiss(prompt.key);
            break;
          }
        }
        const prompts = model.prompts();
        expect(prompts.length).toBeLessThanOrEqual(4);
        expect(new Set(prompts.map((p) => p.number)).size).toBe(prompts.length);
        expect(new Set(prompts.map((p) => p.key)).size).toBe(prompts.length);
        for (const p of prompts) {
          expect(p.key).toBe(promptKey(p.container, p.target));
          expect(p.count).toBeGreaterThanOrEqual(1);
          expect(p.requestId).not.toBe('');
          expect(model.get(p.key)).toEqual(p);
        }
        expect(model.results().length).toBeLessThanOrEqual(5);
        expect(model.results().every((r) => r.ok)).toBe(true);
        expect(pending.length).toBeLessThanOrEqual(requestsMade);
      }
    }), {numRuns: 500});
  });
});

describe('byContainer', () => {
  test('groups the prompts by container, containers in the order of their first prompt', () => {
    const model = new PromptModel();
    model.apply(blocked({container: D, domain: 'a.example'}), 0);
    model.apply(blocked({domain: 'b.example'}), 1);
    model.apply(blocked({container: D, domain: 'c.example'}), 2);
    expect(model.byContainer().map(([container, prompts]) => [container, prompts.map((p) => p.target)])).toEqual([
      [D, ['a.example', 'c.example']],
      [C, ['b.example']],
    ]);
  });
});
