// The D-Bus layer alone: SessionBus (calls, timeouts, owner tracking, loss of the bus) and FdoNotifications
// (hand-declared interface, owner-only signals) against a private dbus-daemon and a notification server peer.
import {afterAll, afterEach, beforeAll, describe, expect, test} from '@jest/globals';
import {Message, type MessageBus} from 'dbus-next';
import {setLogLevel} from '../../../service/log.js';
import {FdoNotifications, type DesktopNotification, type Posted} from '../../../service/notify/fdo-notifications.js';
import {BusClosedError, SessionBus} from '../../../service/notify/session-bus.js';
import {startPrivateBus, type PrivateBus} from './support/private-bus.js';
import {connect, flush, NotificationServer, uniqueName, until} from './support/notification-server.js';

const PLAIN: DesktopNotification = {
  summary: 'Backup done', body: 'line 1\nline 2', actions: [{key: 'open', label: 'Open'}],
  urgency: 'normal', resident: false, transient: false, expireMs: -1,
};

let daemon: PrivateBus;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  setLogLevel('warning');
  daemon = await startPrivateBus();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the daemon drop the names
});
afterAll(async () => {
  await daemon.stop();
});

async function open(address = daemon.address): Promise<SessionBus> {
  const bus = await SessionBus.open(address);
  if (!bus) throw new Error('no bus');
  cleanups.push(() => bus.close());
  return bus;
}

async function peer(): Promise<MessageBus> {
  const bus = await connect(daemon.address);
  cleanups.push(() => bus.disconnect());
  return bus;
}

async function server(options: Parameters<typeof NotificationServer.start>[1] = {}): Promise<NotificationServer> {
  const srv = await NotificationServer.start(daemon.address, options);
  cleanups.push(() => srv.stop());
  return srv;
}

interface Heard {
  actions: [Posted, string][];
  closed: [Posted, number][];
  servers: (string | null)[];
}

async function attach(bus: SessionBus): Promise<{fdo: FdoNotifications; heard: Heard}> {
  const heard: Heard = {actions: [], closed: [], servers: []};
  const fdo = await FdoNotifications.attach(bus, 'test-app', {
    action: (posted, key) => heard.actions.push([posted, key]),
    closed: (posted, reason) => heard.closed.push([posted, reason]),
    serverChanged: (owner) => heard.servers.push(owner),
  });
  return {fdo, heard};
}

