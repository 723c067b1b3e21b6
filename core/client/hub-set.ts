// All hubs as one: a discovery decides which hubs exist, each gets a HubConnection, and every event, snapshot and
// state change reaches one listener tagged with its hub. Hubs are identified by their socket path (the `origin` the
// prompt model records), so a verdict goes back to the hub that emitted the request. The discovery and the
// connections are the edge's (Node, GJS); the bookkeeping is here.
//
// The session hub is always part of the set, present or not: when it is not running the operator is told so once,
// and it is tried again the moment its socket appears. So are sockets the operator configured by path. Other
// per-container hubs exist while their socket does.
import type {ClearanceEvent} from '../clearance/event.js';
import type {VerdictAction} from '../clearance/verdict.js';
import type {ContainerOutcome, VerdictOutcome} from './clearance-calls.js';
import type {DecideOutcome, DecideRequest, QueryOutcome, RevokeResult} from './decision-calls.js';
import type {HubCapabilities, HubConnection, HubListener, HubState} from './hub-connection.js';
import {hubLabel, type HubSocket} from './hub-sockets.js';

export interface HubView {
  /** The socket path; what the prompt model calls the origin. */
  readonly id: string;
  /** "session", the container id, or the configured path. */
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

export interface DiscoveryListener {
  added(hub: HubSocket): void;
  removed(hub: HubSocket): void;
}

export interface Discovery {
  start(): void;
  close(): void;
}

/** What the edge provides. */
export interface HubSetParts {
  /** The session hub's socket: always in the set. */
  readonly session: HubSocket;
  discovery(listener: DiscoveryListener): Discovery;
  /** A connection not yet started. */
  connection(socket: HubSocket, listener: HubListener): HubConnection;
}

/** The verdict calls the prompt session routes by origin. */
export interface VerdictRoutes {
  verdict(origin: string, container: string, requestId: string, dest: string, action: VerdictAction): Promise<VerdictOutcome>;
  verdictContainer(origin: string, container: string, action: VerdictAction): Promise<ContainerOutcome>;
  decide(origin: string, request: DecideRequest): Promise<DecideOutcome>;
}

/** Identity lookups routed by origin (hub-identity.ts). */
export interface IdentityRoutes {
  /** The hub's name for a container it emitted events of; "" when it has none or is gone. */
  containerIdentity(origin: string, container: string): Promise<string>;
}

export class HubSet implements VerdictRoutes, IdentityRoutes {
  readonly #hubs = new Map<string, {socket: HubSocket; connection: HubConnection}>();
  readonly #discovery: Discovery;
  /** Paths kept in the set while their socket is absent: the session hub and the configured sockets. */
  readonly #pinned = new Set<string>();
  #configured: string[] = [];
  #running = false;

  constructor(private readonly listener: HubSetListener, private readonly parts: HubSetParts) {
    this.#pinned.add(parts.session.path);
    this.#discovery = parts.discovery({
      added: (socket) => this.#added(socket),
      removed: (socket) => this.#removed(socket),
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#added(this.parts.session);
    for (const path of this.#configured) this.#added(configuredSocket(path));
    this.#discovery.start();
  }

  /**
   * The sockets the operator listed by path: each stays in the set, reported as not running while absent. A path
   * taken off the list leaves the set unless discovery found it on its own.
   */
  setConfigured(paths: readonly string[]): void {
    const next = [...new Set(paths)].filter((p) => p !== this.parts.session.path);
    for (const path of this.#configured) {
      if (next.includes(path)) continue;
      this.#pinned.delete(path);
      const entry = this.#hubs.get(path);
      if (entry?.socket.layout === 'configured') this.#drop(path);
    }
    this.#configured = next;
    for (const path of next) {
      this.#pinned.add(path);
      if (this.#running) this.#added(configuredSocket(path));
    }
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

  decide(origin: string, request: DecideRequest): Promise<DecideOutcome> {
    const entry = this.#hubs.get(origin);
    if (!entry) return Promise.resolve({kind: 'unreachable', detail: `hub ${origin} is gone`});
    return entry.connection.decide(request);
  }

  revoke(origin: string, id: string): Promise<QueryOutcome<RevokeResult[]>> {
    const entry = this.#hubs.get(origin);
    if (!entry) return Promise.resolve({kind: 'unreachable', detail: `hub ${origin} is gone`});
    return entry.connection.revoke(id);
  }

  /** Whether the hub `origin` offers lasting answers (null: not known now); its view's capabilities say it after. */
  supportsDecide(origin: string): Promise<boolean | null> {
    return this.#hubs.get(origin)?.connection.supportsDecide() ?? Promise.resolve(null);
  }

  containerIdentity(origin: string, container: string): Promise<string> {
    return this.#hubs.get(origin)?.connection.containerIdentity(container) ?? Promise.resolve('');
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
    const connection: HubConnection = this.parts.connection(socket, {
      state: () => this.listener.hubState(view(socket, connection)),
      snapshot: (pending) => this.listener.snapshot(view(socket, connection), pending),
      event: (event) => this.listener.event(view(socket, connection), event),
    });
    this.#hubs.set(socket.path, {socket, connection});
    this.listener.hubAdded(view(socket, connection));
    connection.start();
  }

  #removed(socket: HubSocket): void {
    // A pinned hub stays in the set: its connection reports it as not running and retries.
    if (!this.#pinned.has(socket.path)) this.#drop(socket.path);
  }

  #drop(path: string): void {
    const entry = this.#hubs.get(path);
    if (!entry) return;
    this.#hubs.delete(path);
    void entry.connection.close();
    this.listener.hubRemoved(view(entry.socket, entry.connection));
  }
}

function configuredSocket(path: string): HubSocket {
  return {path, layout: 'configured', container: ''};
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
