// The in-process notifier: the same board and replace/close rules as the desktop one, delivered to a callback. Also
// where the budget rules are pinned down in detail, since no bus is needed to see them.
import {describe, expect, test} from '@jest/globals';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {clockTime} from '../../../core/clearance/format.js';
import {PromptModel, promptKey} from '../../../core/clearance/prompts.js';
import type {VerdictAction} from '../../../core/clearance/verdict.js';
import type {PromptAction} from '../../../service/notify/notifier.js';
import {CallbackNotifier, type NotificationUpdate} from '../../../service/notify/callback-notifier.js';
import type {DesktopNotification} from '../../../service/notify/fdo-notifications.js';

const T0 = Date.UTC(2025, 0, 2, 9, 30, 0);

function setup(maxLive?: number) {
  const updates: NotificationUpdate[] = [];
  const shown = new Map<number, DesktopNotification>();
  const actions: [string, PromptAction][] = [];
  const notifier = new CallbackNotifier((update) => {
    updates.push(update);
    if (update.type === 'show') shown.set(update.id, update.notification);
    else shown.delete(update.id);
  }, (key, action) => actions.push([key, action]), {maxLive, clock: (ms) => clockTime(ms)});
  const model = new PromptModel();
  let now = T0;
  const feed = async (...events: ClearanceEvent[]): Promise<void> => {
    notifier.render(events.flatMap((event) => model.apply(event, (now += 1000))));
    await notifier.settled();
  };
  const summaries = (): string[] => [...shown.values()].map((n) => n.summary);
  const idOf = (summary: string): number => [...shown].find(([, n]) => n.summary === summary)![0];
  /** The UI closes a notification itself and says so. */
  const dismiss = async (id: number): Promise<void> => {
    shown.delete(id);
    notifier.dismiss(id);
    await notifier.settled();
  };
  return {notifier, model, updates, shown, actions, feed, summaries, idOf, dismiss};
}

function blocked(i: number, fields: Partial<ClearanceEvent> = {}): ClearanceEvent {
  return makeEvent({type: 'connection_blocked', container: 'c1', request_id: `r${i}`, dest: `203.0.113.${i}`,
    port: 443, proto: 6, domain: `host${i}.example`, dossier: {container_name: 'web'}, ...fields});
}

function applied(i: number, action: VerdictAction, fields: Partial<ClearanceEvent> = {}): ClearanceEvent {
  return makeEvent({type: 'verdict_applied', container: 'c1', request_id: `r${i}`, dest: `host${i}.example`, action,
    ok: true, ...fields});
}

describe('CallbackNotifier', () => {
  test('show, replace in place, result, close; actions map to the prompt key', async () => {
    const {notifier, updates, actions, feed} = setup();
    await feed(blocked(1));
    expect(updates).toEqual([{type: 'show', id: 1, notification: {
      summary: 'Blocked: host1.example:443', body: 'web\nProtocol: TCP\nIP: 203.0.113.1',
      actions: [{key: 'allow', label: 'Allow'}, {key: 'deny', label: 'Deny'}],
      urgency: 'critical', resident: true, transient: false, expireMs: 0,
    }}]);
    await feed(blocked(1, {request_id: 'r1b'}));
    expect(updates[1]).toMatchObject({type: 'show', id: 1, notification: {
      body: 'web\nProtocol: TCP\nIP: 203.0.113.1\nBlocked 2 times since 09:30:01'}});
    notifier.invoke(1, 'deny');
    notifier.invoke(1, 'default');
    expect(actions).toEqual([[promptKey('c1', 'host1.example'), 'deny']]);
    await feed(applied(1, 'deny', {request_id: 'r1b'}));
    expect(updates[2]).toEqual({type: 'show', id: 1, notification: {
      summary: 'Denied: host1.example', body: 'web', actions: [], urgency: 'normal', resident: false, transient: true,
      expireMs: -1}});
    notifier.invoke(1, 'allow'); // on a result: nothing
    expect(actions).toHaveLength(1);
    await feed(makeEvent({type: 'container_exited', container: 'c1'}));
    expect(updates).toHaveLength(3); // a result outlives its container
  });

  test('the status of a verdict in flight is shown, and an unchanged prompt is not re-sent', async () => {
    const {model, notifier, updates, feed} = setup();
    await feed(blocked(1));
    const request = model.beginVerdict(promptKey('c1', 'host1.example'), 'allow')!;
    notifier.render([{kind: 'updated', prompt: model.get(request.key)!}]);
    await notifier.settled();
    expect(updates.at(-1)).toMatchObject({id: 1, notification: {body: expect.stringMatching(/\nAllowing\.\.\.$/)}});
    notifier.render([{kind: 'updated', prompt: model.get(request.key)!}]);
    await notifier.settled();
    expect(updates).toHaveLength(2);
  });

  test('dismissed: hidden until the prompt changes, and nothing is answered', async () => {
    const {updates, actions, feed, shown, dismiss} = setup();
    await feed(blocked(1));
    await dismiss(1);
    expect(updates).toHaveLength(1); // nothing re-shown, nothing closed
    await feed(blocked(2));
    expect([...shown.values()].map((n) => n.summary)).toEqual(['Blocked: host2.example:443']);
    await feed(blocked(1, {request_id: 'r1b'}));
    expect(shown.size).toBe(2);
    expect(actions).toEqual([]);
  });

  test('a new block for a target that has a result replaces the result in place', async () => {
    const {updates, feed} = setup();
    await feed(blocked(1));
    await feed(applied(1, 'allow'));
    await feed(blocked(1, {request_id: 'r1b'}));
    expect(updates.map((u) => u.type === 'show' && [u.id, u.notification.summary])).toEqual([
      [1, 'Blocked: host1.example:443'], [1, 'Allowed: host1.example'], [1, 'Blocked: host1.example:443']]);
  });

  test('a verdict on an already-resolved prompt shows the outcome now in effect', async () => {
    const {summaries, feed} = setup();
    await feed(blocked(1), applied(1, 'deny'), applied(1, 'allow'));
    expect(summaries()).toEqual(['Allowed: host1.example']);
  });
});

