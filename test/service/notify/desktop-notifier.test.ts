// The desktop-notification fallback against real D-Bus: a private dbus-daemon, a notification server written here
// as a real peer on it, other peers that spoof signals or own the extension's name, and the real prompt model
// producing the changes the notifier renders.
import {afterAll, afterEach, beforeAll, describe, expect, jest, test} from '@jest/globals';
import {Message, type MessageBus} from 'dbus-next';
import {readFileSync} from 'node:fs';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {clockTime} from '../../../core/clearance/format.js';
import {PromptModel, promptKey, type PromptChange} from '../../../core/clearance/prompts.js';
import type {VerdictAction} from '../../../core/clearance/verdict.js';
import type {PromptAction} from '../../../service/notify/notifier.js';
import type {LastingOffer} from '../../../service/notify/notification-board.js';
import {setLogLevel} from '../../../service/log.js';
import {DesktopNotifier, EXTENSION_BUS_NAME} from '../../../service/notify/desktop-notifier.js';
import {startPrivateBus, type PrivateBus} from './support/private-bus.js';
import {
  connect, flush, GNOME_CAPABILITIES, NotificationServer, uniqueName, until, type ServerOptions,
} from './support/notification-server.js';

const T0 = Date.UTC(2025, 0, 2, 9, 30, 0);
const KEY = promptKey('c1', 'example.com');

let bus: PrivateBus;
let observer: MessageBus; // asks the daemon who owns what
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  setLogLevel('warning');
  bus = await startPrivateBus();
  observer = await connect(bus.address);
});
afterEach(cleanUp);
afterAll(async () => {
  observer.disconnect();
  await bus.stop();
});

/** Ends what the test started; the next one starts with nobody owning the names. */
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await untilFree('org.freedesktop.Notifications');
  await untilFree(EXTENSION_BUS_NAME);
}

