// `terok-clearance notifier` as systemd runs it, with every peer real: a private dbus-daemon per test with the
// notification server peer on it, the hub (`serve`) and verdict helper (`serve-verdict`, running the simulated
// shield) in a private runtime directory, blocks written into the hub's reader socket as terok-shield's reader
// does, and the notifier itself as a child process.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {Message, type MessageBus} from 'dbus-next';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setLogLevel} from '../../../service/log.js';
import {EXTENSION_BUS_NAME} from '../../../service/notify/desktop-notifier.js';
import {sessionPaths} from '../../../service/paths.js';
import {distModule, Peer, run, startServer} from '../support/peers.js';
import {connect, flush, NotificationServer, until, type NotifyCall} from './support/notification-server.js';
import {startPrivateBus, type PrivateBus} from './support/private-bus.js';

const C = 'abc123def456';
const C2 = 'fed654cba321';
const CLI = distModule('service/cli.ts');
const DOSSIER = {project: 'warp', task: 't42', name: 'build'};
const PROMPT = 'Blocked: registry.example.net:443';
/** Our hub has Decide: its prompts offer "Allow 1 h" between Allow and Deny. */
const LASTING_ACTIONS = ['allow', 'Allow', 'allow-1h', 'Allow 1 h', 'deny', 'Deny'];

let dir: string;
let paths: ReturnType<typeof sessionPaths>;
let record: string;
let hubEnv: NodeJS.ProcessEnv;
let daemon: PrivateBus;
const peers: Peer[] = [];
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  setLogLevel('warning');
  dir = mkdtempSync(join(tmpdir(), 'notifier-'));
  const runtime = join(dir, 'run');
  paths = sessionPaths(runtime);
  record = join(dir, 'shield-calls.jsonl');
  hubEnv = {...process.env, XDG_RUNTIME_DIR: runtime, TEROK_SIMULATED_SHIELD_RECORD: record,
    TEROK_SIMULATED_SHIELD_STATE: join(dir, 'decisions.list')};
  writeFileSync(join(dir, 'shield'),
    `#!/bin/sh\nexec '${process.execPath}' '${distModule('service/verdict/simulated-shield.ts')}' "$@"\n`);
  chmodSync(join(dir, 'shield'), 0o700);
  daemon = await startPrivateBus();
});

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  for (const cleanup of cleanups.splice(0)) cleanup();
  await daemon.stop();
  rmSync(dir, {recursive: true, force: true});
});

function notifierEnv(address: string | null = daemon.address): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, XDG_RUNTIME_DIR: hubEnv.XDG_RUNTIME_DIR,
    TEROK_CLEARANCE_PODMAN: 'off'};
  if (address !== null) env.DBUS_SESSION_BUS_ADDRESS = address;
  return env;
}

async function startHub(): Promise<Peer> {
  const hub = await startServer([process.execPath, CLI, 'serve'], paths.hub, hubEnv);
  peers.push(hub);
  return hub;
}

async function startHubAndHelper(): Promise<Peer> {
  peers.push(await startServer([process.execPath, CLI, 'serve-verdict', '--shield', join(dir, 'shield')],
    paths.verdict, hubEnv));
  return startHub();
}

async function startNotificationServer(): Promise<NotificationServer> {
  const server = await NotificationServer.start(daemon.address);
  cleanups.push(() => server.stop());
  return server;
}

function startNotifier(): Peer {
  const notifier = new Peer([process.execPath, CLI, 'notifier'], notifierEnv());
  peers.push(notifier);
  return notifier;
}

/** Everything running, with nothing blocked yet. */
async function startAll(): Promise<{hub: Peer; server: NotificationServer; notifier: Peer}> {
  const hub = await startHubAndHelper();
  const server = await startNotificationServer();
  return {hub, server, notifier: startNotifier()};
}

/** Writes reader lines (wire.md §4) on one connection to the hub's reader socket. */
async function read(...lines: object[]): Promise<void> {
  const socket = net.connect(paths.reader);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => socket.end(lines.map((l) => JSON.stringify(l) + '\n').join(''), resolve));
}

