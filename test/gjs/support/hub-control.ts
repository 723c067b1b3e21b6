// Lets a gjs test drive real hubs: a varlink service in the jest process (org.terok.test.HubControl) that starts
// and stops test hubs (the hub's own logic on real unix sockets, test/service/client/support/test-hub.ts) at any
// path, ingests events into them, and reports what their shield stand-ins were asked and how many subscribers they
// have. The gjs side calls it with the extension's own varlink transport.
import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';
import {makeEvent, type ClearanceEvent} from '../../../core/clearance/event.js';
import {VarlinkError} from '../../../core/varlink/errors.js';
import {VarlinkServer} from '../../../service/varlink/server.js';
import {startTestHub, type TestHub} from '../../service/client/support/test-hub.js';

const IDL = `# Test hubs on demand, for the gjs hub-client tests.
interface org.terok.test.HubControl

method Start(path: string) -> ()
method Stop(path: string) -> ()
method Ingest(path: string, event: object) -> ()
method Calls(path: string) -> (calls: [][]string)
method Subscribers(path: string) -> (count: int)

error NoHub (path: string)
`;

export interface HubControl {
  readonly path: string;
  readonly hubs: Map<string, TestHub>;
  close(): Promise<void>;
}

export async function startHubControl(path: string): Promise<HubControl> {
  const hubs = new Map<string, TestHub>();
  const hubAt = (path: unknown): TestHub => {
    const hub = hubs.get(String(path));
    if (!hub) throw new VarlinkError('org.terok.test.HubControl.NoHub', {path: String(path)});
    return hub;
  };
  const server = new VarlinkServer({vendor: 'test', product: 'hub control', version: '0', url: ''});
  server.addInterface(IDL, {
    Start: async ({parameters}) => {
      const at = String(parameters.path);
      mkdirSync(dirname(at), {recursive: true, mode: 0o700});
      hubs.set(at, await startTestHub(at));
    },
    Stop: async ({parameters}) => {
      await hubAt(parameters.path).close();
      hubs.delete(String(parameters.path));
    },
    Ingest: ({parameters}) => {
      hubAt(parameters.path).hub.ingest(makeEvent(parameters.event as unknown as ClearanceEvent));
    },
    Calls: ({parameters}) => ({calls: hubAt(parameters.path).shield.calls}),
    Subscribers: ({parameters}) => ({count: hubAt(parameters.path).hub.subscriberCount}),
  });
  await server.listen({path});
  return {
    path,
    hubs,
    close: async () => {
      await Promise.all([...hubs.values()].map((hub) => hub.close()));
      await server.close();
    },
  };
}
