// One-shot access to every hub for the non-interactive commands: connect to each socket found, ask for its pending
// requests, let the caller act, then close everything.
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {fetchPending} from '../../core/client/clearance-calls.js';
import {hubLabel, hubSearchRoots, type HubSocket} from '../../core/client/hub-sockets.js';
import {connectFailure} from '../client/unix-hub-connection.js';
import {scanHubSockets} from '../client/hub-discovery.js';
import {logger} from '../log.js';
import {runtimeDir} from '../paths.js';
import {VarlinkClient} from '../varlink/client.js';

export interface ReachedHub {
  readonly socket: HubSocket;
  readonly label: string;
  readonly client: VarlinkClient;
  /** null: the hub has no Pending method (an older or Python hub), so what it holds cannot be listed. */
  readonly pending: ClearanceEvent[] | null;
}

export interface HubQuery {
  readonly reached: ReachedHub[];
  /** Hubs whose socket exists but that did not answer, with the reason. */
  readonly failed: {label: string; reason: string}[];
  /** Where the session hub would be (for "no hub is running" messages). */
  readonly sessionPath: string;
}

const CONNECT_TIMEOUT_MS = 3000;
const log = logger('terok-clearance');

export async function withHubs<T>(act: (query: HubQuery) => Promise<T>, runtime = runtimeDir()): Promise<T> {
  const results = await Promise.all(scanHubSockets(runtime).map((socket) => reach(socket)));
  const reached = results.filter((r): r is ReachedHub => 'client' in r);
  try {
    return await act({
      reached,
      failed: results.filter((r): r is {label: string; reason: string} => 'reason' in r),
      sessionPath: hubSearchRoots(runtime).session,
    });
  } finally {
    for (const hub of reached) hub.client.close();
  }
}

async function reach(socket: HubSocket): Promise<ReachedHub | {label: string; reason: string}> {
  const label = hubLabel(socket);
  let client: VarlinkClient | undefined;
  try {
    client = await VarlinkClient.connect(socket.path, {timeoutMs: CONNECT_TIMEOUT_MS});
    const pending = await fetchPending(client, (what) => log.warning(`hub ${label}: ${what}`));
    return {socket, label, client, pending};
  } catch (e) {
    client?.close();
    return {label, reason: connectFailure(socket.path, e).reason};
  }
}
