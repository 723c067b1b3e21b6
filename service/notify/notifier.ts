// A renderer of prompt-model changes: keeps a NotificationBoard and makes a sink (the desktop's notification server,
// or a callback) show exactly what the board plans — posting, replacing in place, closing what is done — and turns
// an Allow/Deny pressed on a prompt's notification into the caller's onAction(key, action). One reconcile pass runs
// at a time; changes that arrive meanwhile are folded into one more pass.
import type {ClockFormat} from '../../core/clearance/format.js';
import type {PromptChange} from '../../core/clearance/prompts.js';
import {isVerdictAction, type VerdictAction} from '../../core/clearance/verdict.js';
import {logger} from '../log.js';
import type {DesktopNotification, Posted} from './fdo-notifications.js';
import {ALLOW_1H, contentKey, NotificationBoard, type LastingOffer, type Planned} from './notification-board.js';

const log = logger('notifier');

/** What a prompt's notification offers: Allow, Deny, and "Allow 1 h" when its hub has Decide. */
export type PromptAction = VerdictAction | typeof ALLOW_1H;

/** The operator pressed one of them on the prompt `key` (the prompt model's key). */
export type PromptActionHandler = (key: string, action: PromptAction) => void;

/** What every notifier offers its owner, whatever it renders into. */
export interface PromptNotifier {
  /** Feed the prompt model's changes (all of them, in order). */
  render(changes: readonly PromptChange[]): void;
  /** Resolves once what was rendered so far is on screen (or failed to get there). */
  settled(): Promise<void>;
  /** Closes what it shows and lets go of its resources; render() does nothing afterwards. */
  dispose(): Promise<void>;
}

/** Where notifications go. `previous` is the sink's earlier notification for the same slot, to replace. */
export interface NotificationSink {
  show(notification: DesktopNotification, previous: Posted | undefined): Promise<Posted>;
  close(posted: Posted): Promise<void>;
  /** False once `posted` went away with its server. */
  isCurrent(posted: Posted): boolean;
}

export interface NotifierOptions {
  /** Live notifications at most. */
  maxLive: number;
  clock?: ClockFormat;
  offersLasting?: LastingOffer;
}

interface Live extends Planned {
  readonly posted: Posted;
}

export class Notifier implements PromptNotifier {
  readonly #sink: NotificationSink;
  readonly #onAction: PromptActionHandler;
  readonly #board: NotificationBoard;
  readonly #maxLive: number;
  readonly #live = new Map<string, Live>();
  #suppressed = false;
  #disposed = false;
  #dirty = false;
  #running: Promise<void> | null = null;

  constructor(sink: NotificationSink, onAction: PromptActionHandler, options: NotifierOptions) {
    this.#sink = sink;
    this.#onAction = onAction;
    this.#board = new NotificationBoard(options.clock, options.offersLasting);
    this.#maxLive = options.maxLive;
  }

  render(changes: readonly PromptChange[]): void {
    if (this.#disposed) return;
    this.#board.apply(changes);
    this.#schedule();
  }

  /** While suppressed nothing is shown (what is live gets closed); afterwards everything still current returns. */
  setSuppressed(suppressed: boolean): void {
    if (this.#disposed || suppressed === this.#suppressed) return;
    this.#suppressed = suppressed;
    this.#schedule();
  }

  /** The sink's server changed: what it showed is gone, show it again. */
  refresh(): void {
    if (!this.#disposed) this.#schedule();
  }

  /** An action the sink reports for one of its notifications. */
  actionInvoked(posted: Posted, key: string): void {
    const live = this.#find(posted);
    if (live?.kind !== 'prompt' || live.promptKey === null) return;
    if (isVerdictAction(key) || key === ALLOW_1H) this.#onAction(live.promptKey, key);
  }

  /** The sink reports one of its notifications closed (by the operator, or by the server). */
  closed(posted: Posted): void {
    const live = this.#find(posted);
    if (!live) return; // ours closed on purpose (already forgotten), or not ours
    this.#live.delete(live.slot);
    this.#board.hide(live.slot, live.notification);
    this.#schedule();
  }

  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async dispose(): Promise<void> {
    this.setSuppressed(true);
    this.#disposed = true;
    await this.settled();
  }

  #find(posted: Posted): Live | undefined {
    for (const live of this.#live.values()) {
      if (live.posted.id === posted.id && live.posted.server === posted.server) return live;
    }
    return undefined;
  }

  #schedule(): void {
    this.#dirty = true;
    this.#running ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        await this.#reconcile();
      }
    } finally {
      this.#running = null;
    }
  }

  async #reconcile(): Promise<void> {
    const wanted = this.#suppressed ? [] : this.#board.plan(this.#maxLive);
    const wantedSlots = new Set(wanted.map((planned) => planned.slot));
    // Close first, so the server never holds more than maxLive of ours.
    for (const live of [...this.#live.values()]) {
      if (!this.#sink.isCurrent(live.posted)) this.#live.delete(live.slot);
      else if (!wantedSlots.has(live.slot)) {
        this.#live.delete(live.slot);
        await this.#sink.close(live.posted).catch((error: Error) => log.debug(`close failed: ${error.message}`));
      }
    }
    for (const planned of wanted) {
      const live = this.#live.get(planned.slot);
      if (live && contentKey(live.notification) === contentKey(planned.notification)) continue;
      try {
        const posted = await this.#sink.show(planned.notification, live?.posted);
        this.#live.set(planned.slot, {...planned, posted});
      } catch (error) {
        // No server (or it hung): the next change, or a server appearing, tries again.
        log.debug(`notification not shown: ${(error as Error).message}`);
        return;
      }
    }
  }
}
