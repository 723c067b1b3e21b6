// org.terok.Clearance1 on a varlink server: the wire face of ClearanceHub.
import {sanitise} from '../../core/clearance/sanitise.js';
import {requireMore, type VarlinkServer} from '../varlink/server.js';
import {CLEARANCE_IDL} from './clearance-idl.js';
import type {ClearanceHub} from './hub.js';

const str = (v: unknown) => v as string;

/**
 * Server limits for a hub. A subscriber's output may queue up to 1 MiB (≈3,000 events) before the hub's own
 * drop-oldest queue applies, so a reader that keeps reading rides out bursts without loss; a stuck one costs at
 * most that plus its queue.
 */
export const HUB_SERVER_LIMITS = {outputHighWaterBytes: 1 << 20, maxQueuedOutputBytes: 4 << 20, maxConnections: 1024};

export function serveClearance(server: VarlinkServer, hub: ClearanceHub): void {
  // Parameters are validated against the IDL before a handler runs, so the casts below are checked facts.
  server.addInterface(CLEARANCE_IDL, {
    Subscribe: requireMore(async (ctx) => {
      await hub.subscribe(ctx);
    }),
    Watch: requireMore(async (ctx) => {
      await hub.watch(ctx);
    }),
    Verdict: ({parameters: p, peerUid}) =>
      hub.verdict(str(p.container), str(p.request_id), str(p.dest), str(p.action), {ui: '', uid: peerUid}),
    Pending: () => ({events: hub.pending()}),
    VerdictContainer: ({parameters: p, peerUid}) =>
      hub.verdictContainer(str(p.container), str(p.action), {ui: '', uid: peerUid}),
    ContainerIdentity: ({parameters: p}) => hub.containerIdentity(str(p.container)),
    Decide: ({parameters: p, peerUid}) => hub.decide({
      container: str(p.container), request_id: str(p.request_id), dest: str(p.dest), action: str(p.action),
      lasting: str(p.lasting), scope: str(p.scope), pattern: str(p.pattern), confirmed: p.confirmed as boolean,
    }, {ui: sanitise(str(p.ui), 32), uid: peerUid}),
    Decisions: () => hub.listDecisions(),
    WatchDecisions: requireMore(async (ctx) => {
      await hub.watchDecisions(ctx);
    }),
    Revoke: ({parameters: p}) => hub.revoke(str(p.id)),
    RemoveRule: ({parameters: p}) => hub.removeRule(str(p.id)),
  });
}
