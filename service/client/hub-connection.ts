// A client of one hub: a connection for the Subscribe stream and one for calls (calls on a connection are answered
// in order, so a call behind an endless stream would never be answered). It reconnects with back-off, catches up
// through Pending after each connect when the hub offers it, and owns every socket and timer it makes: close() ends
// them all. "Not running" is a normal state, reported once, not an error per retry.
//
// The back-off starts again from 1 s once a connection has held for a while: a connection that held is retried at
// once when it ends (the hub restarting is back in a moment), one that drops straight away (a hub that accepts and
// then fails) goes through the growing delays, so a broken hub cannot make us flap.
import {existsSync} from 'node:fs';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import {logger, type Logger} from '../log.js';
import {VarlinkClient} from '../varlink/client.js';
import {Backoff} from './backoff.js';
import {
  fetchPending, sendVerdict, sendVerdictContainer, subscribedEvent, SUBSCRIBE,
  type ContainerOutcome, type VerdictOutcome,
} from './clearance-calls.js';
import {realTime, type Scheduler} from './scheduler.js';

/**
 * connecting: the first attempt, or the one made at once after a connection that held has ended;
 * connected: subscribed, caught up, verdicts can be sent; unavailable: waiting out the back-off before a retry.
 */
export type HubStatus = 'connecting' | 'connected' | 'unavailable';

export interface HubState {
  readonly status: HubStatus;
  /** Why the hub is unavailable, or why the connection that held ended ("" otherwise). */
  readonly reason: string;
  /** Unavailable because nothing is listening: the hub is simply not running, a normal state. */
  readonly notRunning: boolean;
}

export interface HubListener {
  /** The status or the reason changed. A retry that fails for the same reason reports nothing. */
  state(state: HubState): void;
  /**
   * Right after each (re)connect, before any live event: the requests the hub holds, or null when it cannot list
   * them (no Pending method: an older or Python hub).
   */
  snapshot(pending: ClearanceEvent[] | null): void;
  event(event: ClearanceEvent): void;
}

export interface HubCapabilities {
  /** null until the first connect has probed it. */
  readonly pending: boolean | null;
  /** null until the first container verdict on this connection has tried it. */
  readonly verdictContainer: boolean | null;
}

export interface HubConnectionOptions {
  scheduler?: Scheduler;
  backoff?: Backoff;
  connectTimeoutMs?: number;
  log?: Logger;
}

const CONNECTING: HubState = Object.freeze({status: 'connecting', reason: '', notRunning: false});
const CONNECTED: HubState = Object.freeze({status: 'connected', reason: '', notRunning: false});

/** How long a connection must have held for its end to count as a hub restart rather than a failing hub. */
export const STABLE_CONNECTION_MS = 5000;

export class HubConnection {
  #state: HubState = CONNECTING;
  #capabilities: HubCapabilities = {pending: null, verdictContainer: null};
  #stream: VarlinkClient | null = null;
  #rpc: VarlinkClient | null = null;
  #cancelRetry: (() => void) | null = null;
  /** Bumped by every attempt, loss and close: async steps of an older attempt see it and stop. */
  #generation = 0;
  #attempting = false;
  #connectedAt = 0;
  #started = false;
  #closed = false;
  readonly #scheduler: Scheduler;
  readonly #backoff: Backoff;
  readonly #connectTimeoutMs: number;
  readonly #log: Logger;

  constructor(readonly path: string, private readonly listener: HubListener, options: HubConnectionOptions = {}) {
    this.#scheduler = options.scheduler ?? realTime;
    this.#backoff = options.backoff ?? new Backoff();
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#log = options.log ?? logger('hub-client');
  }

  get state(): HubState {
    return this.#state;
  }

  get capabilities(): HubCapabilities {
    return this.#capabilities;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#attempt();
  }

