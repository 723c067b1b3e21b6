// What the watch command prints: one line per thing that happened (a block, a result, a hub coming or going) and
// the list on demand. Every line is built as plain text from the shared wording (core/clearance/format.ts), escaped
// for the terminal as a whole, then coloured; so nothing from the wire can move the cursor, clear the screen or
// reorder what the operator reads.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {
  alertBody, alertTitle, hostPort, localClockTime, promptBody, promptStatus, promptTitle, repeatText, resultText,
  type ClockFormat,
} from '../../core/clearance/format.js';
import type {PromptChange, PromptModel, PromptView, RemovalReason} from '../../core/clearance/prompts.js';
import type {HubStatus} from '../client/unix-hub-connection.js';
import type {HubView} from '../client/runtime-dir-hubs.js';
import {COMMAND_HELP} from './operator-command.js';
import type {Paint} from './paint.js';

export interface ScreenOptions {
  paint: Paint;
  clock?: ClockFormat;
  now?: () => number;
  /** A prompt blocked again is reported at most this often; `l` always shows the current count. */
  repeatQuietMs?: number;
  /** How the operator answers a prompt again after a failed verdict (default: "a N or d N"). */
  retryHint?: (prompt: PromptView) => string;
}

const REMOVED: Record<RemovalReason, string> = {
  shield_down: 'dropped: its shield went down',
  shield_disengaged: 'dropped: its shield was disengaged',
  container_exited: 'dropped: the container exited',
  dismissed: 'dismissed',
  'hub-lost': 'dropped: its hub went away',
  evicted: 'dropped: too many prompts',
  superseded: 'dropped: its request id now belongs to another block',
};

const RECENT_RESULTS = 5;

export class WatchScreen {
  readonly #paint: Paint;
  readonly #clock: ClockFormat;
  readonly #now: () => number;
  readonly #repeatQuietMs: number;
  readonly #retryHint: (prompt: PromptView) => string;
  /** Container numbers for `A C` / `D C`: given on a container's first prompt, never reused. */
  readonly #containers = new Map<string, number>();
  #nextContainer = 1;
  /** Per prompt: the count, notice and identity last reported, and when a repeat was last reported. */
  readonly #reported = new Map<string, {count: number; notice: string | null; identity: string; at: number}>();
  readonly #hubStatus = new Map<string, HubStatus>();

  constructor(private readonly model: PromptModel, options: ScreenOptions) {
    this.#paint = options.paint;
    this.#clock = options.clock ?? localClockTime;
    this.#now = options.now ?? Date.now;
    this.#repeatQuietMs = options.repeatQuietMs ?? 10_000;
    this.#retryHint = options.retryHint ?? ((prompt) => `a ${prompt.number} or d ${prompt.number}`);
  }