async function untilFree(name: string): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const reply = await observer.call(new Message({destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameHasOwner', signature: 's',
      body: [name]}));
    if (reply!.body[0] === false) return;
    if (Date.now() > deadline) throw new Error(`${name} still owned`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function server(options: ServerOptions = {}): Promise<NotificationServer> {
  const started = await NotificationServer.start(bus.address, options);
  cleanups.push(() => started.stop());
  return started;
}

interface Harness {
  notifier: DesktopNotifier;
  model: PromptModel;
  actions: [string, PromptAction][];
  /** Applies events to the model and renders its changes; resolves when the notifier has settled. */
  feed(...events: ClearanceEvent[]): Promise<PromptChange[]>;
}

async function harness(address = bus.address, offersLasting?: LastingOffer): Promise<Harness> {
  const actions: [string, PromptAction][] = [];
  const notifier = await DesktopNotifier.start({
    address, clock: (ms) => clockTime(ms), onAction: (key, action) => actions.push([key, action]), offersLasting,
  });
  cleanups.push(() => notifier.dispose());
  const model = new PromptModel();
  let now = T0;
  return {
    notifier, model, actions,
    feed: async (...events) => {
      const changes = events.flatMap((event) => model.apply(event, (now += 1000)));
      notifier.render(changes);
      await notifier.settled();
      return changes;
    },
  };
}

function blocked(fields: Partial<ClearanceEvent> = {}): ClearanceEvent {
  return makeEvent({
    type: 'connection_blocked', container: 'c1', request_id: 'r1', dest: '198.51.100.7', port: 443, proto: 6,
    domain: 'example.com', dossier: {project: 'proj', task: 't1', name: 'web'}, ...fields,
  });
}

function applied(requestId: string, action: VerdictAction, ok = true, reason = ''): ClearanceEvent {
  return makeEvent({type: 'verdict_applied', container: 'c1', request_id: requestId, dest: 'example.com', action, ok,
    reason});
}

describe('Notify', () => {
  test('a blocked prompt: app name, summary, body lines, Allow/Deny, critical + resident hints, no expiry', async () => {
    const srv = await server();
    const {feed, notifier} = await harness();
    expect(notifier.connected).toBe(true);
    await feed(blocked());
    await until(() => srv.calls.length === 1, 'Notify');
    const [call] = srv.calls;
    expect(call).toMatchObject({
      signature: 'susssasa{sv}i', appName: 'terok-clearance', replacesId: 0, icon: '',
      summary: 'Blocked: example.com:443',
      body: 'proj/t1 · web\nProtocol: TCP\nIP: 198.51.100.7',
      actions: ['allow', 'Allow', 'deny', 'Deny'],
      expire: 0,
    });
    expect(call!.hints).toEqual({urgency: {signature: 'y', value: 2}, resident: {signature: 'b', value: true}});
  });

  test('"Allow 1 h" only where the hub has Decide; a prompt whose hub is being asked waits; the action comes back', async () => {
    const srv = await server();
    let offer: boolean | null = null;
    const {feed, notifier, actions} = await harness(bus.address, () => offer);
    await feed(blocked());
    expect(srv.calls).toEqual([]); // asked of its hub still: not posted with the wrong buttons
    offer = true;
    notifier.refresh();
    await until(() => srv.calls.length === 1, 'Notify');
    expect(srv.calls[0]!.actions).toEqual(['allow', 'Allow', 'allow-1h', 'Allow 1 h', 'deny', 'Deny']);
    srv.emitAction(srv.calls[0]!.id, 'allow-1h', srv.calls[0]!.sender);
    await until(() => actions.length === 1, 'the action');
    expect(actions[0]![1]).toBe('allow-1h');
    offer = false; // the hub reconnected without Decide: only Allow and Deny
    notifier.refresh();
    await until(() => srv.calls.length === 2, 'the replacement');
    expect(srv.calls[1]!.actions).toEqual(['allow', 'Allow', 'deny', 'Deny']);
  });

  test('a repeat block replaces the prompt in place and shows the count', async () => {
    const srv = await server();
    const {feed} = await harness();
    await feed(blocked());
    await feed(blocked({request_id: 'r2'}));
    await until(() => srv.calls.length === 2, 'the second Notify');
    const [first, second] = srv.calls;
    expect(second!.replacesId).toBe(first!.id);
    expect(second!.id).toBe(first!.id);
    expect(second!.body.split('\n')).toContain('Blocked 2 times since 09:30:01');
    expect(srv.live.size).toBe(1);
  });

  test('the result replaces the prompt: normal urgency, transient, no actions', async () => {
    const srv = await server();
    const {feed} = await harness();
    await feed(blocked());
    await feed(applied('r1', 'allow'));
    await until(() => srv.calls.length === 2, 'the result');
    const [prompt, result] = srv.calls;
    expect(result).toMatchObject({replacesId: prompt!.id, summary: 'Allowed: example.com', actions: [], expire: -1});
    expect(result!.hints).toEqual({urgency: {signature: 'y', value: 1}, transient: {signature: 'b', value: true}});
  });

  test('a failed verdict keeps the prompt answerable and says why', async () => {
    const srv = await server();
    const {feed} = await harness();
    await feed(blocked());
    await feed(applied('r1', 'allow', false, 'nft: permission denied'));
    await until(() => srv.calls.length === 2, 'the update');
    const update = srv.calls[1]!;
    expect(update.summary).toBe('Blocked: example.com:443');
    expect(update.body.split('\n')).toContain('Allow failed: example.com: nft: permission denied');
    expect(update.actions).toEqual(['allow', 'Allow', 'deny', 'Deny']);
    expect(update.hints.urgency).toEqual({signature: 'y', value: 2});
  });

  test('shield down closes its prompts and raises a critical alert; shield up closes the alert', async () => {
    const srv = await server();
    const {feed} = await harness();
    await feed(blocked());
    const promptId = srv.calls[0]!.id;
    await feed(makeEvent({type: 'shield_down', container: 'c1'}));
    await until(() => srv.closeCalls.includes(promptId) && srv.calls.length === 2, 'close + alert');
    const alert = srv.calls[1]!;
    expect(alert).toMatchObject({summary: 'Shield down: proj/t1 · web', replacesId: 0, actions: [], expire: 0});
    expect(alert.hints).toEqual({urgency: {signature: 'y', value: 2}, resident: {signature: 'b', value: true}});
    await feed(makeEvent({type: 'shield_up', container: 'c1'}));
    await until(() => srv.closeCalls.includes(alert.id), 'the alert closed');
    expect(srv.live.size).toBe(0);
  });

  test('a container that exits takes its prompt notifications with it', async () => {
    const srv = await server();
    const {feed} = await harness();
    await feed(blocked(), blocked({request_id: 'r2', domain: 'other.example', dest: '203.0.113.9'}));
    expect(srv.live.size).toBe(2);
    await feed(makeEvent({type: 'container_exited', container: 'c1'}));
    await until(() => srv.live.size === 0, 'both closed');
    expect(srv.closeCalls).toHaveLength(2);
  });

  test('text from the wire is escaped as markup only when the server parses markup', async () => {
    const dossier = {project: '<b>x</b>', task: 'a&b', name: "it's"};
    const marked = await server({capabilities: GNOME_CAPABILITIES});
    const first = await harness();
    await first.feed(blocked({dossier}));
    await until(() => marked.calls.length === 1, 'Notify');
    expect(marked.calls[0]!.body.split('\n')[0]).toBe('&lt;b&gt;x&lt;/b&gt;/a&amp;b · it&#39;s');

    await cleanUp();
    const plain = await server({capabilities: ['actions', 'body']});
    const second = await harness();
    await second.feed(blocked({dossier}));
    await until(() => plain.calls.length === 1, 'Notify');
    expect(plain.calls[0]!.body.split('\n')[0]).toBe("<b>x</b>/a&b · it's");
  });
});

describe('actions and signals', () => {
  test('Allow and Deny come back as the prompt key and action, once each', async () => {
    const srv = await server();
    const {feed, actions} = await harness();
    await feed(blocked(), blocked({request_id: 'r2', domain: 'other.example', dest: '203.0.113.9'}));
    const [one, two] = srv.calls;
    srv.emitAction(one!.id, 'allow', one!.sender); // to the poster, as GNOME Shell does
    srv.emitAction(two!.id, 'deny'); // broadcast: the match rule lets it in
    srv.emitAction(one!.id, 'default', one!.sender); // not a verdict
    await srv.flush();
    await until(() => actions.length === 2, 'two actions');
    await flush(observer);
    expect(actions).toEqual([[KEY, 'allow'], [promptKey('c1', 'other.example'), 'deny']]);
  });

  test('an action on a result or an unknown id does nothing', async () => {
    const srv = await server();
    const {feed, actions} = await harness();
    await feed(blocked());
    await feed(applied('r1', 'deny'));
    const id = srv.calls[0]!.id;
    srv.emitAction(id, 'allow', srv.calls[0]!.sender);
    srv.emitAction(id + 999, 'allow', srv.calls[0]!.sender);
    await srv.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(actions).toEqual([]);
  });

  test('spoofing: ActionInvoked and NotificationClosed from another connection are ignored', async () => {
    const srv = await server();
    const {feed, actions, notifier} = await harness();
    await feed(blocked());
    const {id, sender: target} = srv.calls[0]!;
    const spoofer = await connect(bus.address);
    cleanups.push(() => spoofer.disconnect());
    const spoof = (member: string, signature: string, body: unknown[], destination?: string): void => {
      const message = Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications', member,
        signature, body);
      if (destination) message.destination = destination;
      spoofer.send(message);
    };
    // Directed at the notifier (delivered whatever its match rules say) and broadcast.
    spoof('ActionInvoked', 'us', [id, 'allow'], target);
    spoof('ActionInvoked', 'us', [id, 'allow']);
    // A forged "the spoofer owns the name now", then another try.
    const forged = Message.newSignal('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss',
      ['org.freedesktop.Notifications', srv.uniqueName, uniqueName(spoofer)]);
    forged.destination = target;
    spoofer.send(forged);
    spoof('ActionInvoked', 'us', [id, 'allow'], target);
    spoof('NotificationClosed', 'uu', [id, 2], target);
    await flush(spoofer);
    // The genuine server's signal after them proves the notifier was listening all along.
    srv.emitAction(id, 'deny', target);
    await srv.flush();
    await until(() => actions.length > 0, 'the genuine action');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(actions).toEqual([[KEY, 'deny']]);
    // The forged close did not hide the prompt: a repeat still replaces it in place.
    await feed(blocked({request_id: 'r2'}));
    await notifier.settled();
    expect(srv.calls.at(-1)!.replacesId).toBe(id);
  });

  test('closed by the operator: not shown again until the prompt changes; nothing is answered', async () => {
    const srv = await server();
    const {feed, actions} = await harness();
    await feed(blocked());
    const {id, sender} = srv.calls[0]!;
    srv.emitClosed(id, 2, sender);
    await srv.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await feed(makeEvent({type: 'container_started', container: 'c2'})); // unrelated: nothing re-posted
    expect(srv.calls).toHaveLength(1);
    await feed(blocked({request_id: 'r2'}));
    await until(() => srv.calls.length === 2, 'the repeat shown again');
    expect(srv.calls[1]).toMatchObject({replacesId: 0, summary: 'Blocked: example.com:443'});
    expect(actions).toEqual([]);
  });
});

