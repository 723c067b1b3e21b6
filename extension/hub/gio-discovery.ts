// Finds every hub socket on Gio (the layout and the comparison of scans are core/client/hub-sockets.ts): directory
// monitors on R, R/terok, R/terok/clearance, each R/terok/clearance/<id>/ and the directory of each configured
// socket, armed only on directories that exist and re-armed by every rescan, so a directory that appears is watched
// from then on and one that vanishes drops its monitor. Every relevant change triggers a rescan after a short settle;
// a slow periodic rescan catches anything a monitor missed. All file system access is asynchronous.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type {Discovery, DiscoveryListener} from '../../core/client/hub-set.js';
import {
  byHubOrder, hubChanges, hubSearchRoots, perContainerHub, sessionHub, watchPlan,
  type FoundHub, type HubSocket, type Relevant,
} from '../../core/client/hub-sockets.js';
import type {Scheduler} from '../../core/client/scheduler.js';

export interface GioDiscoveryOptions {
  runtimeDir: string;
  scheduler: Scheduler;
  /** The safety-net rescan period. */
  rescanMs?: number;
}

/** Coalesces a burst of directory events (a hub binding creates and links a temporary name) into one rescan. */
const SETTLE_MS = 20;

export class GioDiscovery implements Discovery {
  readonly #runtime: string;
  readonly #scheduler: Scheduler;
  readonly #rescanMs: number;
  readonly #found = new Map<string, FoundHub>();
  /** The identity of each configured socket at the last scan ('' when absent). */
  readonly #configured = new Map<string, string>();
  readonly #monitors = new Map<string, {monitor: Gio.FileMonitor; relevant: Relevant}>();
  #cancellable = new Gio.Cancellable();
  #cancelSettle: (() => void) | null = null;
  #cancelRescan: (() => void) | null = null;
  #scanning = false;
  #again = false;
  #running = false;

  constructor(private readonly listener: DiscoveryListener, options: GioDiscoveryOptions) {
    this.#runtime = options.runtimeDir;
    this.#scheduler = options.scheduler;
    this.#rescanMs = options.rescanMs ?? 30_000;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#cancellable = new Gio.Cancellable();
    void this.rescan();
  }

