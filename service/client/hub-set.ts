// All hubs as one: discovery decides which hubs exist, each gets a HubConnection, and every event, snapshot and
// state change reaches one listener tagged with its hub. Hubs are identified by their socket path (the `origin` the
// prompt model records), so a verdict goes back to the hub that emitted the request.
//
// The session hub is always part of the set, present or not: when it is not running the operator is told so once,
// and it is tried again the moment its socket appears. Per-container hubs exist while their socket does.
import type {ClearanceEvent} from '../../core/clearance/event.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import {hubSearchRoots, runtimeDir} from '../paths.js';
import type {Backoff} from './backoff.js';
import type {ContainerOutcome, VerdictOutcome} from './clearance-calls.js';
import {HubConnection, type HubCapabilities, type HubConnectionOptions, type HubState} from './hub-connection.js';
import {HubDiscovery, hubLabel, type HubSocket} from './hub-discovery.js';
import {realTime, type Scheduler} from './scheduler.js';

export interface HubView {
  /** The socket path; what the prompt model calls the origin. */
  readonly id: string;
  /** "session" or the container id. */
  readonly label: string;
  readonly socket: HubSocket;
  readonly state: HubState;
  readonly capabilities: HubCapabilities;
}

export interface HubSetListener {
  hubAdded(hub: HubView): void;
  /** Its socket is gone; nothing more comes from it. */
  hubRemoved(hub: HubView): void;
  hubState(hub: HubView): void;
  snapshot(hub: HubView, pending: ClearanceEvent[] | null): void;
  event(hub: HubView, event: ClearanceEvent): void;
}

export interface HubSetOptions {
  runtimeDir?: string;
  rescanMs?: number;
  scheduler?: Scheduler;
  /** A fresh back-off per hub (tests pass shorter ones). */
  backoff?: () => Backoff;
  connectTimeoutMs?: number;
  log?: HubConnectionOptions['log'];
}

export class HubSet {
  readonly #hubs = new Map<string, {socket: HubSocket; connection: HubConnection}>();
  readonly #discovery: HubDiscovery;
  readonly #session: HubSocket;
  readonly #options: HubSetOptions;
  #running = false;

  constructor(private readonly listener: HubSetListener, options: HubSetOptions = {}) {
    this.#options = options;
    const runtime = options.runtimeDir ?? runtimeDir();
    this.#session = {path: hubSearchRoots(runtime).session, layout: 'session', container: ''};
    this.#discovery = new HubDiscovery({
      added: (socket) => this.#added(socket),
      removed: (socket) => this.#removed(socket),
    }, {runtimeDir: runtime, rescanMs: options.rescanMs, scheduler: options.scheduler, log: options.log});
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#added(this.#session);
    this.#discovery.start();
  }

  hubs(): HubView[] {
    return [...this.#hubs.values()].map(({socket, connection}) => view(socket, connection));
  }

  hub(id: string): HubView | undefined {
    const entry = this.#hubs.get(id);
    return entry && view(entry.socket, entry.connection);
  }

  verdict(origin: string, container: string, requestId: string, dest: string, action: VerdictAction): Promise<VerdictOutcome> {
    const entry = this.#hubs.get(origin);
    if (!entry) return Promise.resolve({kind: 'unreachable', detail: `hub ${origin} is gone`});
    return entry.connection.verdict(container, requestId, dest, action);
  }

  verdictContainer(origin: string, container: string, action: VerdictAction): Promise<ContainerOutcome> {
    const entry = this.#hubs.get(origin);
    if (!entry) return Promise.resolve({kind: 'unreachable', detail: `hub ${origin} is gone`});
    return entry.connection.verdictContainer(container, action);
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#discovery.close();
    const connections = [...this.#hubs.values()].map((e) => e.connection);
    this.#hubs.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  #added(socket: HubSocket): void {
    const existing = this.#hubs.get(socket.path);
    if (existing) {
      existing.connection.retryNow();
      return;
    }
    // The callbacks run only after start(), by which time `connection` is assigned.
    const connection: HubConnection = new HubConnection(socket.path, {
      state: () => this.listener.hubState(view(socket, connection)),
      snapshot: (pending) => this.listener.snapshot(view(socket, connection), pending),
      event: (event) => this.listener.event(view(socket, connection), event),
    }, {
      scheduler: this.#options.scheduler ?? realTime,
      backoff: this.#options.backoff?.(),
      connectTimeoutMs: this.#options.connectTimeoutMs,
      log: this.#options.log,
    });
    this.#hubs.set(socket.path, {socket, connection});
    this.listener.hubAdded(view(socket, connection));
    connection.start();
  }

  #removed(socket: HubSocket): void {
    // The session hub stays in the set: its connection reports it as not running and retries.
    if (socket.path === this.#session.path) return;
    const entry = this.#hubs.get(socket.path);
    if (!entry) return;
    this.#hubs.delete(socket.path);
    void entry.connection.close();
    this.listener.hubRemoved(view(entry.socket, entry.connection));
  }
}

function view(socket: HubSocket, connection: HubConnection): HubView {
  return Object.freeze({
    id: socket.path,
    label: hubLabel(socket),
    socket,
    state: connection.state,
    capabilities: connection.capabilities,
  });
}
