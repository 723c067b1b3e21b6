// The extension's hub client under real gjs against real hubs the jest side starts and stops on request
// (support/hub-control.ts): discovery by directory monitors, the Gio transport under core's hub connection and hub
// set, the client as the extension assembles it (settings included), and the end of its lifetime.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type {HubSocket} from '../../core/client/hub-sockets.js';
import type {PromptChange} from '../../core/clearance/prompts.js';
import type {JsonObject} from '../../core/varlink/message.js';
import {createClearanceClient} from '../../extension/hub/clearance-client.js';
import {GioDiscovery} from '../../extension/hub/gio-discovery.js';
import {lifetimeScheduler} from '../../extension/hub/glib-scheduler.js';
import {Lifetime} from '../../extension/lifetime.js';
import {VarlinkConnection} from '../../extension/varlink/connection.js';
import {delay, plan, runCases} from './cases.gjs.js';
import type {Plan} from './hub-client.plan.js';

const {runtime, control: controlPath, schemas, c1: C1, c2: C2} = plan<Plan>();
const SESSION = `${runtime}/terok-clearance.sock`;
const CONTAINER = `${runtime}/terok/clearance/${C1}/hub.sock`;
const EARLIER = `${runtime}/terok/clearance/${C2}.sock`;

let controlConnection: VarlinkConnection | null = null;
async function control(method: string, parameters: JsonObject): Promise<JsonObject> {
  controlConnection ??= await VarlinkConnection.connect(controlPath);
  return controlConnection.call(`org.terok.test.HubControl.${method}`, parameters);
}

function blocked(container: string, n: number, domain = 'registry.example.net'): JsonObject {
  return {type: 'connection_blocked', container, request_id: `${container}:${n}`, dest: '198.51.100.1', port: 443,
    proto: 6, domain, dossier: {project: 'warp', task: 't42', name: 'build'}};
}

