// The org.freedesktop.Notifications interface (Desktop Notifications Specification 1.2), declared by hand on a
// SessionBus: Notify, CloseNotification, GetCapabilities, and the ActionInvoked / NotificationClosed signals.
// Signals count only when their sender is the current unique-name owner of org.freedesktop.Notifications: any
// peer can send us a signal with that interface, only the owner's are the server's. (GNOME Shell delivers each
// signal twice, once from the owning service and once from the shell's own connection; the filter keeps one.)
import {Variant, type Message} from 'dbus-next';
import {escapeMarkup, escapeTerminal, plainSummary} from '../../core/clearance/escape.js';
import type {SessionBus} from './session-bus.js';

export const NOTIFICATIONS_NAME = 'org.freedesktop.Notifications';
const PATH = '/org/freedesktop/Notifications';
const IFACE = NOTIFICATIONS_NAME;

export type Urgency = 'low' | 'normal' | 'critical';
const URGENCY_BYTE: Record<Urgency, number> = {low: 0, normal: 1, critical: 2};

export interface NotificationAction {
  readonly key: string;
  readonly label: string;
}

/** What a notification says, in plain text; notify() escapes it for the server. */
export interface DesktopNotification {
  readonly summary: string;
  /** Lines separated by "\n". */
  readonly body: string;
  readonly actions: readonly NotificationAction[];
  readonly urgency: Urgency;
  /** Stays after an action is invoked (the server does not remove it). */
  readonly resident: boolean;
  /** Not kept in the server's history once shown. */
  readonly transient: boolean;
  /** Milliseconds; -1 lets the server decide, 0 never expires. */
  readonly expireMs: number;
}

/** A notification the server accepted: its id is only meaningful to the server (unique name) that issued it. */
export interface Posted {
  readonly id: number;
  readonly server: string;
}

export interface FdoEvents {
  action?(posted: Posted, key: string): void;
  /** reason (spec): 1 expired, 2 dismissed by the user, 3 closed by CloseNotification, 4 other. */
  closed?(posted: Posted, reason: number): void;
  /** The server's owner changed (restarted, replaced) or went away (null): ids issued before mean nothing now. */
  serverChanged?(owner: string | null): void;
}

export class FdoNotifications {
  readonly #bus: SessionBus;
  readonly #appName: string;
  readonly #events: FdoEvents;
  #owner: string | null = null;
  #capabilities: Promise<ReadonlySet<string>> | null = null;

  /** Subscribes on `bus` (once: one match rule for the server's signals, one owner watch) and learns the owner. */
  static async attach(bus: SessionBus, appName: string, events: FdoEvents): Promise<FdoNotifications> {
    const fdo = new FdoNotifications(bus, appName, events);
    bus.onSignal((message) => fdo.#onSignal(message));
    await bus.addMatch(`type='signal',sender='${NOTIFICATIONS_NAME}',path='${PATH}',interface='${IFACE}'`);
    fdo.#owner = await bus.watchName(NOTIFICATIONS_NAME, (owner) => fdo.#ownerChanged(owner));
    return fdo;
  }

  private constructor(bus: SessionBus, appName: string, events: FdoEvents) {
    this.#bus = bus;
    this.#appName = appName;
    this.#events = events;
  }

  /** The unique name serving notifications now, or null (none; it may still be started by the first Notify). */
  get server(): string | null {
    return this.#owner;
  }

  /** Whether `posted` was issued by the server that owns the name now (else it is gone with its old owner). */
  isCurrent(posted: Posted): boolean {
    return posted.server === this.#owner;
  }

  /**
   * Posts `notification`, replacing `replaces` in place when the current server issued it. The server may answer
   * with a new id (GNOME does when the old one was dismissed meanwhile).
   */
  async notify(notification: DesktopNotification, replaces?: Posted): Promise<Posted> {
    const markup = (await this.capabilities().catch(() => null))?.has('body-markup') ?? true;
    const hints: Record<string, Variant> = {urgency: new Variant('y', URGENCY_BYTE[notification.urgency])};
    if (notification.resident) hints.resident = new Variant('b', true);
    if (notification.transient) hints.transient = new Variant('b', true);
    const reply = await this.#bus.call({
      destination: NOTIFICATIONS_NAME, path: PATH, interface: IFACE, member: 'Notify', signature: 'susssasa{sv}i',
      body: [
        this.#appName,
        replaces && this.isCurrent(replaces) ? replaces.id : 0,
        '',
        // Plain text by the spec: one line, nothing that controls, reorders, or (on a server that parses it anyway)
        // renders as markup.
        plainSummary(notification.summary),
        // Escaped as markup unless the server says it does not parse markup (unknown counts as parsing it).
        markup ? escapeMarkup(notification.body) : notification.body.split('\n').map(escapeTerminal).join('\n'),
        notification.actions.flatMap((action) => [action.key, action.label]),
        hints,
        notification.expireMs,
      ],
    });
    return {id: Number(reply.body[0]), server: reply.sender};
  }

  /** Closes `posted` if its server is still the current one (another server's ids could name someone else's). */
  async close(posted: Posted): Promise<void> {
    if (!this.isCurrent(posted)) return;
    await this.#bus.call({destination: NOTIFICATIONS_NAME, path: PATH, interface: IFACE, member: 'CloseNotification',
      signature: 'u', body: [posted.id]});
  }

  /** The server's capabilities, asked once per owner. */
  capabilities(): Promise<ReadonlySet<string>> {
    if (!this.#capabilities) {
      const asked = this.#bus.call({destination: NOTIFICATIONS_NAME, path: PATH, interface: IFACE,
        member: 'GetCapabilities'}).then((reply) => new Set((reply.body[0] as unknown[]).map(String)));
      // A failed answer is not remembered: the next call asks again.
      asked.catch(() => {
        if (this.#capabilities === asked) this.#capabilities = null;
      });
      this.#capabilities = asked;
    }
    return this.#capabilities;
  }

  #ownerChanged(owner: string | null): void {
    this.#owner = owner;
    this.#capabilities = null;
    this.#events.serverChanged?.(owner);
  }

  #onSignal(message: Message): void {
    if (message.path !== PATH || message.interface !== IFACE) return;
    if (this.#owner === null || message.sender !== this.#owner) return; // anti-spoofing: only the server speaks
    const posted: Posted = {id: Number(message.body[0]), server: message.sender};
    // Handled on the next turn: the reply to the Notify that issued this id may have come in the same read, and
    // the code waiting for it (which learns the id) has not run yet.
    if (message.member === 'ActionInvoked' && message.signature === 'us') {
      const key = String(message.body[1]);
      setImmediate(() => this.#events.action?.(posted, key));
    } else if (message.member === 'NotificationClosed' && message.signature === 'uu') {
      const reason = Number(message.body[1]);
      setImmediate(() => this.#events.closed?.(posted, reason));
    }
  }
}