  /** Try now instead of waiting out the back-off (the socket just appeared). No-op while connected or trying. */
  retryNow(): void {
    if (!this.#started || this.#closed || this.#attempting || this.#state.status === 'connected') return;
    this.#cancelRetry?.();
    this.#cancelRetry = null;
    void this.#attempt();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#generation++;
    this.#cancelRetry?.();
    this.#cancelRetry = null;
    await this.#dropClients();
  }

  async verdict(container: string, requestId: string, dest: string, action: VerdictAction): Promise<VerdictOutcome> {
    const rpc = this.#connectedRpc();
    if (!rpc) return {kind: 'unreachable', detail: this.#unreachableDetail()};
    return sendVerdict(rpc, container, requestId, dest, action);
  }

  /**
   * Every pending request of `container` at once. `unsupported` when the hub has no VerdictContainer: the caller
   * then answers the requests it knows one by one (remembered per connection, so the hub is asked once).
   */
  async verdictContainer(container: string, action: VerdictAction): Promise<ContainerOutcome> {
    if (this.#capabilities.verdictContainer === false) return {kind: 'unsupported'};
    const rpc = this.#connectedRpc();
    if (!rpc) return {kind: 'unreachable', detail: this.#unreachableDetail()};
    const generation = this.#generation;
    const outcome = await sendVerdictContainer(rpc, container, action);
    if (generation === this.#generation && (outcome.kind === 'applied' || outcome.kind === 'unsupported')) {
      this.#capabilities = {...this.#capabilities, verdictContainer: outcome.kind === 'applied'};
    }
    return outcome;
  }

  async #attempt(): Promise<void> {
    const generation = ++this.#generation;
    this.#attempting = true;
    try {
      await this.#connect(generation);
    } finally {
      if (generation === this.#generation) this.#attempting = false;
    }
  }

  async #connect(generation: number): Promise<void> {
    const options = {timeoutMs: this.#connectTimeoutMs};
    let stream: VarlinkClient | undefined;
    let rpc: VarlinkClient;
    try {
      stream = await VarlinkClient.connect(this.path, options);
      rpc = await VarlinkClient.connect(this.path, options);
    } catch (e) {
      stream?.close();
      if (generation === this.#generation) this.#unavailable(connectFailure(this.path, e));
      return;
    }
    if (generation !== this.#generation) {
      stream.close();
      rpc.close();
      return;
    }
    this.#stream = stream;
    this.#rpc = rpc;
    this.#capabilities = {pending: null, verdictContainer: null};
    void rpc.closed.then(() => this.#lost(generation, 'the hub closed the connection'));

    // Subscribe goes out first, so nothing emitted while Pending is answered falls between the two. Events that
    // arrive before the snapshot is delivered wait, so the snapshot always comes first.
    const early: ClearanceEvent[] = [];
    let live = false;
    void this.#pump(stream, generation, (event) => {
      if (live) this.listener.event(event);
      else early.push(event);
    });

    let pending: ClearanceEvent[] | null;
    try {
      pending = await fetchPending(rpc, (what) => this.#log.warning(`${this.path}: ${what}`));
    } catch (e) {
      if (generation !== this.#generation) return;
      // A hub that cannot list what it holds is still worth listening to; the operator sees new blocks.
      this.#log.warning(`${this.path}: catch-up through Pending failed: ${describe(e)}`);
      pending = null;
    }
    if (generation !== this.#generation) return;

    this.#capabilities = {...this.#capabilities, pending: pending !== null};
    this.#connectedAt = this.#scheduler.now();
    this.#setState(CONNECTED);
    this.listener.snapshot(pending);
    // A block both in the snapshot and on the stream happened before the snapshot was taken: deliver it once.
    const inSnapshot = new Set(pending?.map((e) => e.request_id));
    for (const event of early) {
      if (generation !== this.#generation) return;
      if (event.type === 'connection_blocked' && inSnapshot.has(event.request_id)) continue;
      this.listener.event(event);
    }
    live = true;
  }

  async #pump(stream: VarlinkClient, generation: number, deliver: (event: ClearanceEvent) => void): Promise<void> {
    let why = 'the hub closed the connection';
    try {
      for await (const reply of stream.stream(SUBSCRIBE, {})) {
        if (generation !== this.#generation) return;
        const event = subscribedEvent(reply, (what) => this.#log.warning(`${this.path}: ${what}`));
        if (event) deliver(event);
      }
    } catch (e) {
      why = describe(e);
    }
    this.#lost(generation, why);
  }

  /** The stream or the call connection ended: drop both and reconnect. Only the first report counts. */
  #lost(generation: number, why: string): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#generation++;
    this.#attempting = false;
    void this.#dropClients();
    const held = this.#state.status === 'connected'
      && this.#scheduler.now() - this.#connectedAt >= STABLE_CONNECTION_MS;
    if (!held) {
      // A hub that stopped cleanly removed its socket: that is "not running", not a failure.
      this.#unavailable(existsSync(this.path) ? {reason: why, notRunning: false}
        : {reason: `not running (its socket ${this.path} was removed)`, notRunning: true});
      return;
    }
    this.#backoff.reset();
    this.#setState({status: 'connecting', reason: why, notRunning: false});
    void this.#attempt();
  }

  #unavailable(failure: {reason: string; notRunning: boolean}): void {
    this.#setState({status: 'unavailable', ...failure});
    this.#attempting = false;
    this.#cancelRetry = this.#scheduler.after(this.#backoff.next(), () => {
      this.#cancelRetry = null;
      void this.#attempt();
    });
  }

  #setState(state: HubState): void {
    const previous = this.#state;
    if (previous.status === state.status && previous.reason === state.reason) return;
    this.#state = state;
    this.listener.state(state);
  }

  #connectedRpc(): VarlinkClient | null {
    return this.#state.status === 'connected' ? this.#rpc : null;
  }

  #unreachableDetail(): string {
    return this.#state.reason ? `hub ${this.path} unavailable: ${this.#state.reason}` : `hub ${this.path} not connected yet`;
  }

  async #dropClients(): Promise<void> {
    const clients = [this.#stream, this.#rpc].filter((c) => c !== null);
    this.#stream = null;
    this.#rpc = null;
    for (const client of clients) client.close();
    await Promise.all(clients.map((c) => c.closed));
  }
}

/** Why a connect failed, worded for the operator; "not running" when nobody listens at the path. */
export function connectFailure(path: string, e: unknown): {reason: string; notRunning: boolean} {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return {reason: `not running (no socket at ${path})`, notRunning: true};
  if (code === 'ECONNREFUSED') return {reason: `not running (nothing accepts on ${path})`, notRunning: true};
  if (code === 'EACCES') return {reason: `permission denied on ${path}`, notRunning: false};
  return {reason: describe(e), notRunning: false};
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
