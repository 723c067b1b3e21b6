// The desktop-notification fallback (behaviour.md): prompts as org.freedesktop.Notifications notifications on the
// session bus, for sessions without the GNOME extension. While the extension owns its bus name it is the prompt UI
// and this stays quiet (closing what it showed); when the name is released everything still pending comes back.
// When the notification server's owner changes (the shell restarted) the new one gets everything still pending.
// No session bus at all (headless, CI, a container) gives a notifier that does nothing, logged at debug level.
import type {ClockFormat} from '../../core/clearance/format.js';
import type {PromptChange} from '../../core/clearance/prompts.js';
import {logger} from '../log.js';
import {FdoNotifications} from './fdo-notifications.js';
import {GNOME_PER_APP_LIMIT, type LastingOffer} from './notification-board.js';
import {Notifier, type PromptActionHandler, type PromptNotifier} from './notifier.js';
import {SessionBus} from './session-bus.js';

const log = logger('desktop-notifier');

/** The name the GNOME extension owns while enabled (extension/extension.ts SHELL_BUS_NAME). */
export const EXTENSION_BUS_NAME = 'org.terok.Clearance.Shell';
export const APP_NAME = 'terok-clearance';

export interface DesktopNotifierOptions {
  onAction: PromptActionHandler;
  /** Session bus address; default DBUS_SESSION_BUS_ADDRESS. */
  address?: string;
  /** While this bus name has an owner, show nothing. */
  quietWhileOwned?: string;
  /** Live notifications at most (GNOME Shell keeps 10 per app). */
  maxLive?: number;
  clock?: ClockFormat;
  /** Whether a prompt offers "Allow 1 h" (its hub has Decide); default never. */
  offersLasting?: LastingOffer;
}

export class DesktopNotifier implements PromptNotifier {
  readonly #bus: SessionBus | null;
  readonly #notifier: Notifier | null;

  /** Connects and subscribes; a notifier that does nothing when there is no session bus. */
  static async start(options: DesktopNotifierOptions): Promise<DesktopNotifier> {
    const bus = await SessionBus.open(options.address);
    if (!bus) return new DesktopNotifier(null, null);
    try {
      let notifier: Notifier | null = null;
      const fdo = await FdoNotifications.attach(bus, APP_NAME, {
        action: (posted, key) => notifier?.actionInvoked(posted, key),
        closed: (posted) => notifier?.closed(posted),
        serverChanged: (owner) => {
          log.info(owner ? `notification server is now ${owner}` : 'notification server went away');
          notifier?.refresh();
        },
      });
      notifier = new Notifier({
        show: (notification, previous) => fdo.notify(notification, previous),
        close: (posted) => fdo.close(posted),
        isCurrent: (posted) => fdo.isCurrent(posted),
      }, options.onAction, {maxLive: options.maxLive ?? GNOME_PER_APP_LIMIT, clock: options.clock,
        offersLasting: options.offersLasting});
      const quietName = options.quietWhileOwned ?? EXTENSION_BUS_NAME;
      const quiet = (owner: string | null): void => notifier?.setSuppressed(owner !== null);
      quiet(await bus.watchName(quietName, (owner) => {
        log.info(owner ? `${quietName} appeared: the GNOME extension shows prompts` : `${quietName} released`);
        quiet(owner);
      }));
      return new DesktopNotifier(bus, notifier);
    } catch (error) {
      bus.close();
      log.debug(`desktop notifications off: ${(error as Error).message}`);
      return new DesktopNotifier(null, null);
    }
  }

  private constructor(bus: SessionBus | null, notifier: Notifier | null) {
    this.#bus = bus;
    this.#notifier = notifier;
  }

  /** False for the do-nothing notifier (no session bus). */
  get connected(): boolean {
    return this.#bus !== null && !this.#bus.isClosed;
  }

  /** Resolves when the session bus connection ends (never, without one). */
  get disconnected(): Promise<void> {
    return this.#bus?.closed ?? new Promise(() => undefined);
  }

  render(changes: readonly PromptChange[]): void {
    this.#notifier?.render(changes);
  }

  /** Plan again what is shown (a LastingOffer answer changed). */
  refresh(): void {
    this.#notifier?.refresh();
  }

  async settled(): Promise<void> {
    await this.#notifier?.settled();
  }

  async dispose(): Promise<void> {
    await this.#notifier?.dispose();
    this.#bus?.close();
  }
}