  /**
   * Sockets the operator listed by path (the hub set keeps them, present or not): their directories are watched
   * too, and a socket that appears or is replaced there is reported as added, so its hub is tried at once.
   */
  setConfigured(paths: readonly string[]): void {
    const wanted = new Set(paths);
    for (const path of [...this.#configured.keys()]) if (!wanted.has(path)) this.#configured.delete(path);
    for (const path of wanted) if (!this.#configured.has(path)) this.#configured.set(path, '');
    if (this.#running) this.#settle();
  }

  /** The hubs found by the last scan. */
  hubs(): HubSocket[] {
    return [...this.#found.values()].map((f) => f.hub);
  }

  /** Scans now (a scan under way is followed by one more), then again after the slow period. */
  async rescan(): Promise<void> {
    if (!this.#running) return;
    if (this.#scanning) {
      this.#again = true;
      return;
    }
    this.#scanning = true;
    this.#cancelRescan?.();
    this.#cancelRescan = null;
    try {
      do {
        this.#again = false;
        await this.#scan();
      } while (this.#again && this.#running);
    } finally {
      this.#scanning = false;
    }
    if (this.#running) this.#cancelRescan = this.#scheduler.after(this.#rescanMs, () => void this.rescan());
  }

  close(): void {
    this.#running = false;
    this.#cancellable.cancel();
    this.#cancelSettle?.();
    this.#cancelRescan?.();
    this.#cancelSettle = this.#cancelRescan = null;
    for (const path of [...this.#monitors.keys()]) this.#unwatch(path);
    this.#found.clear();
  }

  async #scan(): Promise<void> {
    const {perContainerDir} = hubSearchRoots(this.#runtime);
    const entries = await listDir(perContainerDir, this.#cancellable);
    if (!this.#running) return;
    await this.#arm(this.#plan(entries));
    if (!this.#running) return;

    const candidates = entries.map((entry) => perContainerHub(perContainerDir, entry)).filter((h) => h !== null);
    const identities = await Promise.all([sessionHub(this.#runtime), ...candidates].map(async (hub) => {
      const identity = await socketIdentity(hub.path, this.#cancellable);
      return identity === null ? null : {hub, identity};
    }));
    const configured = await Promise.all([...this.#configured.keys()].map(async (path) =>
      [path, await socketIdentity(path, this.#cancellable) ?? ''] as const));
    if (!this.#running) return;

    const {removed, added} = hubChanges(this.#found, identities.filter((f) => f !== null).sort(byHubOrder));
    for (const gone of removed) {
      this.#found.delete(gone.hub.path);
      this.listener.removed(gone.hub);
    }
    for (const found of added) {
      this.#found.set(found.hub.path, found);
      this.listener.added(found.hub);
    }
    for (const [path, identity] of configured) {
      if (!this.#configured.has(path) || this.#configured.get(path) === identity) continue;
      this.#configured.set(path, identity);
      if (identity) this.listener.added({path, layout: 'configured', container: ''});
    }
  }

  /** The hub directories, plus the directory of each configured socket (watching for its name). */
  #plan(entries: string[]): Map<string, Relevant> {
    const plan = watchPlan(this.#runtime, entries);
    for (const path of this.#configured.keys()) {
      const file = Gio.File.new_for_path(path);
      const dir = file.get_parent()?.get_path();
      if (!dir) continue;
      const name = file.get_basename();
      const before = plan.get(dir);
      plan.set(dir, (entry) => entry === null || entry === name || (before?.(entry) ?? false));
    }
    return plan;
  }

  /** Watches exactly the planned directories that exist; a monitor on a directory now gone is dropped. */
  async #arm(plan: Map<string, Relevant>): Promise<void> {
    const present = new Map(await Promise.all([...new Set([...plan.keys(), ...this.#monitors.keys()])]
      .map(async (dir) => [dir, await isDirectory(dir, this.#cancellable)] as const)));
    if (!this.#running) return;
    for (const path of [...this.#monitors.keys()]) {
      if (!plan.has(path) || !present.get(path)) this.#unwatch(path);
    }
    for (const [path, relevant] of plan) {
      const watched = this.#monitors.get(path);
      if (watched) {
        watched.relevant = relevant;
        continue;
      }
      if (present.get(path)) this.#watch(path, relevant);
    }
  }

  #watch(path: string, relevant: Relevant): void {
    let monitor: Gio.FileMonitor;
    try {
      monitor = Gio.File.new_for_path(path).monitor_directory(Gio.FileMonitorFlags.NONE, null);
    } catch {
      return; // gone since the check, or out of inotify watches: the periodic rescan still covers it
    }
    const entry = {monitor, relevant};
    monitor.connect('changed', (_monitor: Gio.FileMonitor, file: Gio.File, _other: Gio.File | null,
      event: Gio.FileMonitorEvent) => {
      // The directory itself went away: this monitor is dead even if a new directory appears at the path.
      if (file.get_path() === path && event === Gio.FileMonitorEvent.DELETED) {
        this.#unwatch(path);
        this.#settle();
      } else if (entry.relevant(file.get_basename())) {
        this.#settle();
      }
    });
    this.#monitors.set(path, entry);
  }

  #unwatch(path: string): void {
    const entry = this.#monitors.get(path);
    if (!entry) return;
    this.#monitors.delete(path);
    entry.monitor.cancel();
  }

  #settle(): void {
    if (!this.#running || this.#cancelSettle) return;
    this.#cancelSettle = this.#scheduler.after(SETTLE_MS, () => {
      this.#cancelSettle = null;
      void this.rescan();
    });
  }
}

/** The names in `dir`, or none when it does not exist or cannot be read. */
async function listDir(dir: string, cancellable: Gio.Cancellable): Promise<string[]> {
  const file = Gio.File.new_for_path(dir);
  try {
    const enumerator = await new Promise<Gio.FileEnumerator>((resolve, reject) => {
      file.enumerate_children_async('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, GLib.PRIORITY_DEFAULT,
        cancellable, (_source, result) => {
          try {
            resolve(file.enumerate_children_finish(result));
          } catch (e) {
            reject(e);
          }
        });
    });
    const names: string[] = [];
    for (;;) {
      const batch = await new Promise<Gio.FileInfo[]>((resolve, reject) => {
        enumerator.next_files_async(64, GLib.PRIORITY_DEFAULT, cancellable, (_source, result) => {
          try {
            resolve(enumerator.next_files_finish(result));
          } catch (e) {
            reject(e);
          }
        });
      });
      if (batch.length === 0) break;
      names.push(...batch.map((info) => info.get_name()));
    }
    enumerator.close_async(GLib.PRIORITY_DEFAULT, null, () => {});
    return names;
  } catch {
    return [];
  }
}

function queryInfo(path: string, attributes: string, cancellable: Gio.Cancellable): Promise<Gio.FileInfo | null> {
  const file = Gio.File.new_for_path(path);
  return new Promise((resolve) => {
    file.query_info_async(attributes, Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, GLib.PRIORITY_DEFAULT, cancellable,
      (_source, result) => {
        try {
          resolve(file.query_info_finish(result));
        } catch {
          resolve(null);
        }
      });
  });
}

async function isDirectory(path: string, cancellable: Gio.Cancellable): Promise<boolean> {
  return (await queryInfo(path, 'standard::type', cancellable))?.get_file_type() === Gio.FileType.DIRECTORY;
}

/**
 * The identity of the socket at `path` (device, inode, change time), or null when no socket is there: a hub that
 * restarted bound a new socket at the same path and is a new hub; inode numbers alone are reused at once.
 */
async function socketIdentity(path: string, cancellable: Gio.Cancellable): Promise<string | null> {
  const info = await queryInfo(path,
    'standard::type,unix::device,unix::inode,time::changed,time::changed-usec', cancellable);
  if (info?.get_file_type() !== Gio.FileType.SPECIAL) return null;
  return [info.get_attribute_uint32('unix::device'), info.get_attribute_uint64('unix::inode'),
    info.get_attribute_uint64('time::changed'), info.get_attribute_uint32('time::changed-usec')].join(':');
}
