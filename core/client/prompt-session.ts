// The prompt model fed by every hub: what an interactive UI (the shell extension, the terminal, the notification
// fallback) sits on. Events and snapshots go into the model tagged with their hub; a hub that goes away takes its
// requests with it (its bindings are gone: a restarted hub starts empty); a hub whose connection drops keeps them
// when it lists what it holds, and its snapshot on reconnect settles which stay (with their numbers), so a dropped
// connection does not renumber the prompts; verdicts go to the hub that emitted the request (while it is
// unreachable they fail, and the prompt stays answerable), and their outcomes settle the model. An identity
// source, when given, names containers whose events carry no dossier identity (identity-feed.ts): one of the
// client's own, or one made from the hubs (hub-identity.ts).
import type {ClearanceEvent} from '../clearance/event.js';
import {PromptModel, type PromptChange, type PromptModelOptions, type VerdictRequest} from '../clearance/prompts.js';
import type {VerdictAction} from '../clearance/verdict.js';
import type {LastingChoice} from '../decisions/decision.js';
import type {VerdictOutcome} from './clearance-calls.js';
import type {DecideOutcome} from './decision-calls.js';
import type {HubSetListener, HubView, IdentityRoutes, VerdictRoutes} from './hub-set.js';
import {IdentityFeed, type IdentitySource} from './identity-feed.js';

export interface PromptSessionListener {
  changes(changes: PromptChange[]): void;
  hub(hub: HubView, what: 'added' | 'removed' | 'state'): void;
}

export interface PromptSessionOptions<H extends Hubs> {
  /** Wall-clock milliseconds (what prompts show as "since HH:MM:SS"). */
  now: () => number;
  model?: PromptModelOptions;
  /**
   * Names containers the wire does not name: a source of the client's own (on Node: podman and the task metadata),
   * or one built on the hub set once it exists (hubIdentity: the hubs ask their verdict helpers).
   */
  identity?: IdentitySource | ((hubs: H) => IdentitySource);
}

/** What the session needs of a hub set (core's HubSet is one). */
export interface Hubs extends VerdictRoutes, IdentityRoutes {
  start(): void;
  close(): Promise<void>;
}

export class PromptSession<H extends Hubs> {
  readonly model: PromptModel;
  readonly hubs: H;
  readonly #now: () => number;
  readonly #identity: IdentityFeed | null;
  /** Hubs whose last connect gave a snapshot: their prompts are kept across a reconnect and reconciled with the next. */
  readonly #reconciling = new Set<string>();

