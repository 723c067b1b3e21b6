// A hub's lasting decisions: the rules file's last good rules and the user's grants, matched against every block;
// what this hub allowed under each grant, and the revocation of it when the grant ends (its time by the wall clock,
// its container's exit, the operator's Revoke, or another hub or the CLI removing it), retried with back-off while
// the shield refuses. One instance per hub; it owns every watcher and timer it makes: close() ends them.
//
// Fail closed throughout: a broken rules file keeps the last good rules (never a partial new set), a grant file that
// does not read grants nothing, a revocation is never dropped while it fails, and a timed deny simply stops
// answering when it ends (un-denying at the shield would be an allow).
import {randomBytes} from 'node:crypto';
import {watch, type FSWatcher} from 'node:fs';
import {mkdir, readFile} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {applyToBlock, bindingTarget, type ShieldApplier} from '../../core/clearance/verdict.js';
import {decisionRecord} from '../../core/decisions/decision-record.js';
import type {DecidedBy, DecisionLogEntry} from '../../core/decisions/decision-log.js';
import type {Decision} from '../../core/decisions/decision.js';
import {DecisionIndex, type BlockFacts, type Match} from '../../core/decisions/matcher.js';
import {problemsText} from '../../core/decisions/rules-file.js';
import type {JsonObject} from '../../core/varlink/message.js';
import type {Logger} from '../log.js';
import {ensurePrivateDir, isTemporary, writeFileAtomic} from './atomic-file.js';
import type {DecisionPaths} from './decision-paths.js';
import {DecisionLogFile} from './decision-log-file.js';
import {listGrants, removeGrant, saveGrant} from './grant-store.js';
import {addRule, readRules, removeRule} from './rules-store.js';

export interface LastingDecisionsOptions {
  readonly paths: DecisionPaths;
  /** This hub's name in the log and its applied file: "session" or the container id. */
  readonly hub: string;
  readonly applier: ShieldApplier;
  readonly log: Logger;
  /** Wall-clock milliseconds. */
  readonly now?: () => number;
  /** How often the wall clock is read while a grant runs: after a suspend, a grant ends at most this late. */
  readonly tickMs?: number;
  /** Back-off of a failing revocation: first delay, doubling to at most maxMs. */
  readonly retryMs?: {readonly first: number; readonly max: number};
  /** Debounce of file changes (an editor writes a file in several steps). */
  readonly settleMs?: number;
}

/** Something this hub allowed under a grant: to be denied again when the grant ends. */
interface Application {
  grant: string;
  container: string;
  project: string;
  /** What the grant matched: the domain, or the address when the block had none. */
  target: string;
  /** The blocked address, allowed beside the domain (see applyToBlock), so denied beside it. */
  dest: string;
}

interface Revocation extends Application {
  by: DecidedBy;
  attempts: number;
  nextAt: number;
  stderr: string;
}

export interface RevokeOutcome {
  container: string;
  target: string;
  ok: boolean;
  stderr: string;
}

/** A WatchDecisions subscriber. */
export interface DecisionSink {
  send(parameters: JsonObject): boolean;
  readonly signal: AbortSignal;
}

export const RECENT_ENTRIES = 20;

export class LastingDecisions {
  readonly #o: Required<Omit<LastingDecisionsOptions, 'retryMs'>> & {retryMs: {first: number; max: number}};
  readonly #logFile: DecisionLogFile;
  #rules: Decision[] = [];
  #rulesError = '';
  #grants = new Map<string, Decision>();
  #index = new DecisionIndex([]);
  #applied: Application[] = [];
  readonly #revocations = new Map<string, Revocation>();
  /** Why this hub ended a grant, for the log line of its revocation; a grant gone without a word was revoked. */
  readonly #ended = new Map<string, DecidedBy>();
  readonly #sinks = new Set<DecisionSink>();
  readonly #watchers: FSWatcher[] = [];
  readonly #settle = new Map<string, NodeJS.Timeout>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  // Reloads and grant refreshes one at a time, in order.
  #work: Promise<void> = Promise.resolve();

  constructor(options: LastingDecisionsOptions) {
    this.#o = {now: Date.now, tickMs: 1000, settleMs: 50, retryMs: {first: 1000, max: 300_000}, ...options};
    this.#logFile = new DecisionLogFile(options.paths.log);
  }

  get rulesFile(): string {
    return this.#o.paths.rulesFile;
  }

  get rulesError(): string {
    return this.#rulesError;
  }

