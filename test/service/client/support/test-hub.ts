// The hub's own logic (ClearanceHub + serveClearance) on a real unix socket inside the test process, with a shield
// stand-in that records what it was asked. Tests ingest events directly, so they can also send what our ingester
// would never let through (a hostile domain), to check that the clients escape it.
import {makeEvent, type ClearanceEvent} from '../../../../core/clearance/event.js';
import type {VerdictAction} from '../../../../core/clearance/verdict.js';
import {HUB_SERVER_LIMITS, serveClearance} from '../../../../service/hub/clearance-service.js';
import type {ShieldApplier} from '../../../../core/clearance/verdict.js';
import {ClearanceHub, type HubOptions} from '../../../../service/hub/hub.js';
import {VarlinkServer} from '../../../../service/varlink/server.js';

export class RecordingShield implements ShieldApplier {
  calls: [string, string, VerdictAction][] = [];
  result = {ok: true, stderr: ''};
  async apply(container: string, dest: string, action: VerdictAction) {
    this.calls.push([container, dest, action]);
    return this.result;
  }
}

export interface TestHub {
  readonly path: string;
  readonly hub: ClearanceHub;
  readonly shield: RecordingShield;
  readonly server: VarlinkServer;
  close(): Promise<void>;
}

export async function startTestHub(path: string, options: HubOptions = {}): Promise<TestHub> {
  const shield = new RecordingShield();
  const hub = new ClearanceHub(shield, options);
  const server = new VarlinkServer({vendor: 'test', product: 'test hub', version: '0', url: '', ...HUB_SERVER_LIMITS});
  serveClearance(server, hub);
  await server.listen({path});
  return {path, hub, shield, server, close: () => server.close()};
}

export const C1 = 'abc123def456';
export const C2 = '0123456789ab';

export function blocked(n: number, over: Partial<ClearanceEvent> = {}): ClearanceEvent {
  const container = over.container ?? C1;
  return makeEvent({
    type: 'connection_blocked', container, request_id: `${container}:${n}`, dest: '198.51.100.1', port: 443, proto: 6,
    domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'}, ...over,
  });
}

export async function until(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not met after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
