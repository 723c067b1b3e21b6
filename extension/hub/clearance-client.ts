// The extension's client of every hub: core's prompt session and hub set (reconnects with back-off, Pending
// catch-up, merge of all hubs into one prompt model) on the Gio transport and discovery, with timers, sockets and
// monitors owned by the lifetime. The configured sockets come from GSettings and follow its changes. Containers
// whose events carry no dossier are named by the hubs (ContainerIdentity): the extension runs no podman itself.
// Beside it, the lasting decisions of the hubs (core's DecisionWatch), followed while each hub is connected.
import Gio from 'gi://Gio';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {DecisionWatch} from '../../core/client/decision-watch.js';
import {HubConnection} from '../../core/client/hub-connection.js';
import {hubIdentity} from '../../core/client/hub-identity.js';
import {HubSet, type HubSetListener, type HubView} from '../../core/client/hub-set.js';
import {sessionHub} from '../../core/client/hub-sockets.js';
import {PromptSession, type PromptSessionListener} from '../../core/client/prompt-session.js';
import type {Lifetime} from '../lifetime.js';
import {runtimeDir} from './runtime-dir.js';
import {GioDiscovery} from './gio-discovery.js';
import {gioTransport} from './gio-transport.js';
import {lifetimeScheduler} from './glib-scheduler.js';

export interface ClearanceClientListener extends PromptSessionListener {
  /** Every event of every hub, as it arrives (after the prompt model has seen it). */
  event(hub: HubView, event: ClearanceEvent): void;
}

export type ClearanceClient = PromptSession<HubSet>;

/** The client, not started yet: start() it once its listener's UI exists. Ending the lifetime closes it. */
export function createClearanceClient(lifetime: Lifetime, settings: Gio.Settings,
  listener: ClearanceClientListener): ClearanceClient {
  const scheduler = lifetimeScheduler(lifetime);
  const transport = gioTransport(lifetime);
  const runtime = runtimeDir();
  let discovery: GioDiscovery | null = null;
  // The extension has no log of its own worth filling: a malformed hub reply is dropped and shows nowhere else.
  const log = {warning: (message: string) => console.warn(`terok-clearance: ${message}`)};

  const session = new PromptSession(listener, (hubs: HubSetListener) => new HubSet({
    ...hubs,
    event: (hub, event) => {
      hubs.event(hub, event);
      listener.event(hub, event);
    },
  }, {
    session: sessionHub(runtime),
    discovery: (found) => (discovery = new GioDiscovery(found, {runtimeDir: runtime, scheduler})),
    connection: (socket, hub) => new HubConnection(socket.path, hub, {transport, scheduler, log}),
  }), {now: Date.now, identity: hubIdentity});

  const configure = (): void => {
    const paths = settings.get_strv('extra-sockets').filter((path) => path.startsWith('/'));
    session.hubs.setConfigured(paths);
    discovery?.setConfigured(paths);
  };
  configure();
  lifetime.connect(settings, 'changed::extra-sockets', configure);
  lifetime.defer(() => void session.close());
  return session;
}

/** The hubs' lasting decisions (grants, failing revocations, the rules file's health, the log); `changed` after each. */
export function createDecisionWatch(lifetime: Lifetime, changed: () => void): DecisionWatch {
  const watch = new DecisionWatch({transport: gioTransport(lifetime), changed});
  lifetime.defer(() => watch.close());
  return watch;
}