async function until(what: string, condition: () => boolean, ms = 4000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** `+layout:path` / `-layout:path` per report, the path relative to the runtime directory. */
function recorder(): {seen: string[]; listener: {added(h: HubSocket): void; removed(h: HubSocket): void}} {
  const seen: string[] = [];
  const note = (sign: string) => (hub: HubSocket) => seen.push(`${sign}${hub.layout}:${hub.path.slice(runtime.length + 1)}`);
  return {seen, listener: {added: note('+'), removed: note('-')}};
}

function removeTree(path: string): void {
  const file = Gio.File.new_for_path(path);
  if (file.query_file_type(Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null) === Gio.FileType.DIRECTORY) {
    const children = file.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    for (let info = children.next_file(null); info; info = children.next_file(null)) removeTree(`${path}/${info.get_name()}`);
  }
  file.delete(null);
}

function privateDir(path: string): void {
  const file = Gio.File.new_for_path(path);
  file.make_directory(null);
  file.set_attribute_uint32('unix::mode', 0o700, Gio.FileQueryInfoFlags.NONE, null);
}

function settings(): Gio.Settings {
  const source = Gio.SettingsSchemaSource.new_from_directory(schemas, null, false);
  const schema = source.lookup('org.gnome.shell.extensions.terok-clearance', false);
  if (!schema) throw new Error(`no schema in ${schemas}`);
  return new Gio.Settings({settings_schema: schema, backend: Gio.memory_settings_backend_new()});
}

runCases({
  async 'discovery follows sockets and directories as they come and go, by monitors alone'() {
    const lifetime = new Lifetime();
    const {seen, listener} = recorder();
    // No periodic rescan within the case: every report below comes from a directory monitor.
    const discovery = new GioDiscovery(listener, {runtimeDir: runtime, scheduler: lifetimeScheduler(lifetime),
      rescanMs: 600_000});
    discovery.start();
    await delay(100);
    const initially = [...seen];
    const step = async (what: string, act: () => Promise<unknown> | void, expect: string[]) => {
      const before = seen.length;
      await act();
      await until(what, () => seen.length >= before + expect.length);
      await delay(50); // nothing more should follow
      return seen.slice(before);
    };
    const steps = {
      container: await step('the container hub', () => control('Start', {path: CONTAINER}), ['+']),
      earlier: await step('the earlier layout', () => control('Start', {path: EARLIER}), ['+']),
      session: await step('the session hub', () => control('Start', {path: SESSION}), ['+']),
      containerStopped: await step('the container hub gone', () => control('Stop', {path: CONTAINER}), ['-']),
      treeRemoved: await step('the tree gone', async () => {
        await control('Stop', {path: EARLIER});
        removeTree(`${runtime}/terok`);
      }, ['-']),
      treeBack: await step('the container hub back in a new tree', () => control('Start', {path: CONTAINER}), ['+']),
      sessionRestarted: await step('the session hub restarted', async () => {
        await control('Stop', {path: SESSION});
        await control('Start', {path: SESSION});
      }, ['-', '+']),
    };
    const found = discovery.hubs().map((h) => h.layout).sort();
    discovery.close();
    lifetime.end();
    await control('Start', {path: EARLIER});
    await delay(200);
    await control('Stop', {path: CONTAINER});
    await control('Stop', {path: SESSION});
    await control('Stop', {path: EARLIER});
    return {initially, steps, found, afterClose: seen.length};
  },

  async 'a configured socket: its directory is watched and a new socket there is reported'() {
    const lifetime = new Lifetime();
    const {seen, listener} = recorder();
    const discovery = new GioDiscovery(listener, {runtimeDir: runtime, scheduler: lifetimeScheduler(lifetime),
      rescanMs: 600_000});
    const custom = `${runtime}/custom/hub.sock`;
    privateDir(`${runtime}/custom`);
    discovery.setConfigured([custom]);
    discovery.start();
    await delay(100);
    await control('Start', {path: custom});
    await until('the configured socket', () => seen.length >= 1);
    await control('Stop', {path: custom});
    await delay(100);
    await control('Start', {path: custom});
    await until('the configured socket again', () => seen.length >= 2);
    discovery.close();
    lifetime.end();
    await control('Stop', {path: custom});
    return seen;
  },

  async 'the client as the extension builds it: catch-up, routing, restarts, configured sockets, end'() {
    await control('Start', {path: SESSION});
    await control('Ingest', {path: SESSION, event: blocked(C1, 1)});
    const lifetime = new Lifetime();
    const changes: PromptChange[] = [];
    const gsettings = settings();
    const client = createClearanceClient(lifetime, gsettings, {
      changes: (c) => changes.push(...c), hub: () => {}, event: () => {},
    });
    client.start();
    const state = (path: string) => client.hubs.hub(path)?.state;
    await until('the snapshot', () => client.model.prompts().length === 1);
    const caughtUp = client.model.prompts().map((p) => [p.requestId, p.origin === SESSION]);

    await control('Start', {path: CONTAINER});
    await control('Ingest', {path: CONTAINER, event: blocked(C2, 1, 'pypi.example')});
    await until('the container hub\'s prompt', () => client.model.prompts().length === 2);
    const pypi = client.model.prompts().find((p) => p.target === 'pypi.example')!;
    await client.answer(pypi.key, 'allow');
    const denied = client.answerContainer(C1, 'deny');
    await denied?.done;
    const calls = {session: (await control('Calls', {path: SESSION})).calls,
      container: (await control('Calls', {path: CONTAINER})).calls};
    const results = client.model.results().map((r) => [r.target, r.action, r.ok]);

    await control('Stop', {path: SESSION});
    await until('not running', () => state(SESSION)?.status === 'unavailable');
    const down = state(SESSION);
    const restartedAt = GLib.get_monotonic_time();
    await control('Start', {path: SESSION});
    await until('connected again', () => state(SESSION)?.status === 'connected');
    const backWithinMs = (GLib.get_monotonic_time() - restartedAt) / 1000;
    await control('Ingest', {path: SESSION, event: blocked(C1, 2, 'live.example')});
    await until('a live block', () => client.model.prompts().some((p) => p.target === 'live.example'));

    const configured = `${runtime}/configured/hub.sock`;
    gsettings.set_strv('extra-sockets', [configured]);
    await until('the configured hub tried', () => state(configured)?.status === 'unavailable');
    const configuredDown = state(configured);
    await control('Start', {path: configured});
    await until('the configured hub connected', () => state(configured)?.status === 'connected');

    lifetime.end();
    const subscribers = async () => Promise.all([SESSION, CONTAINER, configured]
      .map(async (path) => (await control('Subscribers', {path})).count));
    for (let i = 0; i < 100 && (await subscribers()).some((n) => n !== 0); i++) await delay(20);
    const left = await subscribers();
    for (const path of [SESSION, CONTAINER, configured]) await control('Stop', {path});
    return {caughtUp, calls, results, down, backWithinMs, configuredDown, left,
      kinds: [...new Set(changes.map((c) => c.kind))].sort()};
  },
});
