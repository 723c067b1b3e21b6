// IdentityFeed with a source the test controls: labels reach the model late and never hold anything up; a dossier
// wins; a burst of events costs two lookups; an exit drops a result still on its way; a failing source costs nothing.
import {describe, expect, test} from '@jest/globals';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {PromptModel} from '../../../core/clearance/prompts.js';
import {IdentityFeed, type IdentitySource} from '../../../core/client/identity-feed.js';

const C = 'abc123def456';

/** Each resolve() waits until the test settles it. */
class ManualSource implements IdentitySource {
  readonly calls: {container: string; settle(label: string): void; fail(e: Error): void}[] = [];
  readonly forgotten: string[] = [];
  resolve(container: string): Promise<string> {
    return new Promise((settle, fail) => this.calls.push({container, settle, fail}));
  }
  forget(container: string): void {
    this.forgotten.push(container);
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function blocked(n: number, dossier: Record<string, string> = {}, container = C): ClearanceEvent {
  return makeEvent({type: 'connection_blocked', container, request_id: `${container}:${n}`, dest: '198.51.100.1',
    port: 443, proto: 6, dossier});
}

function setup() {
  const source = new ManualSource();
  const model = new PromptModel();
  const applied: [string, string][] = [];
  const feed = new IdentityFeed(source, (container, label) => {
    applied.push([container, label]);
    model.setIdentity(container, label);
  });
  const deliver = (event: ClearanceEvent) => {
    model.apply(event, 0);
    feed.observe(event);
  };
  return {source, model, applied, feed, deliver};
}

describe('IdentityFeed', () => {
  test('the prompt shows the id at once and the label when it arrives', async () => {
    const {source, model, deliver} = setup();
    deliver(blocked(1));
    expect(model.prompts()[0]!.identity).toBe(C);
    expect(source.calls.map((c) => c.container)).toEqual([C]);
    source.calls[0]!.settle('warp/t42 · build');
    await flush();
    expect(model.prompts()[0]!.identity).toBe('warp/t42 · build');
  });

  test('an empty label changes nothing', async () => {
    const {source, applied, deliver} = setup();
    deliver(blocked(1));
    source.calls[0]!.settle('');
    await flush();
    expect(applied).toEqual([]);
  });

  test('a dossier wins: no lookup for a container the wire names, and a late label does not replace it', async () => {
    const {source, model, applied, deliver} = setup();
    deliver(blocked(1)); // no dossier: a lookup starts
    deliver(blocked(2, {project: 'warp', task: 't42', name: 'from the wire'}));
    source.calls[0]!.settle('from podman');
    await flush();
    expect(applied).toEqual([]);
    expect(model.identityOf(C)).toBe('warp/t42 · from the wire');
    deliver(blocked(3)); // still named by the wire: no new lookup
    expect(source.calls).toHaveLength(1);
  });

  test('a burst of events: one lookup running, one more queued, whatever the burst size', async () => {
    const {source, applied, deliver} = setup();
    for (let i = 1; i <= 100; i++) deliver(blocked(i));
    expect(source.calls).toHaveLength(1);
    source.calls[0]!.settle('old name');
    await flush();
    expect(source.calls).toHaveLength(2); // the queued one, asking afresh
    source.calls[1]!.settle('new name');
    await flush();
    expect(source.calls).toHaveLength(2);
    expect(applied).toEqual([[C, 'old name'], [C, 'new name']]);
  });

  test('container_exited forgets: the source is told and a result still on its way is dropped', async () => {
    const {source, applied, deliver} = setup();
    deliver(blocked(1));
    deliver(makeEvent({type: 'container_exited', container: C}));
    expect(source.forgotten).toEqual([C]);
    source.calls[0]!.settle('too late');
    await flush();
    expect(applied).toEqual([]);
    deliver(makeEvent({type: 'container_started', container: C})); // a new life: asked again
    expect(source.calls).toHaveLength(2);
  });

  test('a source that rejects costs nothing, and the next event asks again', async () => {
    const {source, applied, deliver} = setup();
    deliver(blocked(1));
    source.calls[0]!.fail(new Error('podman exploded'));
    await flush();
    expect(applied).toEqual([]);
    deliver(blocked(2));
    expect(source.calls).toHaveLength(2);
  });

  test('refresh() asks again (answering); events without a container or of unknown types are ignored', async () => {
    const {source, feed, deliver} = setup();
    deliver(makeEvent({type: 'verdict_applied', container: '', request_id: 'x:1', action: 'allow', ok: true}));
    deliver(makeEvent({type: 'something_new', container: C}));
    expect(source.calls).toHaveLength(0);
    feed.refresh(C);
    expect(source.calls).toHaveLength(1);
  });

  test('after close() nothing is applied or asked', async () => {
    const {source, applied, feed, deliver} = setup();
    deliver(blocked(1));
    feed.close();
    source.calls[0]!.settle('late');
    await flush();
    deliver(blocked(2));
    expect(applied).toEqual([]);
    expect(source.calls).toHaveLength(1);
  });

  test('an alert raised before the label arrives is re-sent with the label', async () => {
    const {source, model, feed} = setup();
    const down = makeEvent({type: 'shield_down', container: C});
    model.apply(down, 0);
    feed.observe(down);
    expect(model.alerts()[0]!.identity).toBe(C);
    source.calls[0]!.settle('my-postgres');
    await flush();
    expect(model.alerts()[0]!.identity).toBe('my-postgres');
  });
});
