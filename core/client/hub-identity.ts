// Container names from the hubs themselves (ContainerIdentity, which their verdict helper answers from podman and
// the task metadata): the identity source of a client that cannot run podman, like the GNOME Shell extension. Each
// container is asked of the hub that emitted its latest event; a hub without the method names nothing.
import type {IdentitySource} from './identity-feed.js';
import type {IdentityRoutes} from './hub-set.js';

export function hubIdentity(hubs: IdentityRoutes): IdentitySource {
  return {
    resolve: (container, origin) => hubs.containerIdentity(origin, container),
    // The hub's helper keeps its own cache; nothing is kept here.
    forget: () => {},
  };
}
