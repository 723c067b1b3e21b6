// Where hubs live (wire.md §5) and how a discovery decides what changed: the session hub R/terok-clearance.sock, the
// per-container hubs R/terok/clearance/<id>/hub.sock and the earlier layout R/terok/clearance/<id>.sock. The file
// system is the edge's (Node's fs.watch, GJS's Gio.FileMonitor); the names, the directories worth watching and the
// comparison of two scans are the same for both.

export type HubLayout = 'session' | 'container' | 'container-earlier' | 'configured';

export interface HubSocket {
  readonly path: string;
  /** 'configured': a socket the operator listed by path (the extension's settings). */
  readonly layout: HubLayout;
  /** The container id of a per-container hub, "" otherwise. */
  readonly container: string;
}

/** A hub socket found by a scan, with the identity of the file (device, inode, change time). */
export interface FoundHub {
  readonly hub: HubSocket;
  readonly identity: string;
}

export const SESSION_HUB_NAME = 'terok-clearance.sock';
const PER_CONTAINER_HUB_NAME = 'hub.sock';

/** A container id as the sockets name it: 12 lowercase hex characters. */
export const CONTAINER_ID = /^[0-9a-f]{12}$/;
const EARLIER_SOCKET = /^([0-9a-f]{12})\.sock$/;

/** How a hub is named to the operator: "session", its container id, or the configured path. */
export function hubLabel(hub: HubSocket): string {
  return hub.layout === 'session' ? 'session' : hub.layout === 'configured' ? hub.path : hub.container;
}

/** `parts` joined under the absolute directory `dir` (no `..` or empty parts: every caller passes fixed names). */
export function childPath(dir: string, ...parts: string[]): string {
  return [dir.replace(/\/+$/, ''), ...parts].join('/');
}

/** Where clients look for hubs: the session socket and the directory holding both per-container layouts. */
export function hubSearchRoots(runtime: string): {session: string; perContainerDir: string} {
  return {session: childPath(runtime, SESSION_HUB_NAME), perContainerDir: childPath(runtime, 'terok', 'clearance')};
}

export function sessionHub(runtime: string): HubSocket {
  return {path: hubSearchRoots(runtime).session, layout: 'session', container: ''};
}

/**
 * The hub socket an entry of the per-container directory would hold (`<id>.sock` is one, `<id>/` holds
 * `hub.sock`), or null for any other name. Whether the socket exists is for the caller to check.
 */
export function perContainerHub(perContainerDir: string, entry: string): HubSocket | null {
  const earlier = EARLIER_SOCKET.exec(entry);
  if (earlier) return {path: childPath(perContainerDir, entry), layout: 'container-earlier', container: earlier[1]!};
  if (CONTAINER_ID.test(entry)) {
    return {path: childPath(perContainerDir, entry, PER_CONTAINER_HUB_NAME), layout: 'container', container: entry};
  }
  return null;
}

/** Which entry names of a watched directory can change the set of hubs; null: the watch did not say. */
export type Relevant = (name: string | null) => boolean;

/**
 * The directories to watch, given the entries of the per-container directory now: R, R/terok, R/terok/clearance and
 * each R/terok/clearance/<id>/. A watch on a directory that does not exist yet is impossible, so its parent's watch
 * reports it appearing; the edge watches only those that exist and re-plans on every change.
 */
export function watchPlan(runtime: string, perContainerEntries: readonly string[]): Map<string, Relevant> {
  const {perContainerDir: dir} = hubSearchRoots(runtime);
  const plan = new Map<string, Relevant>([
    [runtime, (name) => name === null || name === SESSION_HUB_NAME || name === 'terok'],
    [childPath(runtime, 'terok'), (name) => name === null || name === 'clearance'],
    [dir, () => true],
  ]);
  for (const entry of perContainerEntries) {
    if (CONTAINER_ID.test(entry)) {
      plan.set(childPath(dir, entry), (name) => name === null || name === PER_CONTAINER_HUB_NAME);
    }
  }
  return plan;
}

/** Session first, then by path: the order hubs are reported in. */
export function byHubOrder(a: FoundHub, b: FoundHub): number {
  const rank = (h: FoundHub) => (h.hub.layout === 'session' ? 0 : 1);
  return rank(a) - rank(b) || a.hub.path.localeCompare(b.hub.path);
}

/**
 * What changed between the hubs known and those a scan found. A socket replaced at the same path (a hub that
 * restarted) has a new identity: it is removed and added again, a new hub.
 */
export function hubChanges(known: ReadonlyMap<string, FoundHub>, found: readonly FoundHub[]): {
  removed: FoundHub[];
  added: FoundHub[];
} {
  const now = new Map(found.map((f) => [f.hub.path, f]));
  const removed = [...known.values()].filter((k) => now.get(k.hub.path)?.identity !== k.identity);
  const added = found.filter((f) => known.get(f.hub.path)?.identity !== f.identity);
  return {removed, added};
}