describe('following the server and the extension', () => {
  test('a new owner of org.freedesktop.Notifications gets everything still pending; the old one is not heard', async () => {
    const first = await server({allowReplacement: true});
    const {feed, actions} = await harness();
    await feed(blocked(), blocked({request_id: 'r2', domain: 'done.example', dest: '203.0.113.1'}));
    await feed(applied('r2', 'allow'));
    const oldId = first.calls[0]!.id;
    const second = await server({replace: true});
    await until(() => second.calls.length === 2, 're-posted to the new server');
    expect(second.calls.map((call) => [call.summary, call.replacesId])).toEqual([
      ['Blocked: example.com:443', 0], ['Allowed: done.example', 0]]);
    expect(first.closeCalls).toEqual([]);
    first.emitAction(oldId, 'allow', second.calls[0]!.sender); // the old owner is no longer the server
    await first.flush();
    second.emitAction(second.calls[0]!.id, 'deny', second.calls[0]!.sender);
    await second.flush();
    await until(() => actions.length > 0, 'the new server action');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(actions).toEqual([[KEY, 'deny']]);
  });

  test('the server goes away and comes back (a shell restart): the prompt is posted again', async () => {
    const first = await NotificationServer.start(bus.address);
    const {feed} = await harness();
    await feed(blocked());
    first.stop();
    await untilFree('org.freedesktop.Notifications');
    const second = await server();
    await until(() => second.calls.length === 1, 're-posted');
    expect(second.calls[0]).toMatchObject({summary: 'Blocked: example.com:443', replacesId: 0});
  });

  test('no server yet: nothing is lost, the first server to appear gets the prompt', async () => {
    const {feed} = await harness();
    await feed(blocked());
    const late = await server();
    await until(() => late.calls.length === 1, 'posted to the late server');
  });

  test('the name it stays quiet for is the one the GNOME extension owns', () => {
    const extension = readFileSync(new URL('../../../extension/extension.ts', import.meta.url), 'utf8');
    expect(extension).toContain(`SHELL_BUS_NAME = '${EXTENSION_BUS_NAME}'`);
  });

  test('quiet while the extension owns its name; back when it releases it; quiet again when it returns', async () => {
    const srv = await server();
    const extension = await connect(bus.address);
    cleanups.push(() => extension.disconnect());
    await extension.requestName(EXTENSION_BUS_NAME, 0);
    const {feed} = await harness();
    await feed(blocked());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(srv.calls).toEqual([]);

    await extension.releaseName(EXTENSION_BUS_NAME);
    await until(() => srv.calls.length === 1, 'posted once the extension is gone');
    const {id} = srv.calls[0]!;

    await extension.requestName(EXTENSION_BUS_NAME, 0);
    await until(() => srv.closeCalls.includes(id), 'closed when the extension is back');
    await feed(blocked({request_id: 'r2'}));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(srv.calls).toHaveLength(1);
  });
});

