// Whether the clients ask podman who a container is. By default they do when `podman` is on PATH; the environment
// variable TEROK_CLEARANCE_PODMAN turns it off ("off", "no", "0", "false") or names the podman to run (a path).
import {accessSync, constants} from 'node:fs';
import {delimiter, isAbsolute, join} from 'node:path';
import {NULL_INSPECTOR, type ContainerInspector} from './container-inspector.js';
import {IdentityResolver} from './identity-resolver.js';
import {PodmanInspector} from './podman-inspector.js';

export const PODMAN_ENV = 'TEROK_CLEARANCE_PODMAN';
const OFF = new Set(['off', 'no', '0', 'false']);

/** The podman to run, or null when identities are not looked up. */
export function podmanCommand(env: NodeJS.ProcessEnv = process.env): string | null {
  const setting = env[PODMAN_ENV]?.trim() ?? '';
  if (OFF.has(setting.toLowerCase())) return null;
  if (setting) return setting;
  return onPath('podman', env.PATH ?? '');
}

export function identityResolverFromEnv(env: NodeJS.ProcessEnv = process.env): IdentityResolver {
  const podman = podmanCommand(env);
  const inspector: ContainerInspector = podman ? new PodmanInspector({command: [podman]}) : NULL_INSPECTOR;
  return new IdentityResolver(inspector);
}

function onPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would depend on where the client was started
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
