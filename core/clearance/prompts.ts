// The prompt model every UI renders (behaviour.md "Prompt state per UI"): pure state, time passed in as ms, and
// every mutation returns the changes a UI needs to redraw. One prompt per (container, target); a repeat block updates
// it and moves the verdict to the latest request id; any request id the prompt has seen resolves it, because
// `terok-shield allow|deny <container> <target>` acts on the target, not on one request.
import type {ClearanceEvent} from './event.js';
import {dossierIdentity} from './identity.js';
import {bindingTarget, isVerdictAction, type VerdictAction, type VerdictRejection} from './verdict.js';

/** What a prompt and its result both say about the blocked destination. */
interface BlockedTarget {
  readonly key: string;
  /** Stable for the prompt's life and never reused, so a typed "a 3" cannot land on a different prompt. */
  readonly number: number;
  readonly container: string;
  /** domain || dest: what the verdict binds to. */
  readonly target: string;
  readonly domain: string;
  readonly dest: string;
  readonly port: number;
  readonly proto: number;
  readonly identity: string;
}

export interface PromptView extends BlockedTarget {
  /** The latest request id: the one a verdict answers. */
  readonly requestId: string;
  /** Which hub the latest request came from (as passed to `apply`); the verdict must go there. */
  readonly origin: string;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** The terok project of the latest block's dossier, "" when it names none (a lasting answer's project scope). */
  readonly project: string;
  readonly inFlight: VerdictAction | null;
  /** The last failed verdict; the prompt stays answerable. */
  readonly failure: VerdictResult | null;
  readonly notice: PromptNotice | null;
}

export type PromptNotice = 'already-answered';

export interface VerdictResult extends BlockedTarget {
  readonly requestId: string;
  readonly action: VerdictAction;
  readonly ok: boolean;
  readonly stderr: string;
  readonly at: number;
}

export type AlertKind = 'shield_down' | 'shield_disengaged';

export interface SecurityAlert {
  readonly container: string;
  readonly kind: AlertKind;
  readonly identity: string;
  readonly since: number;
}

export type RemovalReason =
  | 'shield_down' | 'shield_disengaged' | 'container_exited' // the hub dropped the container's bindings
  | 'dismissed' // locally, by the operator; nothing was sent
  | 'hub-lost' // its hub went away, taking the bindings with it
  | 'evicted' // over maxPrompts, least recently blocked first
  | 'superseded'; // its only request id was re-bound to another target (a restarted reader counts from 1 again)

export type PromptChange =
  | {kind: 'added'; prompt: PromptView}
  | {kind: 'updated'; prompt: PromptView}
  | {kind: 'failed'; prompt: PromptView; result: VerdictResult}
  /** `prompt` is null when the verdict concerns a prompt already resolved (another UI answered differently). */
  | {kind: 'resolved'; prompt: PromptView | null; result: VerdictResult}
  | {kind: 'removed'; prompt: PromptView; reason: RemovalReason}
  /** Also re-sent when an alert's kind or identity changes: renderers replace by container. */
  | {kind: 'alert-raised'; alert: SecurityAlert}
  | {kind: 'alert-cleared'; alert: SecurityAlert};

/** The Verdict call to make: `container`, `request_id`, `dest`, `action` are its parameters, sent to `origin`. */
export interface VerdictRequest {
  readonly key: string;
  readonly container: string;
  readonly request_id: string;
  readonly dest: string;
  readonly action: VerdictAction;
  readonly origin: string;
}

export interface PromptModelOptions {
  maxPrompts?: number;
  maxResults?: number;
  /** Request ids kept per prompt; older ones are forgotten (their verdict_applied then goes unnoticed). */
  maxRequestsPerPrompt?: number;
  /** Request ids of resolved or removed prompts remembered, so a late snapshot does not bring them back. */
  maxRetired?: number;
  maxIdentities?: number;
}

export function promptKey(container: string, target: string): string {
  return JSON.stringify([container, target]);
}

