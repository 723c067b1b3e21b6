// A client of one hub: a connection for the Subscribe stream, one for calls, and one for identity lookups, opened on
// the first (calls on a connection are answered in order: a call behind an endless stream would never be answered,
// a verdict behind a lookup would wait for the hub's podman). It reconnects with back-off, catches up after each
// connect through Watch (or Subscribe and Pending, on a hub without it) when the hub offers it, and owns every
// connection and timer it makes: close() ends them all. "Not running" is a normal state, reported once, not an error per retry. The sockets are the edge's
// (Node's net, GJS's Gio): it passes a HubTransport.
//
// The back-off starts again from 1 s once a connection has held for a while: a connection that held is retried at
// once when it ends (the hub restarting is back in a moment), one that drops straight away (a hub that accepts and
// then fails) goes through the growing delays, so a broken hub cannot make us flap.
import type {ClearanceEvent} from '../clearance/event.js';
import type {VerdictAction} from '../clearance/verdict.js';
import type {JsonObject} from '../varlink/message.js';
import {isNotFound} from '../varlink/errors.js';
import {Backoff} from './backoff.js';
import {
  fetchContainerIdentity, fetchPending, sendVerdict, sendVerdictContainer, subscribedEvent,
  SUBSCRIBE, WATCH, watchedPending, type ContainerOutcome, type VarlinkCaller, type VerdictOutcome,
} from './clearance-calls.js';
import {
  hasDecide, sendDecide, sendRevoke, type DecideOutcome, type DecideRequest, type QueryOutcome, type RevokeResult,
} from './decision-calls.js';
import type {Scheduler} from './scheduler.js';

/** One varlink connection to a hub, as the edge's transport provides it. */
export interface HubPeer extends VarlinkCaller {
  /** A `more` call: `onReply` gets each reply's parameters; settles when the stream ends (rejects on an error). */
  stream(method: string, parameters: JsonObject, onReply: (parameters: JsonObject) => void): Promise<void>;
  close(): void;
  /** Settles once the connection has ended, however it ended. */
  readonly closed: Promise<unknown>;
}

export interface ConnectFailure {
  readonly reason: string;
  /** Nobody listens at the path: the hub is simply not running. */
  readonly notRunning: boolean;
}

export interface HubTransport {
  /** Connects to the socket at `path`; rejects if that takes longer than `timeoutMs`. */
  connect(path: string, timeoutMs: number): Promise<HubPeer>;
  /** Why a connect failed, worded for the operator. */
  connectFailure(path: string, error: unknown): ConnectFailure;
  /** Whether a socket file is still at `path` (a hub that stopped cleanly removed its socket). */
  socketExists(path: string): Promise<boolean>;
}

/** Where a hub client reports what the operator or a log reader should know. */
export interface HubLog {
  warning(message: string): void;
}

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
   * them (no Pending method: an older or Python hub). Null also once a hub has been "not running" (its connects
   * refused, or no socket) for the retirement grace: what it held is no longer taken as waiting. A hub that comes
   * back sends its snapshot again, so what it still holds is answerable again.
   */
  snapshot(pending: ClearanceEvent[] | null): void;
  event(event: ClearanceEvent): void;
}

export interface HubCapabilities {
  /** null until the first connect has probed it. */
  readonly pending: boolean | null;
  /** null until the first container verdict on this connection has tried it. */
  readonly verdictContainer: boolean | null;
  /** null until the first identity lookup on this connection has tried it. */
  readonly containerIdentity: boolean | null;
  /** Lasting answers (Decide): null until supportsDecide() has asked this connection. */
  readonly decide: boolean | null;
}

export interface HubConnectionOptions {
  transport: HubTransport;
  scheduler: Scheduler;
  log: HubLog;
  backoff?: Backoff;
  connectTimeoutMs?: number;
  /** How long a connected hub may take to send its snapshot (Watch's first reply, or Pending) before it is dropped. */
  firstReplyTimeoutMs?: number;
  /** How long a hub may stay "not running" before its requests are retired (snapshot null). */
  retireAfterMs?: number;
}

