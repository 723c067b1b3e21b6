// The hub and verdict helper as the processes systemd runs: the loop end to end, restarts on the same path,
// stale and live sockets, and event bursts to subscribers in their own processes.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync} from 'node:fs';
import net from 'node:net';
import {resolve} from 'node:path';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {CLI, HubRig, pendingCount} from '../support/hub-rig.js';
import {run, waitForSocket} from '../support/peers.js';

const C = 'abc123def456';

let rig: HubRig;
let paths: HubRig['paths'];
const start = (...args: string[]) => rig.start(args);
const startAll = () => rig.startAll();
const writeLines = (lines: string[]) => rig.writeLines(lines);

/** An address the shield refuses (the prelude below): a failure at the blocked address fails the verdict. */
const FAILING_IP = '198.51.100.99';

const probe = JSON.stringify({type: 'container_started', container: C});

/** Writes probe events until `ready` settles: a subscriber is registered once it has seen one. */
async function probeUntil(ready: Promise<unknown>): Promise<void> {
  let done = false;
  void ready.then(() => (done = true));
  while (!done) {
    await writeLines([probe]);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pending = (n: number) => JSON.stringify({type: 'pending', container: C, id: `${C}:${n}`, dest: '198.51.100.1',
  port: 443, proto: 6, domain: 'registry.example.net', dossier: {project: 'warp', task: 't42', name: 'build'},
  ts: '2026-11-23T08:00:00.000001+00:00'});

beforeEach(() => {
  rig = new HubRig({shieldPrelude: `[ "$3" = ${FAILING_IP} ] && { echo "nft: no such set" >&2; exit 1; }`});
  paths = rig.paths;
});

afterEach(() => rig.close());

describe('hub and verdict helper processes', () => {
  test('block → Subscribe → Verdict → terok-shield allow → verdict_applied', async () => {
    await startAll();
    const sub = await VarlinkClient.connect(paths.hub);
    const stream = sub.stream('org.terok.Clearance1.Subscribe');
    await probeUntil(stream.next());
    await writeLines([pending(1)]);
    let blocked = (await stream.next()).value.event;
    while (blocked.type === 'container_started') blocked = (await stream.next()).value.event;
    expect(blocked).toEqual({type: 'connection_blocked', container: C, request_id: `${C}:1`, dest: '198.51.100.1',
      port: 443, proto: 6, domain: 'registry.example.net', action: '', ok: false, reason: '',
      dossier: {project: 'warp', task: 't42', name: 'build'}});
    const rpc = await VarlinkClient.connect(paths.hub);
    expect(await rpc.call('org.terok.Clearance1.Verdict',
      {container: C, request_id: `${C}:1`, dest: 'registry.example.net', action: 'allow'})).toEqual({ok: true});
    expect(rig.shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net']]);
    expect((await stream.next()).value.event).toMatchObject({type: 'verdict_applied', request_id: `${C}:1`, action: 'allow', ok: true});
    rpc.close();
    sub.close();
  });

  test('a shield that fails turns into ShieldCliFailed with its stderr, and the request can be retried', async () => {
    await startAll();
    await writeLines([JSON.stringify({type: 'pending', container: C, id: `${C}:2`, dest: FAILING_IP, port: 443, proto: 6,
      domain: 'bad_domain!'})]);
    const rpc = await VarlinkClient.connect(paths.hub);
    await pendingCount(rpc, 1);
    const error = await rpc.call('org.terok.Clearance1.Verdict', {container: C, request_id: `${C}:2`, dest: 'bad_domain!', action: 'deny'})
      .then(() => null, (e) => e);
    expect(error?.errorName).toBe('org.terok.Clearance1.ShieldCliFailed');
    expect(error.parameters.stderr).toMatch(/no such set/);
    const again = await rpc.call('org.terok.Clearance1.Verdict', {container: C, request_id: `${C}:2`, dest: 'bad_domain!', action: 'deny'})
      .then(() => null, (e) => e);
    expect(again?.errorName).toBe('org.terok.Clearance1.ShieldCliFailed');
    rpc.close();
  });

  test('without the verdict helper a verdict fails closed, and the request stays pending', async () => {
    const hub = start('serve');
    await waitForSocket(paths.hub, hub);
    await writeLines([pending(3)]);
    const rpc = await VarlinkClient.connect(paths.hub);
    await pendingCount(rpc, 1);
    const error = await rpc.call('org.terok.Clearance1.Verdict', {container: C, request_id: `${C}:3`, dest: 'registry.example.net', action: 'allow'})
      .then(() => null, (e) => e);
    expect(error?.errorName).toBe('org.terok.Clearance1.ShieldCliFailed');
    expect(error.parameters.stderr).toMatch(/verdict helper unreachable/);
    expect((await rpc.call('org.terok.Clearance1.Pending')).events).toHaveLength(1);
    rpc.close();
  });

  test('SIGTERM unlinks the sockets; a restart on the same paths works', async () => {
    const {hub} = await startAll();
    expect((await hub.stop()).code).toBe(0);
    expect(existsSync(paths.hub)).toBe(false);
    expect(existsSync(paths.reader)).toBe(false);
    const again = start('serve');
    await waitForSocket(paths.hub, again);
  });

  test('a stale socket (hub killed) is replaced; a live one is refused with a clear error', async () => {
    const {hub} = await startAll();
    const second = await run([process.execPath, CLI, 'serve'], {env: rig.env, timeoutMs: 10_000});
    expect(second.code).toBe(1);
    // The reader socket is bound first, so it is the one named.
    expect(second.stderr).toMatch(/terok-shield-events\.sock is in use by a running server/);
    hub.child.kill('SIGKILL');
    await hub.finished;
    expect(existsSync(paths.hub)).toBe(true);
    const replacement = start('serve');
    await waitForSocket(paths.hub, replacement);
  });

  test('a failed start leaves no socket behind (transactional)', async () => {
    // The hub path is taken by a live listener (the reader socket is bound first), so the reader socket must be
    // undone.
    mkdirSync(rig.env.XDG_RUNTIME_DIR!, {mode: 0o700});
    const blocker = net.createServer().listen(paths.hub);
    await new Promise((r) => blocker.once('listening', r));
    const r = await run([process.execPath, CLI, 'serve'], {env: rig.env, timeoutMs: 10_000});
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/terok-clearance\.sock.*in use/);
    expect(existsSync(paths.reader)).toBe(false);
  });
});

describe('bursts', () => {
  const subscriberProcess = (want: number) => {
    const child = spawn(process.execPath, [resolve('test/service/hub/subscriber-process.mjs'), paths.hub, String(want), '60000'],
      {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    const ready = new Promise<void>((r) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('subscribed')) r();
    }));
    const result = new Promise<{count: number; last: string}>((r) => child.on('close', () => r(JSON.parse(out.trim().split('\n').at(-1)!))));
    return {ready, result, child};
  };

  test('a subscriber that keeps reading receives every event of a 100,000-event burst, beside a stuck one', async () => {
    const {hub} = await startAll();
    const reader = subscriberProcess(100_000);
    await probeUntil(reader.ready);
    const stuck = net.connect({path: paths.hub});
    stuck.pause();
    stuck.write(JSON.stringify({method: 'org.terok.Clearance1.Subscribe', more: true}) + '\0');
    await writeLines(Array.from({length: 100_000}, (_, i) => pending(i + 1)));
    const {count, last} = await reader.result;
    expect(count).toBe(100_000);
    expect(last).toBe(`${C}:100000`);
    stuck.destroy();
    expect(hub.running).toBe(true);
  }, 120_000);

  test('ten subscribers each receive all of a 4,500-event burst', async () => {
    await startAll();
    const readers = Array.from({length: 10}, () => subscriberProcess(4500));
    await probeUntil(Promise.all(readers.map((r) => r.ready)));
    await writeLines(Array.from({length: 4500}, (_, i) => pending(i + 1)));
    const results = await Promise.all(readers.map((r) => r.result));
    expect(results.map((r) => r.count)).toEqual(Array(10).fill(4500));
  }, 120_000);
});