describe('GNOME Shell keeps 10 notifications per app', () => {
  test('12 pending: 9 prompts and one "3 more waiting"; never more than 10 live; answers let the next in', async () => {
    const srv = await server();
    const {feed} = await harness();
    const events = Array.from({length: 12}, (_, i) =>
      blocked({request_id: `r${i}`, domain: `host${i}.example`, dest: `203.0.113.${i}`}));
    await feed(...events);
    expect(srv.live.size).toBe(10);
    const summaries = [...srv.live.values()].map((call) => call.summary);
    expect(summaries.slice(0, 9)).toEqual(events.slice(0, 9).map((_, i) => `Blocked: host${i}.example:443`));
    const overflow = [...srv.live.values()][9]!;
    expect(overflow.summary).toBe('3 more waiting');
    expect(overflow.body.split('\n').slice(0, 3)).toEqual([
      'Blocked: host9.example:443 (proj/t1 · web)', 'Blocked: host10.example:443 (proj/t1 · web)',
      'Blocked: host11.example:443 (proj/t1 · web)']);
    expect(overflow.hints.urgency).toEqual({signature: 'y', value: 2});

    await feed(applied('r0', 'allow'));
    expect(srv.live.size).toBe(10);
    expect(srv.withSummary('Blocked: host9.example:443')).toHaveLength(1);
    expect([...srv.live.values()].filter((call) => call.summary.endsWith('more waiting')).map((call) => call.summary))
      .toEqual(['2 more waiting']);

    for (const i of [1, 2, 3]) await feed(applied(`r${i}`, 'deny'));
    // 8 prompts left: all shown, the summary closed, results in the room that is left.
    const live = [...srv.live.values()].map((call) => call.summary);
    expect(live.filter((s) => s.startsWith('Blocked: '))).toHaveLength(8);
    expect(live.some((s) => s.endsWith('more waiting'))).toBe(false);
    expect(live.filter((s) => s.startsWith('Denied: ') || s.startsWith('Allowed: '))).toHaveLength(2);
    expect(srv.maxLive).toBe(10);
  });
});

