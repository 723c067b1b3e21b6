// The notification fallback for an in-process UI: the same notifications, budget and replace-in-place rules as
// the desktop one, handed to a JS callback instead of a D-Bus server. The UI reports its button presses with
// invoke() and its closes with dismiss(), using the id from the update.
import type {ClockFormat} from '../../core/clearance/format.js';
import type {PromptChange} from '../../core/clearance/prompts.js';
import type {DesktopNotification, Posted} from './fdo-notifications.js';
import {Notifier, type PromptActionHandler, type PromptNotifier} from './notifier.js';

export type NotificationUpdate =
  /** Show a notification, or replace the one with this id. */
  | {type: 'show'; id: number; notification: DesktopNotification}
  | {type: 'close'; id: number};

export interface CallbackNotifierOptions {
  /** Live notifications at most; unlimited unless the UI has a limit of its own. */
  maxLive?: number;
  clock?: ClockFormat;
}

const SERVER = 'callback';

export class CallbackNotifier implements PromptNotifier {
  readonly #notifier: Notifier;
  #nextId = 1;

  constructor(display: (update: NotificationUpdate) => void, onAction: PromptActionHandler,
    options: CallbackNotifierOptions = {}) {
    this.#notifier = new Notifier({
      show: async (notification, previous) => {
        const id = previous?.id ?? this.#nextId++;
        display({type: 'show', id, notification});
        return {id, server: SERVER};
      },
      close: async (posted) => display({type: 'close', id: posted.id}),
      isCurrent: () => true,
    }, onAction, {maxLive: options.maxLive ?? Infinity, clock: options.clock});
  }

  /** The operator pressed the action `key` on notification `id`. */
  invoke(id: number, key: string): void {
    this.#notifier.actionInvoked(this.#posted(id), key);
  }

  /** The operator closed notification `id` (nothing is answered). */
  dismiss(id: number): void {
    this.#notifier.closed(this.#posted(id));
  }

  render(changes: readonly PromptChange[]): void {
    this.#notifier.render(changes);
  }

  settled(): Promise<void> {
    return this.#notifier.settled();
  }

  dispose(): Promise<void> {
    return this.#notifier.dispose();
  }

  #posted(id: number): Posted {
    return {id, server: SERVER};
  }
}
