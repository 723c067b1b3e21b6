// Socket paths of wire.md §5: one session hub for the user, or one hub per container (the layout terok-sandbox's
// supervisor binds), plus the earlier per-container layout that clients still discover.
import {isAbsolute, join} from 'node:path';
import {CONTAINER_ID, SESSION_HUB_NAME} from '../core/client/hub-sockets.js';

/** `$XDG_RUNTIME_DIR` when set to an absolute path, else `/run/user/<uid>`. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.XDG_RUNTIME_DIR;
  return dir && isAbsolute(dir) ? dir : `/run/user/${process.getuid!()}`;
}

export interface HubPaths {
  hub: string;
  reader: string;
  verdict: string;
}

export function sessionPaths(runtime = runtimeDir()): HubPaths {
  return {
    hub: join(runtime, SESSION_HUB_NAME),
    reader: join(runtime, 'terok-shield-events.sock'),
    verdict: join(runtime, 'terok-clearance-verdict.sock'),
  };
}

export function containerPaths(id: string, runtime = runtimeDir()): HubPaths {
  if (!CONTAINER_ID.test(id)) throw new Error(`container id must be 12 lowercase hex characters, got '${id}'`);
  return {
    hub: join(runtime, 'terok', 'clearance', id, 'hub.sock'),
    reader: join(runtime, 'terok', 'events', id, 'ingester.sock'),
    verdict: join(runtime, 'terok', 'verdict', `${id}.sock`),
  };
}
