// The whole loop against the real terok-shield 0.6.37: a blocked connection in a network-namespace "container",
// the shield's own NFLOG reader, our hub and verdict helper, our CLI and a subscriber, the shield's `allow`, `deny`,
// `down` and `up`, and the connection going through or staying refused. The only stand-in is podman (see
// shield-lab.ts). Steps run in order on one lab; each checks what the shield itself did (its nft sets).
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import type {JsonObject} from '../../core/varlink/message.js';
import {VarlinkClient} from '../../service/varlink/client.js';
import {CLI, eventually, HubRig, pendingCount} from '../service/support/hub-rig.js';
import {run, waitForSocket, type Peer} from '../service/support/peers.js';
import {containerPaths} from '../../service/paths.js';
import {hostTables, PRIVATE_IP, SERVER_ALIASES, SERVER_IP, ShieldLab} from './shield-lab.js';

const C = 'a1b2c3d4e5f6';
const I = 'org.terok.Clearance1';
const [DENIED, FAILING, AFTER_PRIVATE, RULED, GRANTED, CDN, ROUTED] = SERVER_ALIASES as [string, string, string, string,
  string, string, string];

let rig: HubRig;
let lab: ShieldLab;
let rpc: VarlinkClient;
let subscriber: VarlinkClient;
let hostBefore: string;
let sessionHub: Peer;
const events: JsonObject[] = [];

/** The first event after `from` (an index into events) that `match` accepts. */
function eventAfter(from: number, match: (e: JsonObject) => boolean, what: string): Promise<JsonObject> {
  return eventually(() => events.slice(from).find(match), what, 5000);
}

const blockedAt = (ip: string) => (e: JsonObject) => e.type === 'connection_blocked' && e.dest === ip;

/** Connects to `ip` from the container and returns the block the subscriber saw. */
async function blocked(ip: string): Promise<JsonObject> {
  const from = events.length;
  expect(await lab.connect(ip)).toBe('EHOSTUNREACH');
  return eventAfter(from, blockedAt(ip), `the block of ${ip}`);
}

const cli = (...args: string[]) => run([process.execPath, CLI, ...args], {env: lab.env, timeoutMs: 20_000});

beforeAll(async () => {
  hostBefore = await hostTables();
  rig = new HubRig();
  lab = new ShieldLab(C, rig.env);
  await lab.build();
  // Before the shield touches any ruleset: its target process must be inside the container's namespace.
  expect(lab.inContainerNamespace()).toBe(true);
  const up = await lab.shieldCli('up', C);
  expect(up).toMatchObject({code: 0, stdout: expect.stringMatching(/Shield up/)});
  await rig.startVerdict(lab.shield, lab.env);
  sessionHub = await rig.startHub(lab.env);
  subscriber = await VarlinkClient.connect(rig.paths.hub);
  void (async () => {
    for await (const reply of subscriber.stream(`${I}.Subscribe`)) events.push(reply.event as JsonObject);
  })().catch(() => undefined);
  rpc = await VarlinkClient.connect(rig.paths.hub);
  lab.startReader({project: 'warp', task: 't1'});
  await eventAfter(0, (e) => e.type === 'container_started' && e.container === C, 'the reader\'s container_started');
}, 60_000);

afterAll(async () => {
  subscriber?.close();
  rpc?.close();
  await rig?.close();
  await lab?.close();
  // The host's own ruleset is as it was: everything happened inside the namespaces.
  expect(await hostTables()).toBe(hostBefore);
}, 30_000);