/** A hub restarting is back within seconds; one whose connects are still refused after this has died. */
export const RETIRE_AFTER_MS = 60_000;

const CONNECTING: HubState = Object.freeze({status: 'connecting', reason: '', notRunning: false});
const CONNECTED: HubState = Object.freeze({status: 'connected', reason: '', notRunning: false});

/** How long a connection must have held for its end to count as a hub restart rather than a failing hub. */
export const STABLE_CONNECTION_MS = 5000;

export class HubConnection {
  #state: HubState = CONNECTING;
  #capabilities: HubCapabilities = {pending: null, verdictContainer: null, containerIdentity: null, decide: null};
  #stream: HubPeer | null = null;
  #rpc: HubPeer | null = null;
  /** The identity lookups' connection, opened by the first lookup (null when it failed to open). */
  #identity: Promise<HubPeer | null> | null = null;
  #cancelRetry: (() => void) | null = null;
  /** Set while a "not running" outage runs towards retirement; null when connected or already retired. */
  #cancelRetire: (() => void) | null = null;
  #retired = false;
  /** Bumped by every attempt, loss and close: async steps of an older attempt see it and stop. */
  #generation = 0;
  #attempting = false;
  #connectedAt = 0;
  #started = false;
  #closed = false;
  readonly #transport: HubTransport;
  readonly #scheduler: Scheduler;
  readonly #backoff: Backoff;
  readonly #connectTimeoutMs: number;
  readonly #firstReplyTimeoutMs: number;
  readonly #retireAfterMs: number;
  readonly #log: HubLog;

  constructor(readonly path: string, private readonly listener: HubListener, options: HubConnectionOptions) {
    this.#transport = options.transport;
    this.#scheduler = options.scheduler;
    this.#backoff = options.backoff ?? new Backoff();
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#firstReplyTimeoutMs = options.firstReplyTimeoutMs ?? 5000;
    this.#retireAfterMs = options.retireAfterMs ?? RETIRE_AFTER_MS;
    this.#log = options.log;
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
    this.#cancelRetire?.();
    this.#cancelRetire = null;
    await this.#dropPeers();
  }

