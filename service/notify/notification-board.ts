// What the notification fallback should show, kept from the prompt model's changes (no I/O): one notification per
// prompt, replaced in place by its result; one per shield alert; within a budget of live notifications, because
// GNOME Shell keeps at most 10 per app and silently destroys the oldest — which could be a pending prompt.
//
// Budget, in priority order: alerts, then prompts oldest first (a prompt on screen stays where it is), then the
// newest results in whatever room is left. When alerts and prompts alone exceed the budget, the last slot becomes
// one "N more waiting" notification listing what is not shown; each answer lets the next one in. Nothing pending
// is ever dropped without a trace. A notification the operator closed stays hidden until its content changes
// (a repeat block, a status change) — closing answers nothing, and a result closed is simply gone.
import {
  alertBody, alertTitle, localClockTime, promptBody, promptStatus, promptTitle, resultText, type ClockFormat,
} from '../../core/clearance/format.js';
import type {PromptChange, PromptView, SecurityAlert, VerdictResult} from '../../core/clearance/prompts.js';
import type {DesktopNotification} from './fdo-notifications.js';

/** GNOME Shell's MAX_NOTIFICATIONS_PER_SOURCE. */
export const GNOME_PER_APP_LIMIT = 10;
const OVERFLOW_LISTED = 5;

export type SlotKind = 'prompt' | 'result' | 'alert' | 'overflow';

export interface Planned {
  /** Stable per prompt (its result reuses it, so the result replaces the prompt), per alert, or "overflow". */
  readonly slot: string;
  readonly kind: SlotKind;
  /** The prompt a verdict from this notification answers (kind "prompt" only). */
  readonly promptKey: string | null;
  readonly notification: DesktopNotification;
}

const PROMPT_ACTIONS = [{key: 'allow', label: 'Allow'}, {key: 'deny', label: 'Deny'}] as const;
/** The lasting answer a notification offers besides Allow and Deny, when the prompt's hub has Decide. */
export const ALLOW_1H = 'allow-1h';
const LASTING_ACTIONS = [PROMPT_ACTIONS[0], {key: ALLOW_1H, label: 'Allow 1 h'}, PROMPT_ACTIONS[1]] as const;

/**
 * Whether a prompt's notification offers "Allow 1 h" (its hub has Decide); null while that is being asked of a
 * newly connected hub: the prompt waits that one call, so it is posted once with the right buttons.
 */
export type LastingOffer = (prompt: PromptView) => boolean | null;
const OVERFLOW = 'overflow';

export class NotificationBoard {
  readonly #prompts = new Map<string, PromptView>();
  /** By prompt key, oldest first. */
  readonly #results = new Map<string, VerdictResult>();
  readonly #alerts = new Map<string, SecurityAlert>();
  /** Slot → the content the operator closed. */
  readonly #hidden = new Map<string, string>();
  readonly #clock: ClockFormat;
  readonly #offersLasting: LastingOffer;

  constructor(clock: ClockFormat = localClockTime, offersLasting: LastingOffer = () => false) {
    this.#clock = clock;
    this.#offersLasting = offersLasting;
  }