  /** Loads what is on disk, revokes what ended while no hub ran, and starts following the files. */
  async start(): Promise<void> {
    const {paths} = this.#o;
    await ensurePrivateDir(dirname(paths.rulesFile));
    await ensurePrivateDir(paths.grantsDir);
    await ensurePrivateDir(paths.appliedDir);
    this.#applied = await this.#readApplied();
    // Through the queue like every later reload: a timer the first refresh sets must not revoke beside it.
    await this.#queue(() => this.#reloadRules());
    await this.#queue(() => this.#refreshGrants());
    this.#follow(dirname(paths.rulesFile), (name) => name === basename(paths.rulesFile), () => this.#reloadRules());
    this.#follow(paths.grantsDir, (name) => !isTemporary(name), () => this.#refreshGrants());
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#watchers.splice(0)) w.close();
    for (const t of this.#settle.values()) clearTimeout(t);
    this.#settle.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#sinks.clear();
    await this.#work;
  }

  /** The decision that answers a block now, or null: ask the operator. */
  match(event: ClearanceEvent): Match | null {
    if (this.#index.size === 0) return null;
    return this.#index.match(blockFacts(event), this.#o.now());
  }

  /** Every live rule and grant, as the Decisions method lists them. */
  decisions(): {rules: Decision[]; grants: Decision[]} {
    return {rules: this.#rules, grants: this.#liveGrants()};
  }

  newId(kind: 'rule' | 'grant'): string {
    return newDecisionId(kind);
  }

  /** Makes a decision last: a rule into the rules file, a grant into the grant store. Rejects when it cannot. */
  async add(decision: Decision): Promise<void> {
    if (decision.kind === 'rule') {
      await addRule(this.#o.paths.rulesFile, decision);
      await this.#queue(() => this.#reloadRules());
    } else {
      await saveGrant(this.#o.paths.grantsDir, decision);
      await this.#queue(() => this.#refreshGrants());
    }
  }

  /** Notes that this hub allowed `target` for `event`'s container under the grant `decision`, to revoke it later. */
  async applied(decision: Decision, event: ClearanceEvent): Promise<void> {
    if (decision.kind !== 'grant' || decision.action !== 'allow') return;
    const app = {grant: decision.id, container: event.container, project: event.dossier.project ?? '',
      target: bindingTarget(event), dest: event.dest};
    if (this.#applied.some((a) => a.grant === app.grant && a.container === app.container && a.target === app.target)) return;
    this.#applied.push(app);
    await this.#saveApplied();
    // The grant may have ended while the shield ran: its revocation must include this one.
    if (!this.#grants.has(decision.id)) await this.#queue(() => this.#refreshGrants());
  }

  /** A container exited or its shield went down: grants that last until then end. */
  containerEnded(container: string): void {
    for (const g of this.#grants.values()) {
      if (g.untilExit === container) void this.#queue(async () => {
        await this.#end(g, 'exit');
      });
    }
  }

  /** Ends the grant `id` now and revokes what this hub allowed under it; null when there is no such grant. */
  async revoke(id: string): Promise<RevokeOutcome[] | null> {
    let outcomes: RevokeOutcome[] | null = null;
    await this.#queue(async () => {
      const grant = this.#grants.get(id);
      if (grant) outcomes = await this.#end(grant, 'revoke');
    });
    return outcomes;
  }

  /** Removes a rule from the file; null when there is none. Rejects when the file cannot be edited. */
  async removeRule(id: string): Promise<Decision | null> {
    const removed = await removeRule(this.#o.paths.rulesFile, id);
    if (removed) await this.#queue(() => this.#reloadRules());
    return removed;
  }

  /** Appends a decision to the log (fsynced) and streams it to WatchDecisions subscribers. */
  async record(entry: Omit<DecisionLogEntry, 'at' | 'hub'>): Promise<void> {
    const full: DecisionLogEntry = {at: new Date(this.#o.now()).toISOString(), hub: this.#o.hub, ...entry};
    try {
      await this.#logFile.append(full);
    } catch (e) {
      this.#o.log.error(`decision log ${this.#logFile.path}: ${(e as Error).message}`);
    }
    this.#broadcast({entry: {...full}});
  }

  /** WatchDecisions: the state and the log's recent entries, then every change, until the subscriber goes. */
  async watch(sink: DecisionSink): Promise<void> {
    if (sink.signal.aborted) return;
    const recent = await this.#logFile.recent(RECENT_ENTRIES);
    if (sink.signal.aborted) return;
    sink.send({state: this.state(), recent: recent.map((e) => ({...e}))});
    this.#sinks.add(sink);
    await new Promise<void>((resolve) => sink.signal.addEventListener('abort', () => resolve(), {once: true}));
    this.#sinks.delete(sink);
  }

  state(): JsonObject {
    return {
      grants: this.#liveGrants().map((g) => ({...decisionRecord(g)})),
      rules_count: this.#rules.length,
      rules_file: this.#o.paths.rulesFile,
      rules_error: this.#rulesError,
      failing: [...this.#revocations.values()].filter((r) => r.attempts > 0).map((r) => ({
        decision: r.grant, container: r.container, target: r.target, stderr: r.stderr, attempts: r.attempts,
        next_retry: new Date(r.nextAt).toISOString(),
      })),
    };
  }

  #liveGrants(): Decision[] {
    const now = this.#o.now();
    return [...this.#grants.values()].filter((g) => g.expires === null || g.expires > now);
  }

  #queue(step: () => Promise<void>): Promise<void> {
    const done = this.#work.then(() => (this.#closed ? undefined : step()));
    this.#work = done.catch((e) => this.#o.log.error(`lasting decisions: ${(e as Error).message}`));
    return done;
  }

  #follow(dir: string, relevant: (name: string) => boolean, reload: () => Promise<void>): void {
    const watcher = watch(dir, (_type, name) => {
      if (name !== null && !relevant(name.toString())) return;
      clearTimeout(this.#settle.get(dir));
      this.#settle.set(dir, setTimeout(() => {
        this.#settle.delete(dir);
        void this.#queue(reload);
      }, this.#o.settleMs));
    });
    watcher.on('error', (e) => this.#o.log.warning(`watching ${dir}: ${e.message}`));
    this.#watchers.push(watcher);
  }

  async #reloadRules(): Promise<void> {
    const {rulesFile} = this.#o.paths;
    let error = '';
    try {
      const parsed = await readRules(rulesFile);
      if (parsed.ok) this.#rules = parsed.rules;
      else error = problemsText(parsed.problems);
    } catch (e) {
      error = (e as Error).message;
    }
    if (error !== this.#rulesError) {
      if (error) this.#o.log.warning(`${rulesFile}: ${error}; the last good rules (${this.#rules.length}) stay in force`);
      else this.#o.log.info(`${rulesFile}: ${this.#rules.length} rules`);
    }
    this.#rulesError = error;
    this.#reindex();
  }

  async #refreshGrants(): Promise<void> {
    const {grants, problems} = await listGrants(this.#o.paths.grantsDir);
    for (const p of problems) this.#o.log.warning(`grant store: ${p}; it grants nothing`);
    const now = this.#o.now();
    this.#grants = new Map();
    for (const g of grants) {
      if (g.expires !== null && g.expires <= now) await this.#end(g, 'expiry');
      else this.#grants.set(g.id, g);
    }
    // What this hub allowed under grants that are gone: revoke it.
    for (const app of this.#applied) {
      if (!this.#grants.has(app.grant)) this.#scheduleRevocation(app, this.#ended.get(app.grant) ?? 'revoke');
    }
    this.#reindex();
    await this.#runDue();
  }

  /** Ends a grant; the outcomes of the first try at revoking what this hub allowed under it. */
  async #end(grant: Decision, why: DecidedBy): Promise<RevokeOutcome[]> {
    this.#ended.set(grant.id, why);
    this.#grants.delete(grant.id);
    await removeGrant(this.#o.paths.grantsDir, grant.id);
    for (const app of this.#applied) if (app.grant === grant.id) this.#scheduleRevocation(app, why);
    this.#reindex();
    return (await this.#runDue()).filter((o) => o.grant === grant.id)
      .map(({container, target, ok, stderr}) => ({container, target, ok, stderr}));
  }

  #scheduleRevocation(app: Application, by: DecidedBy): void {
    const key = JSON.stringify([app.grant, app.container, app.target]);
    if (!this.#revocations.has(key)) {
      this.#revocations.set(key, {...app, by, attempts: 0, nextAt: this.#o.now(), stderr: ''});
    }
  }

  async #runDue(): Promise<(RevokeOutcome & {grant: string})[]> {
    const now = this.#o.now();
    const outcomes = [];
    for (const r of [...this.#revocations.values()]) {
      if (r.nextAt <= now) outcomes.push({grant: r.grant, ...await this.#attempt(r)});
    }
    this.#schedule();
    return outcomes;
  }

  /** One try at revoking; on success the application is forgotten, on failure it waits for its next try. */
  async #attempt(r: Revocation): Promise<RevokeOutcome> {
    const key = JSON.stringify([r.grant, r.container, r.target]);
    // Still allowed by another live decision: the shield must keep it open; that decision owns it now.
    const other = this.#index.match({container: r.container, project: r.project, dest: r.target, domain: r.target,
      port: 0}, this.#o.now());
    let result: {ok: boolean; stderr: string};
    if (other && other.decision.action === 'allow' && other.decision.port === 0) {
      result = {ok: true, stderr: ''};
      if (other.decision.kind === 'grant') {
        this.#applied.push({grant: other.decision.id, container: r.container, project: r.project, target: r.target,
          dest: r.dest});
      }
    } else {
      result = await applyToBlock(this.#o.applier, r.container, {dest: r.dest, domain: r.target}, 'deny');
      if (result.ok || r.attempts === 0) {
        await this.record({by: r.by, decision: r.grant, lasting: '', container: r.container, identity: '',
          request_id: '', target: r.target, port: 0, action: 'deny', ok: result.ok, stderr: result.stderr, ui: '', uid: -1});
      }
    }
    if (result.ok) {
      this.#revocations.delete(key);
      this.#applied = this.#applied.filter((a) => !(a.grant === r.grant && a.container === r.container && a.target === r.target));
      await this.#saveApplied();
    } else {
      r.attempts++;
      r.stderr = result.stderr;
      const {first, max} = this.#o.retryMs;
      r.nextAt = this.#o.now() + Math.min(max, first * 2 ** (r.attempts - 1));
      this.#o.log.warning(`revoking ${r.target} for ${r.container} (grant ${r.grant}) failed, attempt ${r.attempts}: ${r.stderr}`);
    }
    this.#broadcast({state: this.state()});
    this.#schedule();
    return {container: r.container, target: r.target, ok: result.ok, stderr: result.stderr};
  }

  /** One timer: the next grant end or retry, read against the wall clock at least every tickMs. */
  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#closed) return;
    const times = [...this.#grants.values()].flatMap((g) => (g.expires === null ? [] : [g.expires]))
      .concat([...this.#revocations.values()].map((r) => r.nextAt));
    if (times.length === 0) return;
    const wait = Math.max(0, Math.min(this.#o.tickMs, Math.min(...times) - this.#o.now()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#queue(() => this.#tick());
    }, wait);
  }

  async #tick(): Promise<void> {
    const now = this.#o.now();
    for (const g of [...this.#grants.values()]) if (g.expires !== null && g.expires <= now) await this.#end(g, 'expiry');
    await this.#runDue();
  }

  #reindex(): void {
    this.#index = new DecisionIndex([...this.#rules, ...this.#grants.values()]);
    this.#broadcast({state: this.state()});
    this.#schedule();
  }

  #broadcast(parameters: JsonObject): void {
    for (const sink of this.#sinks) sink.send(parameters);
  }

  get #appliedFile(): string {
    return join(this.#o.paths.appliedDir, `${this.#o.hub}.json`);
  }

  async #readApplied(): Promise<Application[]> {
    let text: string;
    try {
      text = await readFile(this.#appliedFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    try {
      const list: unknown = JSON.parse(text);
      if (Array.isArray(list) && list.every(isApplication)) return list;
    } catch {
      // Reported below.
    }
    // Written atomically by us only: unreadable means tampering or a bug. It may hold allows to revoke, so stop.
    throw new Error(`${this.#appliedFile} is not a list of grant applications; move it away to start`);
  }

  async #saveApplied(): Promise<void> {
    await mkdir(this.#o.paths.appliedDir, {recursive: true, mode: 0o700});
    await writeFileAtomic(this.#appliedFile, `${JSON.stringify(this.#applied)}\n`);
  }
}

function isApplication(x: unknown): x is Application {
  const a = x as Application;
  return typeof x === 'object' && x !== null && typeof a.grant === 'string' && typeof a.container === 'string'
    && typeof a.project === 'string' && typeof a.target === 'string' && typeof a.dest === 'string'
    && Object.keys(x).length === 5;
}

/** A fresh id: "r…" for a rule, "g…" for a grant (the hub's Decide and the CLI's `rules add`). */
export function newDecisionId(kind: 'rule' | 'grant'): string {
  return `${kind === 'rule' ? 'r' : 'g'}${randomBytes(5).toString('hex')}`;
}

export function blockFacts(event: ClearanceEvent): BlockFacts {
  return {container: event.container, project: event.dossier.project ?? '', dest: event.dest, domain: event.domain,
    port: event.port};
}
