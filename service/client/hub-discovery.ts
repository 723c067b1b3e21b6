// Follows every hub socket (wire.md §5; the layout is core/client/hub-sockets.ts) as it appears and vanishes by
// watching the directories (inotify through fs.watch), the parents too while they do not exist yet; every change
// triggers a rescan, which also re-arms the watches. A slow periodic rescan catches anything a watch missed (a
// directory replaced between two events, a watch that failed).
import {lstatSync, readdirSync, watch, type FSWatcher} from 'node:fs';
import {basename} from 'node:path';
import {
  byHubOrder, hubChanges, hubSearchRoots, perContainerHub, sessionHub, watchPlan, type FoundHub, type HubSocket,
} from '../../core/client/hub-sockets.js';
import {logger, type Logger} from '../log.js';
import {runtimeDir} from '../paths.js';
import {realTime, type Scheduler} from './node-timers.js';

export type {HubSocket} from '../../core/client/hub-sockets.js';

export interface DiscoveryListener {
  added(hub: HubSocket): void;
  removed(hub: HubSocket): void;
}

export interface DiscoveryOptions {
  runtimeDir?: string;
  /** The safety-net rescan period. */
  rescanMs?: number;
  scheduler?: Scheduler;
  log?: Logger;
}

/** Coalesces a burst of directory events (a hub binding creates and links a temporary name) into one rescan. */
const SETTLE_MS = 20;

/** Every hub socket present now, session first, then by path. */
export function scanHubSockets(runtime: string = runtimeDir()): HubSocket[] {
  return scan(runtime).map((f) => f.hub);
}

/**
 * The hub sockets present, each with the identity of the file: a hub that restarted bound a new socket at the same
 * path, possibly within one settle period, and is a new hub all the same. Inode numbers are reused at once on some
 * file systems, so the change time (the socket's creation) is part of it.
 */
function scan(runtime: string): FoundHub[] {
  const {perContainerDir: dir} = hubSearchRoots(runtime);
  const candidates = listDir(dir).map((entry) => perContainerHub(dir, entry)).filter((h) => h !== null);
  const found: FoundHub[] = [];
  for (const hub of [sessionHub(runtime), ...candidates]) {
    const identity = socketIdentity(hub.path);
    if (identity !== null) found.push({hub, identity});
  }
  return found.sort(byHubOrder);
}

export class HubDiscovery {
  readonly #runtime: string;
  readonly #rescanMs: number;
  readonly #scheduler: Scheduler;
  readonly #log: Logger;
  readonly #hubs = new Map<string, FoundHub>();
  readonly #watchers = new Map<string, FSWatcher>();
  #cancelSettle: (() => void) | null = null;
  #cancelRescan: (() => void) | null = null;
  #running = false;

  constructor(private readonly listener: DiscoveryListener, options: DiscoveryOptions = {}) {
    this.#runtime = options.runtimeDir ?? runtimeDir();
    this.#rescanMs = options.rescanMs ?? 30_000;
    this.#scheduler = options.scheduler ?? realTime;
    this.#log = options.log ?? logger('hub-discovery');
  }

  /** Scans at once (the listener hears about every hub present before start returns), then follows changes. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.rescan();
  }

  /** The hubs found by the last scan. */
  hubs(): HubSocket[] {
    return [...this.#hubs.values()].map((e) => e.hub);
  }

  rescan(): void {
    if (!this.#running) return;
    this.#cancelRescan?.();
    this.#armWatches();
    const {removed, added} = hubChanges(this.#hubs, scan(this.#runtime));
    for (const gone of removed) {
      this.#hubs.delete(gone.hub.path);
      this.listener.removed(gone.hub);
    }
    for (const found of added) {
      this.#hubs.set(found.hub.path, found);
      this.listener.added(found.hub);
    }
    this.#cancelRescan = this.#scheduler.after(this.#rescanMs, () => this.rescan());
  }

  close(): void {
    this.#running = false;
    this.#cancelSettle?.();
    this.#cancelRescan?.();
    this.#cancelSettle = this.#cancelRescan = null;
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#hubs.clear();
  }

  /**
   * Watches R, R/terok, R/terok/clearance and each R/terok/clearance/<id>/ that exists, and only those: a watch on
   * a directory that is gone is closed (a new directory at that path needs a new watch).
   */
  #armWatches(): void {
    const wanted = watchPlan(this.#runtime, listDir(hubSearchRoots(this.#runtime).perContainerDir));
    for (const [path, watcher] of this.#watchers) {
      if (wanted.has(path) && isDirectory(path)) continue;
      watcher.close();
      this.#watchers.delete(path);
    }
    for (const [path, relevant] of wanted) {
      if (this.#watchers.has(path) || !isDirectory(path)) continue;
      const self = basename(path);
      const drop = (watcher: FSWatcher) => {
        watcher.close();
        if (this.#watchers.get(path) === watcher) this.#watchers.delete(path);
        this.#settle();
      };
      try {
        const watcher: FSWatcher = watch(path, {persistent: false}, (_type, name) => {
          const entry = name === null ? null : basename(String(name));
          // The directory itself was removed (inotify names it): this watch is dead even if a new directory
          // appears at the path at once, so the rescan must arm a new one. A child of the same name only costs
          // a re-arm.
          if (entry === self) drop(watcher);
          else if (relevant(entry)) this.#settle();
        });
        watcher.on('error', (e) => {
          this.#log.debug(`watch on ${path} ended: ${e.message}`);
          drop(watcher);
        });
        this.#watchers.set(path, watcher);
      } catch (e) {
        // Gone between the check and the watch, or out of inotify watches: the periodic rescan still covers it.
        this.#log.debug(`cannot watch ${path}: ${(e as Error).message}`);
      }
    }
  }

  #settle(): void {
    if (!this.#running || this.#cancelSettle) return;
    this.#cancelSettle = this.#scheduler.after(SETTLE_MS, () => {
      this.#cancelSettle = null;
      this.rescan();
    });
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function socketIdentity(path: string): string | null {
  try {
    const stat = lstatSync(path, {bigint: true});
    return stat.isSocket() ? `${stat.dev}:${stat.ino}:${stat.ctimeNs}` : null;
  } catch {
    return null;
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