  apply(changes: readonly PromptChange[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'added': case 'updated': case 'failed':
          this.#prompts.set(change.prompt.key, change.prompt);
          this.#results.delete(change.prompt.key);
          break;
        case 'resolved':
          if (change.prompt) this.#prompts.delete(change.prompt.key);
          // A later block for the same target is pending again: that prompt keeps the slot.
          if (this.#prompts.has(change.result.key)) break;
          this.#results.delete(change.result.key);
          this.#results.set(change.result.key, change.result);
          for (const key of this.#results.keys()) {
            if (this.#results.size <= GNOME_PER_APP_LIMIT) break;
            this.#results.delete(key);
          }
          break;
        case 'removed':
          this.#prompts.delete(change.prompt.key);
          break;
        case 'alert-raised':
          this.#alerts.set(change.alert.container, change.alert);
          break;
        case 'alert-cleared':
          this.#alerts.delete(change.alert.container);
          break;
      }
    }
    for (const slot of this.#hidden.keys()) if (!this.#exists(slot)) this.#hidden.delete(slot);
  }

  /** The operator (or the server) closed this slot's notification. */
  hide(slot: string, shown: DesktopNotification): void {
    if (slot.startsWith('p')) this.#results.delete(slot.slice(1));
    if (this.#exists(slot)) this.#hidden.set(slot, contentKey(shown));
  }

  /** What should be on screen now, within `maxLive` notifications, in posting order. */
  plan(maxLive: number): Planned[] {
    const alerts = [...this.#alerts.values()].sort((a, b) => a.since - b.since)
      .map((alert) => ({planned: this.#alert(alert), line: alertTitle(alert)}));
    const prompts = [...this.#prompts.values()].filter((p) => this.#offersLasting(p) !== null)
      .sort((a, b) => a.number - b.number)
      .map((prompt) => ({planned: this.#prompt(prompt), line: `${promptTitle(prompt)} (${prompt.identity})`}));
    const urgent = [...alerts, ...prompts].filter(({planned}) => this.#visible(planned));
    const budget = Math.max(1, maxLive);
    if (urgent.length > budget) {
      const shown = urgent.slice(0, budget - 1).map(({planned}) => planned);
      const overflow = this.#overflow(urgent.slice(budget - 1).map(({line}) => line));
      return this.#visible(overflow) ? [...shown, overflow] : shown;
    }
    const room = budget - urgent.length;
    const results = room > 0 ? [...this.#results.values()].slice(-room).map((result) => this.#result(result)) : [];
    return [...urgent.map(({planned}) => planned), ...results];
  }

  #visible(planned: Planned): boolean {
    return this.#hidden.get(planned.slot) !== contentKey(planned.notification);
  }

  #exists(slot: string): boolean {
    if (slot === OVERFLOW) return true;
    const id = slot.slice(1);
    return slot.startsWith('a') ? this.#alerts.has(id) : this.#prompts.has(id) || this.#results.has(id);
  }

  #prompt(prompt: PromptView): Planned {
    const status = promptStatus(prompt);
    return {
      slot: `p${prompt.key}`, kind: 'prompt', promptKey: prompt.key,
      notification: {
        summary: promptTitle(prompt),
        body: [...promptBody(prompt, this.#clock), ...(status ? [status] : [])].join('\n'),
        actions: this.#offersLasting(prompt) === true ? LASTING_ACTIONS : PROMPT_ACTIONS, urgency: 'critical', resident: true, transient: false, expireMs: 0,
      },
    };
  }

  #result(result: VerdictResult): Planned {
    return {
      slot: `p${result.key}`, kind: 'result', promptKey: null,
      notification: {
        summary: resultText(result), body: result.identity,
        actions: [], urgency: 'normal', resident: false, transient: true, expireMs: -1,
      },
    };
  }

  #alert(alert: SecurityAlert): Planned {
    return {
      slot: `a${alert.container}`, kind: 'alert', promptKey: null,
      notification: {
        summary: alertTitle(alert), body: alertBody(alert),
        actions: [], urgency: 'critical', resident: true, transient: false, expireMs: 0,
      },
    };
  }

  #overflow(lines: readonly string[]): Planned {
    const listed = lines.slice(0, OVERFLOW_LISTED);
    if (lines.length > OVERFLOW_LISTED) listed.push(`and ${lines.length - OVERFLOW_LISTED} more`);
    return {
      slot: OVERFLOW, kind: 'overflow', promptKey: null,
      notification: {
        summary: `${lines.length} more waiting`,
        body: [...listed, 'Each appears here as earlier ones are answered.'].join('\n'),
        actions: [], urgency: 'critical', resident: true, transient: false, expireMs: 0,
      },
    };
  }
}

/** Two notifications that would look and act the same. */
export function contentKey(notification: DesktopNotification): string {
  const {summary, body, actions, urgency, resident, transient, expireMs} = notification;
  return JSON.stringify([summary, body, actions.map((a) => [a.key, a.label]), urgency, resident, transient, expireMs]);
}