const pending = (n: number, domain = 'registry.example.net', dossier: object = DOSSIER, container = C) => ({
  type: 'pending', container, id: `${container}:${n}`, dest: '198.51.100.1', port: 443, proto: 6, domain, dossier,
  ts: '2026-11-23T08:00:00.000001+00:00',
});

/** The argv of every terok-shield run, in order. */
function shieldCalls(): string[][] {
  try {
    return readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  } catch {
    return [];
  }
}

/** The `n`th (from 1) Notify with this summary, once it has arrived. */
async function posted(server: NotificationServer, summary: string, n = 1, ms = 10_000): Promise<NotifyCall> {
  await until(() => server.withSummary(summary).length >= n, `Notify #${n} "${summary}"`, ms);
  return server.withSummary(summary)[n - 1]!;
}

/** The last Notify for notification `id`. */
function latest(server: NotificationServer, id: number): NotifyCall {
  return server.calls.filter((call) => call.id === id).at(-1)!;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('terok-clearance notifier', () => {
  test('a block becomes an Allow/Deny prompt; one Allow (clicked twice) reaches the shield once; the result replaces the prompt', async () => {
    const {server} = await startAll();
    await read(pending(1));
    const prompt = await posted(server, PROMPT);
    expect(prompt).toMatchObject({appName: 'terok-clearance', replacesId: 0, actions: LASTING_ACTIONS,
      expire: 0});
    expect(prompt.body.split('\n')).toEqual(['warp/t42 · build', 'Protocol: TCP', 'IP: 198.51.100.1']);
    expect(prompt.hints).toEqual({urgency: {signature: 'y', value: 2}, resident: {signature: 'b', value: true}});

    server.emitAction(prompt.id, 'allow', prompt.sender);
    server.emitAction(prompt.id, 'allow', prompt.sender);
    const result = await posted(server, 'Allowed: registry.example.net');
    expect(result).toMatchObject({id: prompt.id, replacesId: prompt.id, body: 'warp/t42 · build', actions: []});
    expect(result.hints).toEqual({urgency: {signature: 'y', value: 1}, transient: {signature: 'b', value: true}});
    // The click showed at once, before the hub answered.
    expect(server.calls.some((c) => c.id === prompt.id && c.body.endsWith('\nAllowing...'))).toBe(true);
    await pause(300);
    expect(shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net']]);
  });

  test('"Allow 1 h" makes a grant for an hour through Decide: the shield allows once and terok-clearance grants lists it', async () => {
    const {server} = await startAll();
    // A container of its own: the grant (in this file's private state dir) must not answer the other tests' blocks.
    const c3 = 'aaa111bbb222';
    await read(pending(1, 'registry.example.net', DOSSIER, c3));
    const prompt = await posted(server, PROMPT);
    server.emitAction(prompt.id, 'allow-1h', prompt.sender);
    await posted(server, 'Allowed: registry.example.net');
    expect(shieldCalls()).toEqual([['allow', c3, '198.51.100.1'], ['allow', c3, 'registry.example.net']]);
    const grants = await run([process.execPath, CLI, 'grants', '--json'], {env: hubEnv});
    const [line, ...more] = grants.stdout.trim().split('\n');
    expect(more).toEqual([]);
    expect(JSON.parse(line!).grant).toMatchObject({kind: 'grant', action: 'allow', target: 'registry.example.net',
      container: c3, ui: 'notifier'});
    const left = Date.parse((JSON.parse(line!) as {grant: {expires: string}}).grant.expires) - Date.now();
    expect(left).toBeGreaterThan(3_500_000);
    expect(left).toBeLessThanOrEqual(3_600_000);
    const revoked = await run([process.execPath, CLI, 'grants', 'revoke', (JSON.parse(line!) as {grant: {id: string}}).grant.id], {env: hubEnv});
    expect(revoked.code).toBe(0);
  });

  test('a repeat block updates the prompt in place, and the verdict answers the latest request', async () => {
    const {server} = await startAll();
    await read(pending(1));
    const prompt = await posted(server, PROMPT);
    await read(pending(2));
    await until(() => latest(server, prompt.id).body.includes('Blocked 2 times since'), 'the repeat count');
    expect(server.withSummary(PROMPT).every((call) => call.id === prompt.id)).toBe(true);
    server.emitAction(prompt.id, 'deny', prompt.sender);
    await posted(server, 'Denied: registry.example.net');
    expect(shieldCalls()).toEqual([['deny', C, '198.51.100.1'], ['deny', C, 'registry.example.net']]);
  });

  test('a failed verdict shows the shield\'s error and stays answerable', async () => {
    const {server} = await startAll();
    // An address the shield refuses (a malformed IP): the verdict fails at the blocked address itself.
    await read({...pending(1, ''), dest: '198.51.100.999'});
    const prompt = await posted(server, 'Blocked: 198.51.100.999:443');
    server.emitAction(prompt.id, 'allow', prompt.sender);
    await until(() => /\nAllow failed: 198\.51\.100\.999: .*invalid target &quot;198\.51\.100\.999&quot;/.test(latest(server, prompt.id).body),
      'Allow failed in the prompt');
    expect(latest(server, prompt.id)).toMatchObject({summary: 'Blocked: 198.51.100.999:443',
      actions: LASTING_ACTIONS});

    server.emitAction(prompt.id, 'deny', prompt.sender);
    await until(() => /\nDeny failed: 198\.51\.100\.999: .*invalid target/.test(latest(server, prompt.id).body),
      'Deny failed in the prompt');
    expect(shieldCalls()).toEqual([['allow', C, '198.51.100.999'], ['deny', C, '198.51.100.999']]);
  });

  test('an ActionInvoked from any connection but the server\'s is ignored', async () => {
    const {server} = await startAll();
    await read(pending(1));
    const prompt = await posted(server, PROMPT);
    const spoofer = await connect(daemon.address);
    cleanups.push(() => spoofer.disconnect());
    for (const destination of [prompt.sender, undefined]) {
      const signal = Message.newSignal('/org/freedesktop/Notifications', 'org.freedesktop.Notifications',
        'ActionInvoked', 'us', [prompt.id, 'allow']);
      if (destination) signal.destination = destination;
      spoofer.send(signal);
    }
    await flush(spoofer);
    await pause(500);
    expect(shieldCalls()).toEqual([]);
    expect(server.withSummary(PROMPT)).toHaveLength(1);

    // It was listening all along: the server's own click applies.
    server.emitAction(prompt.id, 'allow', prompt.sender);
    await posted(server, 'Allowed: registry.example.net');
    expect(shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net']]);
  });

  test('started late it catches up; a killed hub\'s prompt goes once the restarted hub says it holds nothing; new blocks are answerable', async () => {
    const hub = await startHubAndHelper();
    await read(pending(1));
    const server = await startNotificationServer();
    startNotifier();
    const first = await posted(server, PROMPT);

    hub.child.kill('SIGKILL');
    await hub.finished;
    // Kept while the hub is away (it may only have dropped the connection)...
    await pause(300);
    expect(server.closeCalls).not.toContain(first.id);

    await startHub(); // over the stale socket the killed process left
    // ...and closed once the restarted hub's snapshot shows its bindings died with the old process.
    await until(() => server.closeCalls.includes(first.id), 'the prompt closed');
    await read(pending(1, 'registry.example.net')); // the reader's count starts again with a new hub
    const again = await posted(server, PROMPT, 2, 8000);
    expect(again.replacesId).toBe(0);
    server.emitAction(again.id, 'allow', again.sender);
    await posted(server, 'Allowed: registry.example.net');
    expect(shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net']]);
  }, 30_000);

  test('shield down: its prompts go and a critical alert comes (escaped); shield up retires it', async () => {
    const {server} = await startAll();
    const hostile = {project: 'warp', task: 't42', name: '<b>evil</b> & co'};
    await read(pending(1, 'registry.example.net', hostile));
    const prompt = await posted(server, PROMPT);
    expect(prompt.body.split('\n')[0]).toBe('warp/t42 · &lt;b&gt;evil&lt;/b&gt; &amp; co');

    await read({type: 'shield_down', container: C, dossier: hostile});
    // The summary never carries markup, even for a server that would parse it.
    const alert = await posted(server, 'Shield down: warp/t42 · \u2039b\u203Aevil\u2039/b\u203A \uFF06 co');
    expect(alert).toMatchObject({actions: [], expire: 0, body: 'Egress filtering is bypassed for this container.'});
    expect(alert.hints.urgency).toEqual({signature: 'y', value: 2});
    await until(() => server.closeCalls.includes(prompt.id), 'the prompt closed');

    await read({type: 'shield_up', container: C, dossier: hostile});
    await until(() => server.closeCalls.includes(alert.id), 'the alert closed');
  });

  test('quiet while the GNOME extension owns its name; what is pending comes back when it goes', async () => {
    const {server} = await startAll();
    await read(pending(1));
    const prompt = await posted(server, PROMPT);
    const extension: MessageBus = await connect(daemon.address);
    cleanups.push(() => extension.disconnect());
    await extension.requestName(EXTENSION_BUS_NAME, 0);
    await until(() => server.closeCalls.includes(prompt.id), 'the prompt closed for the extension');
    await read(pending(2, 'files.example'));
    await pause(500);
    expect(server.withSummary('Blocked: files.example:443')).toEqual([]);

    await extension.releaseName(EXTENSION_BUS_NAME);
    const back = await posted(server, PROMPT, 2);
    await posted(server, 'Blocked: files.example:443');
    expect(back.body.split('\n')[0]).toBe('warp/t42 · build');
  });

  test('SIGTERM closes every notification of ours and exits 0', async () => {
    const {server, notifier} = await startAll();
    await read(pending(1));
    const prompt = await posted(server, PROMPT);
    // Subscribed now (a late subscriber catches up on pending requests only, not on past shield events).
    await read({type: 'shield_down', container: C2});
    const alert = await posted(server, `Shield down: ${C2}`);
    notifier.child.kill('SIGTERM');
    const finished = await notifier.finished;
    expect(finished).toMatchObject({code: 0, stdout: ''});
    expect(server.closeCalls).toEqual(expect.arrayContaining([prompt.id, alert.id]));
    expect([...server.live.values()].filter((call) => call.sender === prompt.sender)).toEqual([]);
    expect(shieldCalls()).toEqual([]); // leaving answers nothing
  });

  test('the session bus going away ends it with exit 3', async () => {
    const {server, notifier} = await startAll();
    await read(pending(1));
    await posted(server, PROMPT);
    await daemon.stop();
    const finished = await notifier.finished;
    expect(finished.code).toBe(3);
    expect(finished.stderr).toMatch(/the session bus went away/);
    expect(shieldCalls()).toEqual([]);
  });

  test('without a session bus it exits 0 at once and prints nothing (debug level says why)', async () => {
    await startHubAndHelper();
    for (const address of [null, `unix:path=${join(dir, 'no-bus')}`]) {
      const quiet = await run([process.execPath, CLI, 'notifier'], {env: notifierEnv(address), timeoutMs: 10_000});
      expect(quiet).toEqual({code: 0, signal: null, stdout: '', stderr: ''});
    }
    const debug = await run([process.execPath, CLI, 'notifier'],
      {env: {...notifierEnv(null), TEROK_CLEARANCE_LOG: 'debug'}, timeoutMs: 10_000});
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(/no session bus: DBUS_SESSION_BUS_ADDRESS is not set/);
  });

  test('--help, and a usage error for arguments', async () => {
    const help = await run([process.execPath, CLI, 'notifier', '--help'], {env: notifierEnv()});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: terok-clearance notifier\n/);
    const bad = await run([process.execPath, CLI, 'notifier', 'extra'], {env: notifierEnv()});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unexpected argument 'extra'/);
  });
});