  /** `hubs` builds the hub set (the edge's) around the listener this session feeds it. */
  constructor(private readonly listener: PromptSessionListener, hubs: (listener: HubSetListener) => H,
    options: PromptSessionOptions<H>) {
    this.model = new PromptModel(options.model);
    this.#now = options.now;
    // The hub set's callbacks run only after start(), by which time the feed below exists.
    this.hubs = hubs({
      hubAdded: (hub) => listener.hub(hub, 'added'),
      hubRemoved: (hub) => {
        listener.hub(hub, 'removed');
        this.#reconciling.delete(hub.id);
        this.#emit(this.model.forgetOrigin(hub.id));
      },
      hubState: (hub) => {
        listener.hub(hub, 'state');
        // A hub that lists what it holds keeps its prompts (and their numbers) until its next snapshot says.
        if (hub.state.status !== 'connected' && !this.#reconciling.has(hub.id)) {
          this.#emit(this.model.forgetOrigin(hub.id));
        }
      },
      snapshot: (hub, pending) => {
        if (!pending) {
          // No list (an older or Python hub, or a failed catch-up): what was kept cannot be checked.
          if (this.#reconciling.delete(hub.id)) this.#emit(this.model.forgetOrigin(hub.id));
          return;
        }
        this.#reconciling.add(hub.id);
        this.#emit(this.model.reconcileOrigin(pending, this.#now(), hub.id));
        for (const event of pending) this.#identity?.observe(event, hub.id);
      },
      event: (hub, event: ClearanceEvent) => {
        this.#emit(this.model.apply(event, this.#now(), hub.id));
        this.#identity?.observe(event, hub.id);
      },
    });
    const source = typeof options.identity === 'function' ? options.identity(this.hubs) : options.identity;
    this.#identity = source
      ? new IdentityFeed(source, (container, label) => this.#emit(this.model.setIdentity(container, label)))
      : null;
  }

  start(): void {
    this.hubs.start();
  }

  close(): Promise<void> {
    this.#identity?.close();
    return this.hubs.close();
  }

  /**
   * Sends the verdict for one prompt (its latest request, to the hub that emitted it). Null when nothing was sent:
   * the prompt is gone or a verdict for it is already in flight (one click, one verdict). Starting emits no change
   * (a UI that shows "Allowing..." redraws the prompt itself); the outcome arrives as changes and the promise
   * settles after them.
   */
  answer(key: string, action: VerdictAction): Promise<void> | null {
    const request = this.model.beginVerdict(key, action);
    if (!request) return null;
    // The result line names the container: re-read its name while the verdict is on its way (a renamed task).
    this.#identity?.refresh(request.container, request.origin);
    return this.#send(request);
  }

  /**
   * Answers one prompt with a lasting choice (Decide, to the hub that emitted its latest request); null when nothing
   * was sent, as for answer(). The outcome settles the model (a confirmation asked for, or a hub without Decide,
   * leaves the prompt as it was) and is returned for the UI to say what was decided.
   */
  decide(key: string, choice: LastingChoice, how: {confirmed: boolean; ui: string}): Promise<DecideOutcome> | null {
    const request = this.model.beginVerdict(key, choice.action);
    if (!request) return null;
    this.#identity?.refresh(request.container, request.origin);
    return this.hubs.decide(request.origin, {container: request.container, request_id: request.request_id,
      dest: request.dest, choice, ...how}).then((outcome) => {
      if (outcome.kind === 'needs-confirmation' || outcome.kind === 'unsupported') {
        this.#emit(this.model.verdictWithdrawn(request));
      } else {
        this.#settle(request, outcome.kind === 'applied' ? {kind: 'applied'} : outcome);
      }
      return outcome;
    });
  }

  /**
   * Answers every prompt of `container`: one VerdictContainer call per hub that has it, else (an older or Python
   * hub) one Verdict per prompt. Null when the container has no prompt that is not already being answered.
   */
  answerContainer(container: string, action: VerdictAction): {count: number; done: Promise<void>} | null {
    const requests = this.model.beginContainerVerdict(container, action);
    if (requests.length === 0) return null;
    this.#identity?.refresh(container, requests[0]!.origin);
    const byOrigin = new Map<string, VerdictRequest[]>();
    for (const r of requests) byOrigin.set(r.origin, [...(byOrigin.get(r.origin) ?? []), r]);
    const done = Promise.all([...byOrigin].map(([origin, group]) => this.#sendContainer(origin, container, action, group)));
    return {count: requests.length, done: done.then(() => undefined)};
  }

  async #send(request: VerdictRequest): Promise<void> {
    const outcome = await this.hubs.verdict(request.origin, request.container, request.request_id, request.dest,
      request.action);
    this.#settle(request, outcome);
  }

  async #sendContainer(origin: string, container: string, action: VerdictAction, group: VerdictRequest[]): Promise<void> {
    const outcome = await this.hubs.verdictContainer(origin, container, action);
    if (outcome.kind === 'unsupported') {
      await Promise.all(group.map((r) => this.#send(r)));
      return;
    }
    for (const request of group) {
      if (outcome.kind !== 'applied') {
        this.#settle(request, outcome);
        continue;
      }
      // The hub answers every request of the container it holds, grouped by target; a prompt whose target is not
      // among them was no longer pending there.
      const result = outcome.results.find((r) => r.target === request.dest);
      this.#settle(request, !result ? {kind: 'unknown-request'}
        : result.ok ? {kind: 'applied'} : {kind: 'failed', detail: result.stderr});
    }
  }

  #settle(request: VerdictRequest, outcome: VerdictOutcome): void {
    const now = this.#now();
    this.#emit(outcome.kind === 'applied' ? this.model.verdictAccepted(request, now)
      : outcome.kind === 'unknown-request' ? this.model.verdictRejected(request, 'unknown-request', '', now)
      : this.model.verdictRejected(request, 'failed', outcome.detail, now));
  }

  #emit(changes: PromptChange[]): void {
    if (changes.length > 0) this.listener.changes(changes);
  }
}