describe('FdoNotifications', () => {
  test('Notify sends the declared signature; urgency without resident/transient when they are off', async () => {
    const srv = await server();
    const {fdo} = await attach(await open());
    const posted = await fdo.notify(PLAIN);
    expect(posted).toEqual({id: srv.calls[0]!.id, server: srv.uniqueName});
    expect(srv.calls[0]).toMatchObject({signature: 'susssasa{sv}i', appName: 'test-app', replacesId: 0,
      summary: 'Backup done', body: 'line 1\nline 2', actions: ['open', 'Open'], expire: -1,
      hints: {urgency: {signature: 'y', value: 1}}});
    expect(Object.keys(srv.calls[0]!.hints)).toEqual(['urgency']);
  });

  test('the summary is one plain line: controls and bidi overrides are replaced, markup characters become look-alikes', async () => {
    const srv = await server();
    const {fdo} = await attach(await open());
    await fdo.notify({...PLAIN, summary: 'a\u202eb\nc <i>R&amp;D</i>', body: 'x\u0007y'});
    expect(srv.calls[0]!.summary).toBe('a\uFFFDb\uFFFDc \u2039i\u203AR\uFF06amp;D\u2039/i\u203A');
    expect(srv.calls[0]!.body).toBe('x\uFFFDy');
  });

  test('replacing and closing: ids of the current server only', async () => {
    const first = await server({allowReplacement: true});
    const {fdo} = await attach(await open());
    const posted = await fdo.notify(PLAIN);
    const again = await fdo.notify({...PLAIN, body: 'changed'}, posted);
    expect(again).toEqual(posted);
    expect(first.calls[1]!.replacesId).toBe(posted.id);

    const second = await server({replace: true});
    await until(() => fdo.server === second.uniqueName, 'the new owner');
    expect(fdo.isCurrent(posted)).toBe(false);
    await fdo.close(posted); // the old server's id would name something else here: not sent
    const fresh = await fdo.notify(PLAIN, posted);
    expect(second.calls.map((call) => call.replacesId)).toEqual([0]);
    await fdo.close(fresh);
    expect(second.closeCalls).toEqual([fresh.id]);
    expect(first.closeCalls).toEqual([]);
  });

  test('only the current owner is heard: signals from any other connection are dropped', async () => {
    const srv = await server();
    const bus = await open();
    const {fdo, heard} = await attach(bus);
    const posted = await fdo.notify(PLAIN);
    const spoofer = await peer();
    for (const [member, signature, body] of [['ActionInvoked', 'us', [posted.id, 'open']],
      ['NotificationClosed', 'uu', [posted.id, 2]]] as const) {
      for (const destination of [bus.uniqueName, undefined]) {
        const message = Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications', member,
          signature, [...body]);
        if (destination) message.destination = destination;
        spoofer.send(message);
      }
    }
    await flush(spoofer);
    srv.emitAction(posted.id, 'open', bus.uniqueName);
    srv.emitClosed(posted.id, 2); // broadcast
    await srv.flush();
    await until(() => heard.closed.length === 1, 'the genuine close');
    expect(heard.actions).toEqual([[posted, 'open']]);
    expect(heard.closed).toEqual([[posted, 2]]);
  });

  test('capabilities are asked once per owner', async () => {
    const first = await server({capabilities: ['body'], allowReplacement: true});
    const {fdo, heard} = await attach(await open());
    expect([...await fdo.capabilities()]).toEqual(['body']);
    await fdo.notify({...PLAIN, body: '<b>'});
    expect(first.calls[0]!.body).toBe('<b>');
    const second = await server({capabilities: ['body', 'body-markup'], replace: true});
    await until(() => heard.servers.length === 1, 'the owner change');
    expect(heard.servers).toEqual([second.uniqueName]);
    expect([...await fdo.capabilities()]).toEqual(['body', 'body-markup']);
    await fdo.notify({...PLAIN, body: '<b>'});
    expect(second.calls[0]!.body).toBe('&lt;b&gt;');
  });

  test('no server: Notify fails with the bus error, nothing hangs', async () => {
    const {fdo} = await attach(await open());
    expect(fdo.server).toBeNull();
    await expect(fdo.notify(PLAIN)).rejects.toMatchObject({type: 'org.freedesktop.DBus.Error.ServiceUnknown'});
  });
});

describe('SessionBus', () => {
  test('watchName: the owner now, then every change', async () => {
    const bus = await open();
    const holder = await peer();
    await holder.requestName('org.terok.Test.Watched', 0);
    const seen: (string | null)[] = [];
    expect(await bus.watchName('org.terok.Test.Watched', (owner) => seen.push(owner))).toBe(uniqueName(holder));
    expect(await bus.watchName('org.terok.Test.Unowned', () => undefined)).toBeNull();
    await holder.releaseName('org.terok.Test.Watched');
    await until(() => seen.length === 1, 'released');
    await holder.requestName('org.terok.Test.Watched', 0);
    await until(() => seen.length === 2, 'owned again');
    expect(seen).toEqual([null, uniqueName(holder)]);
    expect(bus.ownerOf('org.terok.Test.Watched')).toBe(uniqueName(holder));
  });

  test('a call nobody answers times out; a lost bus fails pending calls and resolves closed', async () => {
    const own = await startPrivateBus();
    const bus = await open(own.address);
    const silent = await connect(own.address);
    await silent.requestName('org.terok.Test.Silent', 0);
    silent.addMethodHandler(() => true); // swallows every call, answers none
    const call = {destination: 'org.terok.Test.Silent', path: '/', interface: 'org.terok.Test', member: 'Hang'};
    await expect(bus.call(call, 100)).rejects.toThrow('org.terok.Test.Hang: no reply within 100 ms');
    const pending = expect(bus.call(call, 10_000)).rejects.toBeInstanceOf(BusClosedError);
    await own.stop();
    await pending;
    await bus.closed;
    expect(bus.isClosed).toBe(true);
    await expect(bus.call(call)).rejects.toBeInstanceOf(BusClosedError);
    silent.disconnect();
  });

  test('no bus: null for a missing address, a missing socket, or an address that is not one', async () => {
    expect(await SessionBus.open('')).toBeNull();
    expect(await SessionBus.open('unix:path=/nonexistent/bus')).toBeNull();
    expect(await SessionBus.open('nonsense')).toBeNull();
  });
});