describe('lifecycle', () => {
  test('dispose closes what it posted; start → dispose → start works', async () => {
    const srv = await server();
    const one = await harness();
    await one.feed(blocked());
    await one.notifier.dispose();
    expect(srv.live.size).toBe(0);
    one.notifier.render(one.model.apply(blocked({request_id: 'r2'}), T0 + 5000));
    await one.notifier.settled();
    expect(srv.calls).toHaveLength(1);

    const two = await harness();
    await two.feed(blocked());
    expect(srv.live.size).toBe(1);
  });

  test('no session bus: a silent no-op notifier (nothing at warning level)', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    setLogLevel('debug');
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    try {
      delete process.env.DBUS_SESSION_BUS_ADDRESS;
      const unset = await DesktopNotifier.start({onAction: () => undefined});
      const missing = await DesktopNotifier.start({address: 'unix:path=/nonexistent/bus', onAction: () => undefined});
      for (const notifier of [unset, missing]) {
        expect(notifier.connected).toBe(false);
        notifier.render(new PromptModel().apply(blocked(), T0));
        await notifier.settled();
        await notifier.dispose();
      }
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      setLogLevel('warning');
      spy.mockRestore();
    }
    expect(written.length).toBeGreaterThan(0); // it did say why, at debug level
    for (const line of written) expect(line).not.toMatch(/^(<[0-4]>|warning: |error: )/);
  });

  test('the session bus dies: disconnected resolves, rendering stays harmless', async () => {
    const own = await startPrivateBus();
    cleanups.push(() => own.stop());
    const srv = await NotificationServer.start(own.address);
    const {feed, notifier} = await harness(own.address);
    await feed(blocked());
    expect(srv.calls).toHaveLength(1);
    await own.stop();
    await notifier.disconnected;
    expect(notifier.connected).toBe(false);
    await feed(blocked({request_id: 'r2'}));
  });
});