describe('the budget (GNOME keeps 10 per app)', () => {
  test('alerts first, then prompts oldest first, the rest summarised; nothing pending is left out', async () => {
    const {summaries, feed} = setup(4);
    await feed(...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => blocked(i)));
    await feed(makeEvent({type: 'shield_down', container: 'c2', dossier: {container_name: 'db'}}));
    expect(summaries().sort()).toEqual(['7 more waiting', 'Blocked: host1.example:443', 'Blocked: host2.example:443',
      'Shield down: db']);
  });

  test('the summary lists five and counts the rest', async () => {
    const {shown, feed} = setup(2);
    await feed(...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => blocked(i)));
    const summary = [...shown.values()].find((n) => n.summary === '7 more waiting')!;
    expect(summary.body.split('\n')).toEqual([
      'Blocked: host2.example:443 (web)', 'Blocked: host3.example:443 (web)', 'Blocked: host4.example:443 (web)',
      'Blocked: host5.example:443 (web)', 'Blocked: host6.example:443 (web)', 'and 2 more',
      'Each appears here as earlier ones are answered.']);
    expect(summary).toMatchObject({urgency: 'critical', resident: true, actions: []});
  });

  test('results only in the room prompts leave, newest first; the oldest go first', async () => {
    const {summaries, feed} = setup(3);
    await feed(blocked(1), blocked(2), blocked(3), applied(1, 'allow'), applied(2, 'deny'));
    expect(summaries()).toEqual(['Blocked: host3.example:443', 'Allowed: host1.example', 'Denied: host2.example']);
    await feed(blocked(4));
    expect(summaries()).toEqual(['Blocked: host3.example:443', 'Denied: host2.example', 'Blocked: host4.example:443']);
    await feed(blocked(5), blocked(6));
    expect(summaries()).toEqual(['Blocked: host3.example:443', 'Blocked: host4.example:443', '2 more waiting']);
  });

  test('a dismissed result is gone; a dismissed summary returns when the count changes', async () => {
    const {summaries, idOf, feed, dismiss} = setup(2);
    await feed(blocked(1));
    await feed(applied(1, 'allow'));
    await dismiss(idOf('Allowed: host1.example'));
    await feed(blocked(2), blocked(3), blocked(4));
    expect(summaries()).toEqual(['Blocked: host2.example:443', '2 more waiting']);
    await dismiss(idOf('2 more waiting'));
    expect(summaries()).toEqual(['Blocked: host2.example:443']);
    await feed(blocked(5));
    expect(summaries()).toEqual(['Blocked: host2.example:443', '3 more waiting']);
  });

  test('dispose closes everything and stops rendering', async () => {
    const {notifier, shown, feed} = setup();
    await feed(blocked(1), blocked(2));
    await notifier.dispose();
    expect(shown.size).toBe(0);
    await feed(blocked(3));
    expect(shown.size).toBe(0);
  });
});