describe('the real terok-shield', () => {
  test('a blocked connection reaches the subscriber with the 12-hex container id and an ID:n request id', async () => {
    const event = await blocked(SERVER_IP);
    expect(event).toMatchObject({container: C, request_id: expect.stringMatching(new RegExp(`^${C}:\\d+$`)),
      port: 8080, proto: 6, dossier: {project: 'warp', task: 't1'}});
  });

  test('Allow lands in the live ruleset and the retried connection succeeds', async () => {
    const event = events.find(blockedAt(SERVER_IP))!;
    const r = await cli('allow', String(event.request_id));
    expect(r).toMatchObject({code: 0, stdout: expect.stringMatching(new RegExp(`Allowed: ${SERVER_IP.replace(/\./g, '\\.')}`))});
    expect(await lab.nftSet('allow_v4')).toContain(SERVER_IP);
    expect(await lab.connect(SERVER_IP)).toBe('ok');
  });

  test('Deny lands in the deny set, the connection stays refused, and it prompts no more', async () => {
    const event = await blocked(DENIED);
    expect(await cli('deny', String(event.request_id))).toMatchObject({code: 0});
    expect(await lab.nftSet('deny_v4')).toContain(DENIED);
    const from = events.length;
    expect(await lab.connect(DENIED)).toBe('EHOSTUNREACH');
    await new Promise((r) => setTimeout(r, 500));
    expect(events.slice(from).filter(blockedAt(DENIED))).toEqual([]);
  });

  test('Allow for a domain the shield resolves elsewhere still lets the blocked address through', async () => {
    // The reader names the domain from the container's DNS log (dnsmasq's reply lines); the host's resolver, which
    // the shield asks again when told the domain, knows no such name: the domain alone would allow nothing.
    appendFileSync(`${lab.stateDir}/dnsmasq.log`, `Dec  5 10:00:00 dnsmasq[7]: reply cdn.clearance.test is ${CDN}\n`);
    const event = await blocked(CDN);
    expect(event.domain).toBe('cdn.clearance.test');
    expect(await cli('allow', String(event.request_id))).toMatchObject({code: 0, stdout: expect.stringMatching(/Allowed: cdn\.clearance\.test/)});
    expect(await lab.nftSet('allow_v4')).toContain(CDN);
    expect(await lab.connect(CDN)).toBe('ok');
    // What the shield said about the domain is in the decision log.
    const log = readFileSync(`${rig.env.XDG_STATE_HOME}/terok-clearance/decisions.jsonl`, 'utf8').trim().split('\n');
    expect(JSON.parse(log.at(-1)!)).toMatchObject({target: 'cdn.clearance.test', ok: true,
      stderr: expect.stringMatching(new RegExp(`^${CDN.replace(/\./g, '\\.')} allowed; cdn\\.clearance\\.test: [\\s\\S]*No IPs allowed`))});
  });

  test('a shield failure comes back as ShieldCliFailed with the shield\'s message; the request stays answerable', async () => {
    const event = await blocked(FAILING);
    const verdict = {container: C, request_id: event.request_id, dest: FAILING, action: 'allow'};
    lab.forgotten = true;
    const failed = await rpc.call(`${I}.Verdict`, verdict).then(() => null, (e) => e);
    // The operator reads the shield's own words, not a generic failure.
    const said = await cli('allow', String(event.request_id));
    lab.forgotten = false;
    expect(said.code).toBe(1);
    expect(said.stderr).toMatch(new RegExp(`Allow failed: ${FAILING.replace(/\./g, '\\.')}: .*container '${C}' has no 'terok\\.shield\\.state_dir' annotation`));
    expect(failed?.errorName).toBe(`${I}.ShieldCliFailed`);
    expect(failed.parameters.stderr).toMatch(/terok\.shield\.state_dir/);
    expect(await lab.nftSet('allow_v4')).not.toContain(FAILING);
    expect(await rpc.call(`${I}.Verdict`, verdict)).toEqual({ok: true});
    expect(await lab.connect(FAILING)).toBe('ok');
  });

  test('a block to a private-range address never prompts (the shield\'s reader drops it)', async () => {
    const from = events.length;
    expect(await lab.connect(PRIVATE_IP)).toBe('EHOSTUNREACH');
    await blocked(AFTER_PRIVATE);
    expect(events.slice(from).filter(blockedAt(PRIVATE_IP))).toEqual([]);
  });

  test('a rule allows a block at once with no prompt, and the retry goes through', async () => {
    const rules = `${rig.env.XDG_CONFIG_HOME}/terok-clearance/rules.yaml`;
    mkdirSync(dirname(rules), {recursive: true});
    writeFileSync(rules, `rules:\n  - allow: ${RULED}\n    project: warp\n`);
    await eventually(async () => (((await rpc.call(`${I}.Decisions`)).rules as unknown[]).length === 1 || undefined),
      'the rule loaded');
    const from = events.length;
    expect(await lab.connect(RULED)).toBe('EHOSTUNREACH');
    await eventually(async () => ((await lab.nftSet('allow_v4')).includes(RULED) || undefined), 'the rule applied');
    expect(await lab.connect(RULED)).toBe('ok');
    expect(events.slice(from).filter(blockedAt(RULED))).toEqual([]);
  });

  test('a 2-second grant lets the container through, then is revoked and the connection is refused again', async () => {
    const event = await blocked(GRANTED);
    await pendingCount(rpc, 1);
    const reply = await rpc.call(`${I}.Decide`, {container: C, request_id: event.request_id, dest: GRANTED,
      action: 'allow', lasting: '2s', scope: 'container', pattern: '', confirmed: false, ui: 'e2e'});
    expect(reply).toMatchObject({ok: true, decision: {kind: 'grant'}});
    expect(await lab.connect(GRANTED)).toBe('ok');
    await eventually(async () => ((await lab.nftSet('deny_v4')).includes(GRANTED) || undefined), 'the revocation', 6000);
    expect(await lab.connect(GRANTED)).toBe('EHOSTUNREACH');
  });

  test('down, up and the reader stopping reach subscribers as shield_down, shield_up and container_exited', async () => {
    let from = events.length;
    expect(await lab.shieldCli('down', C)).toMatchObject({code: 0});
    await eventAfter(from, (e) => e.type === 'shield_down' && e.container === C, 'shield_down');
    from = events.length;
    expect(await lab.shieldCli('up', C)).toMatchObject({code: 0});
    await eventAfter(from, (e) => e.type === 'shield_up' && e.container === C, 'shield_up');
    // The allow made before down/up is still in force: the shield re-applies live.allowed.
    expect(await lab.connect(SERVER_IP)).toBe('ok');
    from = events.length;
    await lab.stopReader();
    await eventAfter(from, (e) => e.type === 'container_exited' && e.container === C, 'container_exited');
  });
});