  async verdict(container: string, requestId: string, dest: string, action: VerdictAction): Promise<VerdictOutcome> {
    const rpc = this.#connectedRpc();
    if (!rpc) return {kind: 'unreachable', detail: this.#unreachableDetail()};
    return sendVerdict(rpc, container, requestId, dest, action);
  }

  /** Whether the hub offers lasting answers; asked once per connection, null while not connected. */
  async supportsDecide(): Promise<boolean | null> {
    if (this.#capabilities.decide !== null) return this.#capabilities.decide;
    const rpc = this.#connectedRpc();
    if (!rpc) return null;
    const generation = this.#generation;
    const has = await hasDecide(rpc);
    if (generation === this.#generation && has !== null) this.#capabilities = {...this.#capabilities, decide: has};
    return has;
  }

  /** A lasting answer (Decide); a one-time one falls back to Verdict on a hub without Decide. */
  async decide(request: DecideRequest): Promise<DecideOutcome> {
    const rpc = this.#connectedRpc();
    if (!rpc) return {kind: 'unreachable', detail: this.#unreachableDetail()};
    return sendDecide(rpc, request);
  }

  /** Ends the grant `id` now (Revoke): the shield denies what this hub allowed under it. */
  async revoke(id: string): Promise<QueryOutcome<RevokeResult[]>> {
    const rpc = this.#connectedRpc();
    if (!rpc) return {kind: 'unreachable', detail: this.#unreachableDetail()};
    return sendRevoke(rpc, id);
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

  /**
   * The hub's name for `container`, "" when it has none, is not connected, or has no ContainerIdentity (an older or
   * Python hub: remembered per connection, so such a hub is asked once).
   */
  async containerIdentity(container: string): Promise<string> {
    if (this.#capabilities.containerIdentity === false || this.#state.status !== 'connected') return '';
    const generation = this.#generation;
    const peer = await (this.#identity ??= this.#openIdentity());
    if (!peer || generation !== this.#generation) return '';
    const identity = await fetchContainerIdentity(peer, container);
    if (generation === this.#generation && this.#capabilities.containerIdentity === null) {
      this.#capabilities = {...this.#capabilities, containerIdentity: identity !== null};
    }
    return identity ?? '';
  }

  /** A connection that fails to open, or ends (a lookup that timed out closes it), is opened again by the next lookup. */
  #openIdentity(): Promise<HubPeer | null> {
    const forget = () => {
      if (this.#identity === opening) this.#identity = null;
    };
    const opening = this.#transport.connect(this.path, this.#connectTimeoutMs).then((peer) => {
      void peer.closed.then(forget);
      return peer;
    }, () => {
      forget();
      return null;
    });
    return opening;
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
    let stream: HubPeer | undefined;
    let rpc: HubPeer;
    try {
      stream = await this.#transport.connect(this.path, this.#connectTimeoutMs);
      rpc = await this.#transport.connect(this.path, this.#connectTimeoutMs);
    } catch (e) {
      stream?.close();
      if (generation === this.#generation) this.#unavailable(this.#transport.connectFailure(this.path, e));
      return;
    }
    if (generation !== this.#generation) {
      stream.close();
      rpc.close();
      return;
    }
    this.#stream = stream;
    this.#rpc = rpc;
    this.#capabilities = {pending: null, verdictContainer: null, containerIdentity: null, decide: null};
    void rpc.closed.then(() => this.#lost(generation, 'the hub closed the connection'));

    // Events that arrive before the snapshot is delivered wait, so the snapshot always comes first.
    const early: ClearanceEvent[] = [];
    let live = false;
    const pending = await new Promise<ClearanceEvent[] | null>((snapshot) => {
      void this.#pump(stream, rpc, generation, snapshot, (event) => {
        if (live) this.listener.event(event);
        else early.push(event);
      });
    });
    if (generation !== this.#generation) return;

    this.#capabilities = {...this.#capabilities, pending: pending !== null};
    this.#cancelRetire?.();
    this.#cancelRetire = null;
    this.#retired = false;
    this.#connectedAt = this.#scheduler.now();
    this.#setState(CONNECTED);
    // Asked at once: every UI wants to know, and it makes the call connection's first message (a hub closes a
    // connection that sends none for a while).
    void this.supportsDecide();
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

  /**
   * Runs the event stream until the connection ends. Watch first: its first reply is the snapshot, taken as the hub
   * registers the subscription, so nothing falls between them. A hub without it (an older or Python hub) gets
   * Subscribe on the same connection and Pending beside it on `rpc` — racy: Pending may be answered before the
   * subscription is in place. `snapshot` is called once, before any `deliver` (with null also when the stream ended
   * first).
   */
  async #pump(stream: HubPeer, rpc: HubPeer, generation: number, snapshot: (pending: ClearanceEvent[] | null) => void,
    deliver: (event: ClearanceEvent) => void): Promise<void> {
    const warn = (what: string) => this.#log.warning(`${this.path}: ${what}`);
    const onEvent = (reply: JsonObject) => {
      if (generation !== this.#generation) return; // an older connection, being closed
      const event = subscribedEvent(reply, warn);
      if (event) deliver(event);
    };
    let why = 'the hub closed the connection';
    let waiting = true;
    // A hub that accepts and never answers (hung, or not a hub) would leave this connection "connecting" forever.
    const silent = this.#scheduler.after(this.#firstReplyTimeoutMs,
      () => void this.#lost(generation, `the hub accepted but sent nothing within ${this.#firstReplyTimeoutMs} ms`));
    const caughtUp = (pending: ClearanceEvent[] | null) => {
      if (!waiting) return; // the stream ended before a late Pending answer
      waiting = false;
      silent();
      snapshot(pending);
    };
    try {
      try {
        await stream.stream(WATCH, {}, (reply) => {
          if (waiting) caughtUp(watchedPending(reply, warn));
          else onEvent(reply);
        });
      } catch (e) {
        if (!waiting || !isNotFound(e)) throw e;
        // Subscribe goes out first, so what is emitted while Pending is answered is on the stream, once the hub has
        // registered the subscription (an event before that is lost: the race Watch closes).
        const subscribed = stream.stream(SUBSCRIBE, {}, onEvent);
        void this.#fetchPending(rpc, generation).then(caughtUp);
        await subscribed;
      }
    } catch (e) {
      why = errorMessage(e);
    }
    caughtUp(null);
    void this.#lost(generation, why);
  }

  /** Pending's list, or null when the hub has none or the call failed. */
  async #fetchPending(rpc: HubPeer, generation: number): Promise<ClearanceEvent[] | null> {
    try {
      return await fetchPending(rpc, (what) => this.#log.warning(`${this.path}: ${what}`));
    } catch (e) {
      // A hub that cannot list what it holds is still worth listening to; the operator sees new blocks.
      if (generation === this.#generation) {
        this.#log.warning(`${this.path}: catch-up through Pending failed: ${errorMessage(e)}`);
      }
      return null;
    }
  }

  /** The stream or the call connection ended: drop both and reconnect. Only the first report counts. */
  async #lost(generation: number, why: string): Promise<void> {
    if (generation !== this.#generation || this.#closed) return;
    this.#generation++;
    this.#attempting = false;
    void this.#dropPeers();
    const held = this.#state.status === 'connected'
      && this.#scheduler.now() - this.#connectedAt >= STABLE_CONNECTION_MS;
    if (held) {
      this.#backoff.reset();
      this.#setState({status: 'connecting', reason: why, notRunning: false});
      void this.#attempt();
      return;
    }
    const lostAt = this.#generation;
    // A hub that stopped cleanly removed its socket: that is "not running", not a failure.
    const stillThere = await this.#transport.socketExists(this.path);
    if (lostAt !== this.#generation || this.#closed) return; // closed, or retried at once, meanwhile
    this.#unavailable(stillThere ? {reason: why, notRunning: false}
      : {reason: `not running (its socket ${this.path} was removed)`, notRunning: true});
  }

  #unavailable(failure: ConnectFailure): void {
    this.#setState({status: 'unavailable', ...failure});
    this.#attempting = false;
    if (!failure.notRunning) {
      // Refused by something that answers (a permission, a failing hub): not dead, so its requests stay.
      this.#cancelRetire?.();
      this.#cancelRetire = null;
    } else if (!this.#cancelRetire && !this.#retired) {
      this.#cancelRetire = this.#scheduler.after(this.#retireAfterMs, () => {
        this.#cancelRetire = null;
        this.#retired = true;
        this.#log.warning(`${this.path}: not running for ${this.#retireAfterMs / 1000} s; its requests are retired`);
        this.listener.snapshot(null);
      });
    }
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

  #connectedRpc(): HubPeer | null {
    return this.#state.status === 'connected' ? this.#rpc : null;
  }

  #unreachableDetail(): string {
    return this.#state.reason ? `hub ${this.path} unavailable: ${this.#state.reason}` : `hub ${this.path} not connected yet`;
  }

  async #dropPeers(): Promise<void> {
    const peers = [this.#stream, this.#rpc].filter((p) => p !== null);
    const identity = this.#identity;
    this.#stream = null;
    this.#rpc = null;
    this.#identity = null;
    for (const peer of peers) peer.close();
    // Still being opened, perhaps: closed once it is.
    const identityPeer = await identity;
    if (identityPeer) {
      identityPeer.close();
      peers.push(identityPeer);
    }
    await Promise.all(peers.map((p) => p.closed));
  }
}

/** An error's message; GJS's GLib.Error is no Error subclass but has one too. */
export function errorMessage(e: unknown): string {
  const message = (e as {message?: unknown} | null)?.message;
  return typeof message === 'string' ? message : String(e);
}
