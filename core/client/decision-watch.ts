// The lasting decisions of every connected hub, for a UI that shows them (the shell's indicator): one WatchDecisions
// stream per hub, on a connection of its own (a call behind an endless stream would never be answered), its state
// and log entries kept per hub and merged into one view. Grants live in one store every hub reads, so the same grant
// reported by two hubs is one grant (revoked on each). A hub without WatchDecisions (older, Python) shows nothing;
// a stream that ends takes that hub's part of the view with it until the hub is followed again.
import type {DecisionLogEntry} from '../decisions/decision-log.js';
import {logLine} from '../decisions/decision-log.js';
import type {Decision} from '../decisions/decision.js';
import {decisionReply, WATCH_DECISIONS, type DecisionState, type RevokeFailure} from './decision-calls.js';
import type {HubPeer, HubTransport} from './hub-connection.js';

export interface DecisionView {
  /** Soonest end first; each with the hubs that hold it. */
  readonly grants: readonly {grant: Decision; origins: string[]}[];
  readonly failing: readonly RevokeFailure[];
  /** What is wrong with the rules file ("" entries left out), once per distinct message. */
  readonly rulesErrors: readonly {file: string; error: string}[];
  /** Newest first, at most `recent` of the options. */
  readonly recent: readonly DecisionLogEntry[];
}

export interface DecisionWatchOptions {
  transport: Pick<HubTransport, 'connect'>;
  /** Called after every change of the view. */
  changed: () => void;
  connectTimeoutMs?: number;
  /** How many log entries each hub's part keeps. */
  recent?: number;
}

interface Followed {
  peer: HubPeer | null;
  state: DecisionState | null;
  /** Oldest first. */
  entries: DecisionLogEntry[];
}

const RECENT = 20;

export class DecisionWatch {
  readonly #hubs = new Map<string, Followed>();
  readonly #o: Required<DecisionWatchOptions>;
  #closed = false;

  constructor(options: DecisionWatchOptions) {
    this.#o = {connectTimeoutMs: 5000, recent: RECENT, ...options};
  }

  /** Follows the hub at socket `origin` (it just connected); no-op while it is followed. */
  follow(origin: string): void {
    if (this.#closed || this.#hubs.has(origin)) return;
    const followed: Followed = {peer: null, state: null, entries: []};
    this.#hubs.set(origin, followed);
    void this.#run(origin, followed);
  }

  /** Stops following `origin` (it went away or is reconnecting) and drops its part of the view. */
  forget(origin: string): void {
    const followed = this.#hubs.get(origin);
    if (!followed) return;
    this.#hubs.delete(origin);
    followed.peer?.close();
    if (followed.state || followed.entries.length > 0) this.#o.changed();
  }

  /** Ends every stream; nothing is reported after. */
  close(): void {
    this.#closed = true;
    for (const followed of this.#hubs.values()) followed.peer?.close();
    this.#hubs.clear();
  }

  view(): DecisionView {
    const grants = new Map<string, {grant: Decision; origins: string[]}>();
    const errors = new Map<string, {file: string; error: string}>();
    const failing: RevokeFailure[] = [];
    const entries = new Map<string, DecisionLogEntry>();
    for (const [origin, {state, entries: own}] of this.#hubs) {
      for (const grant of state?.grants ?? []) {
        const known = grants.get(grant.id);
        if (known) known.origins.push(origin);
        else grants.set(grant.id, {grant, origins: [origin]});
      }
      if (state?.rulesError) errors.set(state.rulesError, {file: state.rulesFile, error: state.rulesError});
      failing.push(...state?.failing ?? []);
      // The log is one file every hub appends to: each hub's recent entries include the others'.
      for (const entry of own) entries.set(logLine(entry), entry);
    }
    const end = (d: Decision) => d.expires ?? Number.POSITIVE_INFINITY;
    return {
      grants: [...grants.values()].sort((a, b) => end(a.grant) - end(b.grant)),
      failing,
      rulesErrors: [...errors.values()],
      recent: [...entries.values()].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, this.#o.recent),
    };
  }

  async #run(origin: string, followed: Followed): Promise<void> {
    const current = () => this.#hubs.get(origin) === followed;
    try {
      const peer = await this.#o.transport.connect(origin, this.#o.connectTimeoutMs);
      if (!current()) {
        peer.close();
        return;
      }
      followed.peer = peer;
      await peer.stream(WATCH_DECISIONS, {}, (reply) => {
        const read = current() ? decisionReply(reply) : null;
        if (!read) return; // forgotten meanwhile, or a malformed reply: skipped
        if (read.state) followed.state = read.state;
        if (read.recent) followed.entries = read.recent.slice(-this.#o.recent);
        if (read.entry) followed.entries = [...followed.entries, read.entry].slice(-this.#o.recent);
        this.#o.changed();
      });
    } catch {
      // Gone, or a hub without WatchDecisions: nothing to show from it.
    }
    if (current()) this.forget(origin);
  }
}