describe('the per-container layout, fed by the same shield', () => {
  test('route-readers passes the reader\'s lines to the container\'s hub; its Allow reaches the shield', async () => {
    await sessionHub.stop(); // the router takes the session reader socket over
    const router = rig.start(['route-readers'], lab.env);
    await waitForSocket(rig.paths.reader, router);
    const paths = containerPaths(C, rig.env.XDG_RUNTIME_DIR);
    const verdict = rig.start(['serve-verdict', '--container', C, '--shield', lab.shield], lab.env);
    await waitForSocket(paths.verdict, verdict);
    const hub = rig.start(['serve', '--container', C], lab.env);
    await waitForSocket(paths.hub, hub);
    const client = await VarlinkClient.connect(paths.hub);
    const seen: JsonObject[] = [];
    void (async () => {
      for await (const reply of client.stream(`${I}.Subscribe`)) seen.push(reply.event as JsonObject);
    })().catch(() => undefined);
    try {
      lab.startReader({project: 'warp', task: 't2'});
      await eventually(() => seen.find((e) => e.type === 'container_started'), 'container_started via the router', 10_000);
      expect(await lab.connect(ROUTED)).toBe('EHOSTUNREACH');
      const block = await eventually(() => seen.find(blockedAt(ROUTED)), 'the block via the router', 5000);
      expect(block).toMatchObject({container: C, request_id: expect.stringMatching(new RegExp(`^${C}:\\d+$`))});
      const answer = await VarlinkClient.connect(paths.hub);
      try {
        await answer.call(`${I}.Verdict`, {container: C, request_id: block.request_id as string, dest: block.domain
          ? block.domain as string : ROUTED, action: 'allow'});
      } finally {
        answer.close();
      }
      expect(await lab.nftSet('allow_v4')).toContain(ROUTED);
      expect(await lab.connect(ROUTED)).toBe('ok');
    } finally {
      client.close();
      await lab.stopReader();
    }
  }, 60_000);
});