interface PromptState {
  readonly key: string;
  readonly number: number;
  readonly container: string;
  readonly target: string;
  domain: string;
  dest: string;
  port: number;
  proto: number;
  ids: string[]; // oldest first; the last one is what a verdict answers
  count: number;
  readonly firstSeen: number;
  lastSeen: number;
  project: string;
  inFlight: VerdictRequest | null;
  failure: VerdictResult | null;
  notice: PromptNotice | null;
}

interface AlertState {
  kind: AlertKind;
  since: number;
}

// Shared by every request id of one retired prompt, so a verdict on any of them sees the last outcome.
interface Retired {
  readonly prompt: PromptView;
  action: VerdictAction | null;
}

export class PromptModel {
  readonly #prompts = new Map<string, PromptState>();
  readonly #requests = new Map<string, {key: string; origin: string}>();
  readonly #retired = new Map<string, Retired>();
  readonly #identities = new Map<string, string>();
  readonly #alerts = new Map<string, AlertState>();
  #results: VerdictResult[] = [];
  #nextNumber = 1;
  readonly #limits: Required<PromptModelOptions>;

  constructor(options: PromptModelOptions = {}) {
    this.#limits = {
      maxPrompts: options.maxPrompts ?? 500,
      maxResults: options.maxResults ?? 20,
      maxRequestsPerPrompt: options.maxRequestsPerPrompt ?? 64,
      maxRetired: options.maxRetired ?? 4096,
      maxIdentities: options.maxIdentities ?? 1024,
    };
  }

  apply(event: ClearanceEvent, now: number, origin = ''): PromptChange[] {
    switch (event.type) {
      case 'connection_blocked': return this.#blocked(event, now, origin);
      case 'verdict_applied': return this.#verdictApplied(event, now);
      case 'container_started': return this.#noteIdentity(event.container, dossierIdentity(event.dossier));
      case 'shield_up': return [...this.#noteIdentity(event.container, dossierIdentity(event.dossier)),
        ...this.#clearAlert(event.container)];
      case 'shield_down': case 'shield_disengaged': return [
        ...this.#noteIdentity(event.container, dossierIdentity(event.dossier)),
        ...this.#purge(event.container, event.type),
        ...this.#raiseAlert(event.container, event.type, now)];
      case 'container_exited': {
        // A container that is gone has no unfiltered egress left to warn about.
        const changes = [...this.#purge(event.container, 'container_exited'), ...this.#clearAlert(event.container)];
        this.#identities.delete(event.container);
        return changes;
      }
      default: return [];
    }
  }

  /**
   * A hub's snapshot after its connection came back, its requests kept meanwhile: those it no longer holds (answered
   * elsewhere, purged, or the hub restarted) are forgotten as by forgetOrigin, those it still holds keep their prompt
   * and number, new ones are added. A request id it now binds to another target moves, as a live block would.
   */
  reconcileOrigin(events: readonly ClearanceEvent[], now: number, origin: string): PromptChange[] {
    const blocks = events.filter((e) => e.type === 'connection_blocked');
    const held = new Set(blocks.map((e) => e.request_id));
    const changes = this.#forget(origin, (id) => !held.has(id));
    for (const event of blocks) {
      if (!this.#retired.has(event.request_id)) changes.push(...this.#blocked(event, now, origin));
    }
    return changes;
  }

  /** A hub went away and its bindings with it: forget its requests; prompts left with none are removed. */
  forgetOrigin(origin: string): PromptChange[] {
    return this.#forget(origin, () => true);
  }

  #forget(origin: string, lostId: (requestId: string) => boolean): PromptChange[] {
    const changes: PromptChange[] = [];
    for (const prompt of [...this.#prompts.values()]) {
      const lost = prompt.ids.filter((id) => this.#requests.get(id)?.origin === origin && lostId(id));
      if (lost.length === 0) continue;
      if (lost.length === prompt.ids.length) {
        changes.push(this.#remove(prompt, 'hub-lost', false));
      } else {
        prompt.ids = prompt.ids.filter((id) => !lost.includes(id));
        changes.push({kind: 'updated', prompt: this.#view(prompt)});
      }
      for (const id of lost) this.#requests.delete(id);
    }
    return changes;
  }

  /** Attach a label from an identity resolver (or "" to fall back to the dossier's or the container id). */
  setIdentity(container: string, label: string): PromptChange[] {
    return this.#noteIdentity(container, label, true);
  }

  /**
   * One click, one verdict: the Verdict call to make for this prompt, or null when one is already in flight (or the
   * prompt is gone). Every request returned must be settled with `verdictAccepted` or `verdictRejected`.
   */
  beginVerdict(key: string, action: VerdictAction): VerdictRequest | null {
    const prompt = this.#prompts.get(key);
    if (!prompt || prompt.inFlight || !isVerdictAction(action)) return null;
    const requestId = latest(prompt);
    const request: VerdictRequest = Object.freeze({
      key, container: prompt.container, request_id: requestId, dest: prompt.target, action,
      origin: this.#requests.get(requestId)?.origin ?? '',
    });
    prompt.inFlight = request;
    prompt.failure = null;
    prompt.notice = null;
    return request;
  }

  /** "Allow all of container C": a request for each of its prompts not already in flight. */
  beginContainerVerdict(container: string, action: VerdictAction): VerdictRequest[] {
    return this.#promptsOf(container)
      .map((prompt) => this.beginVerdict(prompt.key, action))
      .filter((request) => request !== null);
  }

  /** The hub answered `{ok: true}`. Resolves the prompt now, even if its verdict_applied event is still on its way. */
  verdictAccepted(request: VerdictRequest, now: number): PromptChange[] {
    const prompt = this.#settle(request);
    return prompt ? this.#resolve(prompt, request.request_id, request.action, now) : [];
  }

  /** The Verdict call failed: "already answered" for UnknownRequest, else a failure the operator can retry. */
  verdictRejected(request: VerdictRequest, rejection: VerdictRejection, detail: string, now: number): PromptChange[] {
    const prompt = this.#settle(request);
    if (!prompt) return [];
    if (rejection === 'unknown-request') {
      prompt.notice = 'already-answered';
      return [{kind: 'updated', prompt: this.#view(prompt)}];
    }
    // The hub's verdict_applied may have arrived first, with the stderr in `reason` or without it.
    return this.#fail(prompt, request.request_id, request.action, detail || prompt.failure?.stderr || '', now);
  }

  /** The call answered nothing (the hub wants a confirmation, or has no Decide): the prompt is as it was. */
  verdictWithdrawn(request: VerdictRequest): PromptChange[] {
    const prompt = this.#settle(request);
    return prompt ? [{kind: 'updated', prompt: this.#view(prompt)}] : [];
  }

  /** Hide a prompt locally. Nothing is sent: no answer never means allow. */
  dismiss(key: string): PromptChange[] {
    const prompt = this.#prompts.get(key);
    return prompt ? [this.#remove(prompt, 'dismissed', true)] : [];
  }

  /** In number order: the map keeps creation order, and numbers only grow. */
  prompts(): PromptView[] {
    return [...this.#prompts.values()].map((p) => this.#view(p));
  }

  get(key: string): PromptView | undefined {
    const prompt = this.#prompts.get(key);
    return prompt && this.#view(prompt);
  }

  byNumber(number: number): PromptView | undefined {
    return this.prompts().find((p) => p.number === number);
  }

  promptsOf(container: string): PromptView[] {
    return this.#promptsOf(container).map((p) => this.#view(p));
  }

  /** The prompts grouped by container, containers in the order of their first prompt (how every UI lists them). */
  byContainer(): [container: string, prompts: PromptView[]][] {
    const groups = new Map<string, PromptView[]>();
    for (const prompt of this.prompts()) groups.set(prompt.container, [...(groups.get(prompt.container) ?? []), prompt]);
    return [...groups];
  }

  /** Recent verdicts that applied, newest first, at most maxResults. */
  results(): VerdictResult[] {
    return [...this.#results];
  }

  alerts(): SecurityAlert[] {
    return [...this.#alerts].map(([container, state]) => this.#alertView(container, state));
  }

  identityOf(container: string): string {
    return this.#identities.get(container) || container;
  }

  #blocked(event: ClearanceEvent, now: number, origin: string): PromptChange[] {
    const {container, request_id: requestId} = event;
    const target = bindingTarget(event);
    if (!container || !requestId || !target) return []; // nothing a Verdict could be bound to
    const key = promptKey(container, target);
    const known = this.#requests.get(requestId);
    if (known?.key === key) return []; // the same block delivered twice (snapshot, second hub)
    const changes = known ? this.#detach(requestId) : [];
    changes.push(...this.#noteIdentity(container, dossierIdentity(event.dossier), false, key));

    let prompt = this.#prompts.get(key);
    const isNew = !prompt;
    if (!prompt) {
      prompt = {
        key, number: this.#nextNumber++, container, target, domain: '', dest: '', port: 0, proto: 0, ids: [], count: 0,
        firstSeen: now, lastSeen: now, project: '', inFlight: null, failure: null, notice: null,
      };
      this.#prompts.set(key, prompt);
    }
    Object.assign(prompt, {domain: event.domain, dest: event.dest, port: event.port, proto: event.proto,
      project: event.dossier.project ?? ''});
    prompt.count += 1;
    prompt.lastSeen = Math.max(prompt.lastSeen, now);
    prompt.notice = null;
    prompt.ids.push(requestId);
    this.#requests.set(requestId, {key, origin});
    for (const old of prompt.ids.splice(0, prompt.ids.length - this.#limits.maxRequestsPerPrompt)) {
      this.#requests.delete(old);
    }
    changes.push({kind: isNew ? 'added' : 'updated', prompt: this.#view(prompt)});
    if (isNew) changes.push(...this.#evictOverflow());
    return changes;
  }

  #verdictApplied(event: ClearanceEvent, now: number): PromptChange[] {
    const {request_id: requestId, action, ok} = event;
    if (!isVerdictAction(action)) return [];
    const live = this.#requests.get(requestId);
    const prompt = live && this.#prompts.get(live.key);
    if (prompt) {
      return ok ? this.#resolve(prompt, requestId, action, now) : this.#fail(prompt, requestId, action, event.reason, now);
    }
    const retired = this.#retired.get(requestId);
    if (!ok || !retired || retired.action === action) return [];
    // A second verdict on a prompt already resolved, with a different outcome: it is now the one in effect.
    retired.action = action;
    const result = this.#result(retired.prompt, requestId, action, true, '', now);
    this.#pushResult(result);
    return [{kind: 'resolved', prompt: null, result}];
  }

  #resolve(prompt: PromptState, requestId: string, action: VerdictAction, now: number): PromptChange[] {
    const view = this.#view(prompt);
    const result = this.#result(view, requestId, action, true, '', now);
    this.#drop(prompt, view, action);
    this.#pushResult(result);
    return [{kind: 'resolved', prompt: view, result}];
  }

  #fail(prompt: PromptState, requestId: string, action: VerdictAction, stderr: string, now: number): PromptChange[] {
    prompt.failure = this.#result(this.#view(prompt), requestId, action, false, stderr, now);
    return [{kind: 'failed', prompt: this.#view(prompt), result: prompt.failure}];
  }

  #settle(request: VerdictRequest): PromptState | undefined {
    const prompt = this.#prompts.get(request.key);
    const inFlight = prompt?.inFlight;
    if (!prompt || inFlight?.request_id !== request.request_id || inFlight.action !== request.action) return undefined;
    prompt.inFlight = null;
    return prompt;
  }

  #purge(container: string, reason: RemovalReason): PromptChange[] {
    return this.#promptsOf(container).map((prompt) => this.#remove(prompt, reason, true));
  }

  #remove(prompt: PromptState, reason: RemovalReason, retire: boolean): PromptChange {
    const view = this.#view(prompt);
    if (retire) this.#drop(prompt, view, null);
    else this.#prompts.delete(prompt.key);
    return {kind: 'removed', prompt: view, reason};
  }

  /** Removes a prompt and remembers its request ids as retired. */
  #drop(prompt: PromptState, view: PromptView, action: VerdictAction | null): void {
    this.#prompts.delete(prompt.key);
    const retired: Retired = {prompt: view, action};
    for (const id of prompt.ids) {
      this.#requests.delete(id);
      this.#retired.delete(id);
      this.#retired.set(id, retired);
    }
    trimOldest(this.#retired, this.#limits.maxRetired);
  }

  /** A request id re-bound to another target leaves its old prompt. */
  #detach(requestId: string): PromptChange[] {
    const old = this.#prompts.get(this.#requests.get(requestId)?.key ?? '');
    this.#requests.delete(requestId);
    if (!old) return [];
    old.ids = old.ids.filter((id) => id !== requestId);
    return [old.ids.length > 0 ? {kind: 'updated', prompt: this.#view(old)} : this.#remove(old, 'superseded', true)];
  }

  #evictOverflow(): PromptChange[] {
    const changes: PromptChange[] = [];
    while (this.#prompts.size > this.#limits.maxPrompts) {
      let stalest: PromptState | undefined;
      for (const p of this.#prompts.values()) if (!stalest || p.lastSeen < stalest.lastSeen) stalest = p;
      if (!stalest) break;
      changes.push(this.#remove(stalest, 'evicted', true));
    }
    return changes;
  }

  #noteIdentity(container: string, label: string, explicit = false, skipKey = ''): PromptChange[] {
    // A dossier without identity keys says nothing; only an explicit setIdentity("") removes a label.
    if ((!label && !explicit) || label === (this.#identities.get(container) ?? '')) return [];
    this.#identities.delete(container);
    if (label) this.#identities.set(container, label);
    trimOldest(this.#identities, this.#limits.maxIdentities);
    const changes: PromptChange[] = this.#promptsOf(container)
      .filter((p) => p.key !== skipKey)
      .map((p) => ({kind: 'updated', prompt: this.#view(p)}));
    const alert = this.#alerts.get(container);
    if (alert) changes.push({kind: 'alert-raised', alert: this.#alertView(container, alert)});
    return changes;
  }

  #raiseAlert(container: string, kind: AlertKind, now: number): PromptChange[] {
    const existing = this.#alerts.get(container);
    if (existing?.kind === kind) return [];
    const state = {kind, since: existing?.since ?? now};
    this.#alerts.set(container, state);
    return [{kind: 'alert-raised', alert: this.#alertView(container, state)}];
  }

  #clearAlert(container: string): PromptChange[] {
    const state = this.#alerts.get(container);
    if (!state) return [];
    this.#alerts.delete(container);
    return [{kind: 'alert-cleared', alert: this.#alertView(container, state)}];
  }

  #alertView(container: string, {kind, since}: AlertState): SecurityAlert {
    return Object.freeze({container, kind, identity: this.identityOf(container), since});
  }

  #promptsOf(container: string): PromptState[] {
    return [...this.#prompts.values()].filter((p) => p.container === container);
  }

  #pushResult(result: VerdictResult): void {
    this.#results = [result, ...this.#results].slice(0, this.#limits.maxResults);
  }

  #result(prompt: PromptView, requestId: string, action: VerdictAction, ok: boolean, stderr: string,
    now: number): VerdictResult {
    const {number, key, container, target, domain, dest, port, proto, identity} = prompt;
    return Object.freeze({
      number, key, container, target, domain, dest, port, proto, identity, requestId, action, ok, stderr, at: now,
    });
  }

  #view(p: PromptState): PromptView {
    const requestId = latest(p);
    return Object.freeze({
      key: p.key, number: p.number, container: p.container, target: p.target, domain: p.domain, dest: p.dest,
      port: p.port, proto: p.proto, requestId, origin: this.#requests.get(requestId)?.origin ?? '', count: p.count,
      firstSeen: p.firstSeen, lastSeen: p.lastSeen, project: p.project, identity: this.identityOf(p.container),
      inFlight: p.inFlight?.action ?? null, failure: p.failure, notice: p.notice,
    });
  }
}

function latest(prompt: PromptState): string {
  return prompt.ids[prompt.ids.length - 1] ?? '';
}

function trimOldest<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
