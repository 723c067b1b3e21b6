// REAL PROCESSES: the hub and the verdict helper as systemd runs them, attacked as another user or a runaway
// process on the same machine would: another uid on sockets made world-writable, and 2,000 idle connections on each
// socket. The operator's own tools and a real reader must still get through.
import {afterEach, expect, test} from '@jest/globals';
import {chmodSync} from 'node:fs';
import net from 'node:net';
import {dirname} from 'node:path';
import type {JsonObject} from '../../../core/varlink/message.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {CLI, eventually, HubRig} from '../support/hub-rig.js';
import {run} from '../support/peers.js';
import {canSwitchUid, exited, FOREIGN_UID, spawnAsForeignUid} from '../support/foreign-uid.js';

const C = 'abc123def456';
const line = (n: number) => JSON.stringify({type: 'pending', container: C, id: `${C}:${n}`, dest: '198.51.100.1',
  port: 443, proto: 6, domain: 'registry.example.net', ts: '2026-12-06T08:00:00.000001+00:00'});

let rig: HubRig;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await rig?.close();
});

/** Test-only: the runtime directory traversable and every socket world-writable, so only the uid check stands. */
function loosen(): void {
  for (const dir of [rig.dir, dirname(rig.paths.hub)]) chmodSync(dir, 0o711);
  for (const path of [rig.paths.hub, rig.paths.reader, rig.paths.verdict]) chmodSync(path, 0o666);
}

(canSwitchUid ? test : test.skip)('another uid is refused by the hub, the verdict helper and the ingester, unread', async () => {
  rig = new HubRig();
  const {hub, verdict} = await rig.startAll();
  loosen();
  // As nobody: a varlink call on the hub and on the helper (Apply would run the shield), a block on the reader socket.
  const child = spawnAsForeignUid(`
    import net from 'node:net';
    const [hub, verdict, reader, apply, block] = process.argv.slice(1);
    const attempt = (path, bytes) => new Promise((resolve) => {
      const s = net.connect(path);
      let got = '';
      s.on('connect', () => s.write(bytes));
      s.on('data', (d) => { got += d; });
      s.on('error', () => {});
      s.on('close', () => resolve(got));
      setTimeout(() => resolve('still open'), 4000);
    });
    const pending = JSON.stringify({method: 'org.terok.Clearance1.Pending'}) + '\\0';
    const call = (text) => text + '\\0';
    const results = await Promise.all([attempt(hub, pending), attempt(verdict, call(apply)), attempt(reader, block),
      attempt(hub, pending)]);
    process.stdout.write(JSON.stringify(results));
    process.exit(0);
  `, [rig.paths.hub, rig.paths.verdict, rig.paths.reader,
    JSON.stringify({method: 'org.terok.ClearanceVerdict1.Apply', parameters: {container: C, dest: '198.51.100.1',
      action: 'allow'}}), `${line(666)}\n`]);
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  expect(await exited(child)).toEqual({code: 0, stderr: ''});
  expect(JSON.parse(stdout)).toEqual(['', '', '', '']); // each closed, nothing answered

  const client = await VarlinkClient.connect(rig.paths.hub);
  try {
    expect((await client.call('org.terok.Clearance1.Pending')).events).toEqual([]);
  } finally {
    client.close();
  }
  expect(rig.shieldCalls()).toEqual([]);
  const refusal = new RegExp(`refused (connection \\d+|reader connection #\\d+) from uid ${FOREIGN_UID} .*only uid ${process.getuid!()} may connect`, 'g');
  // Once per uid and socket: the hub's second attempt is refused without another line.
  expect(hub.output.match(refusal)).toHaveLength(2);
  expect(verdict.output.match(refusal)).toHaveLength(1);
}, 30_000);

/** Opens `count` connections to `path` that never send a byte; resolves once all are connected. */
async function idle(path: string, count: number): Promise<void> {
  const batch = 200;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(Array.from({length: Math.min(batch, count - i)}, () => new Promise<void>((resolve, reject) => {
      const s = net.connect(path);
      sockets.push(s);
      const hung = setTimeout(() => reject(new Error(`connect to ${path} hung`)), 10_000);
      const done = () => {
        clearTimeout(hung);
        resolve();
      };
      s.on('error', () => {}); // the server closes some of them to make room
      s.once('connect', done);
      s.once('close', done);
    })));
  }
}

test('2,000 idle connections on each socket: pending still answers, and a new reader\'s event reaches a live subscriber within 1 s', async () => {
  rig = new HubRig();
  const {hub} = await rig.startAll();
  const subscriber = await VarlinkClient.connect(rig.paths.hub);
  const events: JsonObject[] = [];
  void (async () => {
    for await (const reply of subscriber.stream('org.terok.Clearance1.Subscribe')) events.push(reply);
  })().catch(() => {});
  await rig.writeLines([line(1)]);
  await eventually(() => (events.length === 1 ? true : undefined), 'the first event');

  await Promise.all([idle(rig.paths.hub, 2000), idle(rig.paths.reader, 2000), idle(rig.paths.verdict, 2000)]);

  const started = performance.now();
  const pending = await run([process.execPath, CLI, 'pending', '--json'],
    {env: rig.env, timeoutMs: 10_000});
  const pendingMs = performance.now() - started;
  expect(pending.code).toBe(0);
  expect(pending.stdout).toContain(`${C}:1`);

  const wrote = performance.now();
  await rig.writeLines([line(2)]);
  await eventually(() => (events.length === 2 ? true : undefined), 'the new reader\'s event', 1000);
  const eventMs = performance.now() - wrote;
  expect(JSON.stringify(events[1])).toContain(`${C}:2`);
  subscriber.close();
  process.stdout.write(`pending answered in ${pendingMs.toFixed(0)} ms, the event arrived in ${eventMs.toFixed(0)} ms\n`);
  expect(hub.output).toMatch(/at the limit of 1024 connections; closing the longest-idle one/);
  // The hub's own connection to the verdict helper is one of the helper's busy or productive ones: a verdict works.
  const client = await VarlinkClient.connect(rig.paths.hub);
  try {
    await client.call('org.terok.Clearance1.Verdict', {container: C, request_id: `${C}:2`, dest: 'registry.example.net',
      action: 'allow'});
  } finally {
    client.close();
  }
  expect(rig.shieldCalls().length).toBeGreaterThan(0);
}, 90_000);
