// One long-lived session-bus connection with hand-written calls, match rules added once, and bus-name owners
// followed. dbus-next's proxies introspect and their match-rule bookkeeping leaks rules in the daemon when
// subscriptions come and go, so this talks plain Messages: every rule is added once and lives as long as the
// connection, and every signal comes through one message handler.
import type {EventEmitter} from 'node:events';
import {Message, MessageType, sessionBus, type MessageBus} from 'dbus-next';
import {logger} from '../log.js';

const log = logger('session-bus');

const DAEMON = 'org.freedesktop.DBus';
const DAEMON_PATH = '/org/freedesktop/DBus';
const CONNECT_TIMEOUT_MS = 5_000;
const CALL_TIMEOUT_MS = 10_000;

export interface MethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

export type SignalListener = (message: Message) => void;
export type OwnerListener = (owner: string | null) => void;

interface WatchedName {
  owner: string | null;
  /** Bumped by every NameOwnerChanged, so a GetNameOwner reply older than one of them is not applied. */
  changes: number;
  ready: Promise<void>;
  readonly listeners: Set<OwnerListener>;
}

export class BusClosedError extends Error {
  constructor() {
    super('the session bus connection is closed');
  }
}

export class SessionBus {
  readonly #bus: MessageBus;
  /** dbus-next's connection under the MessageBus (private API of 0.10, pinned by package.json). */
  readonly #connection: EventEmitter;
  readonly #signalListeners = new Set<SignalListener>();
  readonly #names = new Map<string, WatchedName>();
  readonly #pending = new Set<(error: Error) => void>();
  #closed = false;
  #markClosed!: () => void;
  /** Resolves when the connection has ended, closed here or lost (the session ended, the daemon died). */
  readonly closed = new Promise<void>((resolve) => (this.#markClosed = resolve));

  /**
   * Connects to `address` (default: DBUS_SESSION_BUS_ADDRESS). No address, or no bus answering there, is a normal
   * state on headless hosts: null, logged at debug level only.
   */
  static async open(address = process.env.DBUS_SESSION_BUS_ADDRESS): Promise<SessionBus | null> {
    if (!address) {
      log.debug('no session bus: DBUS_SESSION_BUS_ADDRESS is not set');
      return null;
    }
    let bus: MessageBus;
    try {
      bus = sessionBus({busAddress: address});
    } catch (error) {
      log.debug(`no session bus at ${address}: ${(error as Error).message}`);
      return null;
    }
    try {
      await connected(bus);
    } catch (error) {
      bus.on('error', () => undefined); // late errors of a connection we are abandoning
      bus.disconnect();
      log.debug(`no session bus at ${address}: ${(error as Error).message}`);
      return null;
    }
    return new SessionBus(bus);
  }

  private constructor(bus: MessageBus) {
    this.#bus = bus;
    this.#connection = (bus as unknown as {_connection: EventEmitter})._connection;
    const lost = (reason: string): void => {
      if (this.#closed) return;
      log.debug(`session bus connection lost: ${reason}`);
      this.#shutDown();
    };
    bus.on('error', (error: Error) => lost(error.message));
    // The connection's end of stream is not forwarded by MessageBus (dbus-next 0.10): listen on its connection.
    this.#connection.on('end', () => lost('closed by the bus'));
    bus.on('message', (message: Message) => {
      if (message.type !== MessageType.SIGNAL) return;
      this.#noteOwnerChange(message);
      for (const listener of this.#signalListeners) listener(message);
    });
  }

  /** This connection's unique name (":1.42"). */
  get uniqueName(): string {
    return (this.#bus as unknown as {name: string | null}).name ?? '';
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** A method call; resolves to the reply, rejects with dbus-next's DBusError, a timeout, or BusClosedError. */
  call(call: MethodCall, timeoutMs = CALL_TIMEOUT_MS): Promise<Message> {
    if (this.#closed) return Promise.reject(new BusClosedError());
    const message = new Message({type: MessageType.METHOD_CALL, ...call});
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => finish(() => reject(error));
      const timer = setTimeout(
        () => fail(new Error(`${call.interface}.${call.member}: no reply within ${timeoutMs} ms`)), timeoutMs);
      const finish = (settle: () => void): void => {
        if (!this.#pending.delete(fail)) return;
        clearTimeout(timer);
        settle();
      };
      this.#pending.add(fail);
      this.#bus.call(message).then(
        (reply) => finish(() => resolve(reply!)),
        (error: Error) => fail(error));
    });
  }

  /** Adds a match rule for the connection's lifetime (rules are never removed: see the header). */
  async addMatch(rule: string): Promise<void> {
    await this.call({destination: DAEMON, path: DAEMON_PATH, interface: DAEMON, member: 'AddMatch', signature: 's',
      body: [rule]});
  }

  /** Every signal this connection receives (matched by a rule, or sent to it directly). */
  onSignal(listener: SignalListener): void {
    this.#signalListeners.add(listener);
  }

  /**
   * Follows who owns `name`: resolves to the current unique-name owner (null when none) and calls `listener` on
   * every change after that. One match rule per name, however many watchers.
   */
  async watchName(name: string, listener: OwnerListener): Promise<string | null> {
    let watched = this.#names.get(name);
    if (!watched) {
      const entry: WatchedName = {owner: null, changes: 0, ready: Promise.resolve(), listeners: new Set()};
      entry.ready = this.#startWatching(name, entry);
      this.#names.set(name, entry);
      watched = entry;
    }
    await watched.ready;
    watched.listeners.add(listener);
    return watched.owner;
  }

  /** The owner of a watched name as last seen, or null. */
  ownerOf(name: string): string | null {
    return this.#names.get(name)?.owner ?? null;
  }

  close(): void {
    if (this.#closed) return;
    this.#shutDown();
    // Stop dispatching first: dbus-next answers a call that arrives after its stream ended by writing to it,
    // which throws outside any caller.
    this.#connection.removeAllListeners('message');
    this.#bus.disconnect();
  }

  async #startWatching(name: string, entry: WatchedName): Promise<void> {
    await this.addMatch(`type='signal',sender='${DAEMON}',path='${DAEMON_PATH}',interface='${DAEMON}',`
      + `member='NameOwnerChanged',arg0='${name}'`);
    const before = entry.changes;
    let owner: string | null;
    try {
      const reply = await this.call({destination: DAEMON, path: DAEMON_PATH, interface: DAEMON,
        member: 'GetNameOwner', signature: 's', body: [name]});
      owner = String(reply.body[0]);
    } catch (error) {
      if ((error as {type?: string}).type !== 'org.freedesktop.DBus.Error.NameHasNoOwner') throw error;
      owner = null;
    }
    // A NameOwnerChanged that arrived meanwhile is at least as new as this reply.
    if (entry.changes === before) entry.owner = owner;
  }

  #noteOwnerChange(message: Message): void {
    // The daemon sets the sender field, so no other peer can forge this one.
    if (message.sender !== DAEMON || message.path !== DAEMON_PATH || message.interface !== DAEMON
      || message.member !== 'NameOwnerChanged' || message.signature !== 'sss') return;
    const [name, , newOwner] = message.body as [string, string, string];
    const watched = this.#names.get(name);
    if (!watched) return;
    watched.changes++;
    const owner = newOwner || null;
    if (owner === watched.owner) return;
    watched.owner = owner;
    for (const listener of watched.listeners) listener(owner);
  }

  #shutDown(): void {
    this.#closed = true;
    for (const fail of [...this.#pending]) fail(new BusClosedError());
    this.#signalListeners.clear();
    for (const watched of this.#names.values()) watched.listeners.clear();
    this.#markClosed();
  }
}

function connected(bus: MessageBus): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      bus.off('connect', onConnect);
      bus.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = (): void => done();
    const timer = setTimeout(() => done(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    bus.on('connect', onConnect);
    bus.on('error', done);
  });
}