  changes(changes: PromptChange[]): string[] {
    const lines = changes.flatMap((change) => this.#change(change));
    for (const container of this.#containers.keys()) {
      if (this.model.promptsOf(container).length === 0) this.#containers.delete(container);
    }
    return lines;
  }

  hub(hub: HubView, what: 'added' | 'removed' | 'state'): string[] {
    const p = this.#paint;
    const name = `hub ${hub.label}`;
    if (what === 'added') return hub.socket.layout === 'session' ? [] : [this.#line(p.dim, `${name}: found at ${hub.id}`)];
    if (what === 'removed') {
      this.#hubStatus.delete(hub.id);
      return [this.#line(p.dim, `${name}: gone (its socket was removed)`)];
    }
    const previous = this.#hubStatus.get(hub.id);
    const {status, reason, notRunning} = hub.state;
    this.#hubStatus.set(hub.id, status);
    // One line per change of status: a hub that stays down for an hour is reported once.
    if (status === previous || status === 'connecting') return [];
    if (status === 'unavailable') {
      return [this.#line(notRunning ? p.dim : p.failed,
        notRunning ? `${name}: ${reason}; retrying` : `${name} unavailable: ${reason}; retrying`)];
    }
    const older = hub.capabilities.pending === false
      ? ' (an older hub: requests blocked before this connection are not listed)' : '';
    return [this.#line(p.dim, `${name}: ${previous === undefined || previous === 'connecting' ? 'connected' : 'reconnected'}${older}`)];
  }

  /** The full picture: pending prompts grouped by container, alerts, hubs and the last results. */
  list(hubs: HubView[]): string[] {
    const p = this.#paint;
    const prompts = this.model.prompts();
    const lines: string[] = [];
    if (prompts.length === 0) {
      lines.push(this.#line(p.strong, 'No pending requests.'));
    } else {
      lines.push(this.#line(p.strong, `Pending requests (${prompts.length}):`));
      for (const [container, ofContainer] of this.model.byContainer()) {
        lines.push(this.#line(p.strong, `  ${this.containerLabel(container)}`));
        for (const prompt of ofContainer) {
          const details = [...promptBody(prompt, this.#clock).slice(1), promptStatus(prompt)].filter((x) => x !== '');
          lines.push(this.#line((s) => s, `    [${prompt.number}] ${promptTitle(prompt)}  (${details.join(', ')})`));
        }
      }
    }
    for (const alert of this.model.alerts()) lines.push(this.#line(p.alert, `!! ${alertTitle(alert)}: ${alertBody(alert)}`));
    if (hubs.length > 0) lines.push(this.#line(p.strong, 'Hubs:'));
    for (const hub of hubs) {
      const {status, reason} = hub.state;
      lines.push(this.#line(p.dim, `  ${hub.label}: ${status}${reason ? ` (${reason})` : ''}  ${hub.id}`));
    }
    const recent = this.model.results().slice(0, RECENT_RESULTS);
    if (recent.length > 0) {
      lines.push(this.#line(p.strong, 'Recent:'));
      for (const r of recent) lines.push(this.#line(r.action === 'allow' ? p.allowed : p.denied, `  [${r.number}] ${resultText(r)} (${r.identity})`));
    }
    return lines;
  }

  help(): string[] {
    return [this.#line(this.#paint.strong, 'Commands:'), ...COMMAND_HELP.map((l) => `  ${l}`)];
  }

  /** The container an `A C` / `D C` means: its number from the list, or its id if it has prompts. */
  containerFor(ref: string): string | null {
    for (const [container, number] of this.#containers) if (String(number) === ref) return container;
    return this.model.promptsOf(ref).length > 0 ? ref : null;
  }

  /** "container 2: warp/t42 · build (abc123def456)", plain (message() escapes it). */
  containerLabel(container: string): string {
    const identity = this.model.identityOf(container);
    const who = identity === container ? container : `${identity} (${container})`;
    return `container ${this.#containerNumber(container)}: ${who}`;
  }

  /** A notice written as the operator typed it or as we worded it: escaped like everything else. */
  message(kind: 'info' | 'error', text: string): string {
    return this.#line(kind === 'error' ? this.#paint.failed : this.#paint.dim, text);
  }

  #change(change: PromptChange): string[] {
    const p = this.#paint;
    switch (change.kind) {
      case 'added': {
        const {prompt} = change;
        this.#containerNumber(prompt.container);
        this.#reported.set(prompt.key, {count: prompt.count, notice: prompt.notice, identity: prompt.identity, at: this.#now()});
        return [this.#line(p.strong, `[${prompt.number}] ${promptTitle(prompt)}  (${promptBody(prompt, this.#clock).join(', ')})`)];
      }
      case 'updated': return this.#updated(change.prompt);
      case 'failed': {
        const {prompt, result} = change;
        // Our own verdict's failure comes twice: from the hub's event while it is in flight, then when it settles.
        if (prompt.inFlight !== null) return [];
        return [this.#line(p.failed,
          `[${prompt.number}] ${resultText(result)}; still pending: ${this.#retryHint(prompt)} to answer again`)];
      }
      case 'resolved': {
        const {prompt, result} = change;
        if (prompt) this.#reported.delete(prompt.key);
        const by = prompt ? '' : ' (changed by another client)';
        return [this.#line(result.action === 'allow' ? p.allowed : p.denied,
          `[${result.number}] ${resultText(result)} (${result.identity})${by}`)];
      }
      case 'removed': {
        const {prompt, reason} = change;
        this.#reported.delete(prompt.key);
        return [this.#line(p.dim, `[${prompt.number}] ${hostPort(prompt.target, prompt.port)} ${REMOVED[reason]}`)];
      }
      case 'alert-raised':
        return [this.#line(p.alert, `!! ${alertTitle(change.alert)}: ${alertBody(change.alert)}`)];
      case 'alert-cleared':
        return [this.#line(p.allowed, `Shield up again: ${change.alert.identity}`)];
    }
  }

  /**
   * Repeats (rate-limited), "already answered" and a container named after its prompt was shown (an identity
   * resolved later, or renamed) are worth a line; other updates show in the list.
   */
  #updated(prompt: PromptView): string[] {
    const reported = this.#reported.get(prompt.key) ?? {count: prompt.count, notice: null, identity: prompt.identity, at: 0};
    const lines: string[] = [];
    const now = this.#now();
    if (prompt.identity !== reported.identity && prompt.identity !== prompt.container) {
      lines.push(this.#line(this.#paint.dim,
        `[${prompt.number}] ${hostPort(prompt.target, prompt.port)}: container ${prompt.container} is ${prompt.identity}`));
    }
    reported.identity = prompt.identity;
    if (prompt.count > reported.count && (reported.count === 1 || now - reported.at >= this.#repeatQuietMs)) {
      lines.push(this.#line(this.#paint.strong,
        `[${prompt.number}] ${hostPort(prompt.target, prompt.port)}: ${repeatText(prompt.count, prompt.firstSeen, this.#clock)}`));
      reported.count = prompt.count;
      reported.at = now;
    }
    if (prompt.notice === 'already-answered' && reported.notice !== prompt.notice) {
      lines.push(this.#line(this.#paint.dim,
        `[${prompt.number}] ${prompt.target}: already answered (by another client, or the hub no longer holds it)`));
    }
    reported.notice = prompt.notice;
    this.#reported.set(prompt.key, reported);
    return lines;
  }

  #containerNumber(container: string): number {
    let number = this.#containers.get(container);
    if (number === undefined) {
      number = this.#nextContainer++;
      this.#containers.set(container, number);
    }
    return number;
  }

  #line(paint: (text: string) => string, text: string): string {
    return paint(escapeTerminal(text));
  }
}
