// REAL PROCESSES: the per-container layout as terok-shield 0.6.37 feeds it. Its reader writes every container's
// lines to the session reader socket; `route-readers` owns that socket and passes each line to the hub of the
// container it names (`serve --container ID`), whose subscribers see it. A container with no hub gets nothing.
import {afterEach, expect, test} from '@jest/globals';
import type {JsonObject} from '../../../core/varlink/message.js';
import {containerPaths} from '../../../service/paths.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {eventually, HubRig} from '../support/hub-rig.js';
import {waitForSocket} from '../support/peers.js';

const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';
const NOBODY = 'cccccccccccc';
const line = (container: string, n: number) => JSON.stringify({type: 'pending', container, id: `${container}:${n}`,
  dest: '198.51.100.1', port: 443, proto: 6, domain: 'registry.example.net', ts: '2026-12-06T08:00:00.000001+00:00'});

let rig: HubRig;
const clients: VarlinkClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await rig?.close();
});

async function containerHub(id: string): Promise<JsonObject[] & {stop(): Promise<unknown>}> {
  const hub = rig.start(['serve', '--container', id]);
  const paths = containerPaths(id, rig.env.XDG_RUNTIME_DIR);
  await waitForSocket(paths.hub, hub);
  const client = await VarlinkClient.connect(paths.hub);
  clients.push(client);
  const events = Object.assign([] as JsonObject[], {stop: () => hub.stop()});
  void (async () => {
    for await (const reply of client.stream('org.terok.Clearance1.Subscribe')) events.push(reply);
  })().catch(() => {});
  return events;
}

const ids = (events: JsonObject[]) => events.map((e) => (e.event as {request_id: string}).request_id);

test('each line reaches the hub of the container it names, in order; a container without a hub gets nothing', async () => {
  rig = new HubRig();
  const [a, b] = [await containerHub(A), await containerHub(B)];
  const router = rig.start(['route-readers']);
  await waitForSocket(rig.paths.reader, router);

  // One reader connection carrying several containers, as the shield's readers share the one socket.
  await rig.writeLines([line(A, 1), line(B, 1), line(NOBODY, 1), line(A, 2), 'not json', line('my-container', 1)]);
  await eventually(() => (a.length === 2 && b.length === 1 ? true : undefined), 'both hubs\' events');
  expect(ids(a)).toEqual([`${A}:1`, `${A}:2`]);
  expect(ids(b)).toEqual([`${B}:1`]);
  await eventually(() => (/container cccccccccccc: no hub is running for it/.test(router.output) ? true : undefined),
    'the undelivered line logged');
  expect(router.output).toMatch(/names container 'my-container', not a 12-hex id/);

  // A container's hub that restarts is found again by the next line (the router's connection to the old one ended).
  await a.stop();
  const again = await containerHub(A);
  await rig.writeLines([line(A, 3)]);
  await eventually(() => (again.length === 1 ? true : undefined), 'the restarted hub\'s event');
  expect(ids(again)).toEqual([`${A}:3`]);
}, 30_000);
