// A real org.freedesktop.Notifications peer for tests, on a bus the test chose: it owns the name, records every
// Notify / CloseNotification exactly as it arrived (signature, variant types), and emits ActionInvoked /
// NotificationClosed the way GNOME Shell does (to the connection that posted), or broadcast.
import {Message, MessageType, NameFlag, RequestNameReply, sessionBus, type MessageBus} from 'dbus-next';

const NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';

export const GNOME_CAPABILITIES = ['actions', 'body', 'body-markup', 'icon-static', 'persistence', 'sound'];

export interface Hint {
  signature: string;
  value: unknown;
}

export interface NotifyCall {
  /** The id this server answered with. */
  id: number;
  sender: string;
  signature: string;
  appName: string;
  replacesId: number;
  icon: string;
  summary: string;
  body: string;
  actions: string[];
  hints: Record<string, Hint>;
  expire: number;
}

export interface ServerOptions {
  capabilities?: string[];
  /** Let a later server take the name over (NameFlag.ALLOW_REPLACEMENT), like GNOME's service allows. */
  allowReplacement?: boolean;
  /** Take the name from a current owner that allows it. */
  replace?: boolean;
}

/** Opens a plain connection to `address` (for spoofers and name owners in tests). */
export async function connect(address: string): Promise<MessageBus> {
  const bus = sessionBus({busAddress: address});
  await new Promise<void>((resolve, reject) => {
    bus.once('connect', () => resolve());
    bus.once('error', reject);
  });
  bus.on('error', () => undefined); // the test stops the daemon under its peers
  return bus;
}

export function uniqueName(bus: MessageBus): string {
  return (bus as unknown as {name: string}).name;
}

let nextIdBase = 1;

export class NotificationServer {
  readonly calls: NotifyCall[] = [];
  readonly closeCalls: number[] = [];
  /** Ids shown now, as the server sees them. */
  readonly live = new Map<number, NotifyCall>();
  /** The most notifications of one app live at once. */
  maxLive = 0;
  readonly #bus: MessageBus;
  readonly #capabilities: string[];
  #nextId: number;
  #stopped = false;

  static async start(address: string, options: ServerOptions = {}): Promise<NotificationServer> {
    const bus = await connect(address);
    const server = new NotificationServer(bus, options.capabilities ?? GNOME_CAPABILITIES);
    const flags = (options.allowReplacement ? NameFlag.ALLOW_REPLACEMENT : 0)
      | (options.replace ? NameFlag.REPLACE_EXISTING : 0) | NameFlag.DO_NOT_QUEUE;
    const reply = await bus.requestName(NAME, flags);
    if (reply !== RequestNameReply.PRIMARY_OWNER) throw new Error(`could not own ${NAME}: ${reply}`);
    return server;
  }

  private constructor(bus: MessageBus, capabilities: string[]) {
    this.#bus = bus;
    this.#capabilities = capabilities;
    // Ids from different servers never collide, so a test can tell whose id it is holding.
    this.#nextId = nextIdBase;
    nextIdBase += 1000;
    bus.addMethodHandler((message: Message) => this.#handle(message));
  }

  get uniqueName(): string {
    return uniqueName(this.#bus);
  }

  /** The Notify calls whose summary is `summary`. */
  withSummary(summary: string): NotifyCall[] {
    return this.calls.filter((call) => call.summary === summary);
  }

  /** ActionInvoked for `id`: to `destination` (as GNOME does, to the poster), or broadcast. */
  emitAction(id: number, key: string, destination?: string): void {
    this.#signal('ActionInvoked', 'us', [id, key], destination);
  }

  /** The notification went away: 1 expired, 2 dismissed by the user, 3 closed by a call, 4 other. */
  emitClosed(id: number, reason: number, destination?: string): void {
    this.live.delete(id);
    this.#signal('NotificationClosed', 'uu', [id, reason], destination);
  }

  /** Resolves when everything this server sent has been routed by the daemon. */
  flush(): Promise<void> {
    return flush(this.#bus);
  }

  /** Ends the connection: the name loses its owner. */
  stop(): void {
    // A call still routed here before the daemon notices is not answered (dbus-next would throw writing it).
    this.#stopped = true;
    this.#bus.disconnect();
  }

  #signal(member: string, signature: string, body: unknown[], destination?: string): void {
    if (this.#stopped) return;
    const message = Message.newSignal(PATH, NAME, member, signature, body);
    if (destination) message.destination = destination;
    this.#bus.send(message);
  }

  #handle(message: Message): boolean {
    if (this.#stopped) return true;
    if (message.type !== MessageType.METHOD_CALL || message.interface !== NAME || message.path !== PATH) return false;
    switch (message.member) {
      case 'Notify': {
        const [appName, replacesId, icon, summary, body, actions, hints, expire] = message.body as [
          string, number, string, string, string, string[], Record<string, Hint>, number];
        const id = replacesId !== 0 && this.live.has(replacesId) ? replacesId : this.#nextId++;
        const call: NotifyCall = {id, sender: message.sender, signature: message.signature, appName, replacesId, icon,
          summary, body, actions, hints, expire};
        this.calls.push(call);
        this.live.set(id, call);
        this.maxLive = Math.max(this.maxLive, this.live.size);
        this.#bus.send(Message.newMethodReturn(message, 'u', [id]));
        return true;
      }
      case 'CloseNotification': {
        const id = Number(message.body[0]);
        this.closeCalls.push(id);
        this.#bus.send(Message.newMethodReturn(message, '', []));
        if (this.live.has(id)) this.emitClosed(id, 3, message.sender);
        return true;
      }
      case 'GetCapabilities':
        this.#bus.send(Message.newMethodReturn(message, 'as', [this.#capabilities]));
        return true;
      case 'GetServerInformation':
        this.#bus.send(Message.newMethodReturn(message, 'ssss', ['test-server', 'terok', '1', '1.2']));
        return true;
      default:
        return false;
    }
  }
}

/** Polls `condition` until it holds (a real peer answers asynchronously); fails with `what` after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A round trip through the daemon from `bus`: everything `bus` sent before has been routed when this resolves. */
export async function flush(bus: MessageBus): Promise<void> {
  await bus.call(new Message({destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus', member: 'GetId'}));
}
