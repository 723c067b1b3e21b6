// ContainerIdentity end to end with real processes: `terok-clearance serve` (the hub) asks `serve-verdict` (the
// helper), which asks the real podman (private storage) and reads the task's metadata file. Also the helper's
// Identify on its own, and the hub's answers for a container it has no events of and with the helper down.
import {afterAll, afterEach, beforeAll, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {hubIdentity} from '../../../core/client/hub-identity.js';
import {PromptSession} from '../../../service/client/node-prompt-session.js';
import {ANNOTATIONS, IdentityResolver} from '../../../service/identity/identity-resolver.js';
import {PodmanInspector} from '../../../service/identity/podman-inspector.js';
import type {Logger} from '../../../service/log.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {startVerdictService} from '../../../service/verdict/verdict-service.js';
import {PrivatePodman} from '../identity/support/private-podman.js';
import {distModule, startServer, type Peer} from '../support/peers.js';
import {until} from '../client/support/test-hub.js';

const IDENTIFY = 'org.terok.ClearanceVerdict1.Identify';
const CONTAINER_IDENTITY = 'org.terok.Clearance1.ContainerIdentity';
const quiet: Logger = {error: () => {}, warning: () => {}, info: () => {}, debug: () => {}};

let podman: PrivatePodman;
let dir: string;
let meta: string;
let task: string; // 12-character id of a terok task container
let standalone: string;

beforeAll(async () => {
  podman = PrivatePodman.create();
  dir = mkdtempSync(join(tmpdir(), 'cident-'));
  meta = join(dir, 't42.yml');
  writeFileSync(meta, 'name: Fix the flaky build\n');
  task = (await podman.createContainer('warp-t42-dev', {
    [ANNOTATIONS.project]: 'warp', [ANNOTATIONS.task]: 't42', [ANNOTATIONS.taskMetaPath]: meta,
  })).slice(0, 12);
  standalone = (await podman.createContainer('my-postgres')).slice(0, 12);
}, 60_000);

afterAll(async () => {
  await podman.close();
  rmSync(dir, {recursive: true, force: true});
});

describe('the verdict helper: Identify', () => {
  const closing: {close(): unknown}[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0).reverse()) await c.close();
  });

  async function identify(container: string): Promise<unknown> {
    const path = join(dir, `verdict-${closing.length}.sock`);
    closing.push(await startVerdictService({path}, {
      log: quiet, identity: new IdentityResolver(new PodmanInspector({command: [podman.command]}), {log: quiet}),
    }));
    const client = await VarlinkClient.connect(path);
    closing.push(client);
    return (await client.call(IDENTIFY, {container})).dossier;
  }

  test('a terok task container, a standalone one, an unknown id', async () => {
    expect(await identify(task)).toEqual(
      {project: 'warp', task: 't42', name: 'Fix the flaky build', container_name: 'warp-t42-dev'});
    expect(await identify(standalone)).toEqual({container_name: 'my-postgres'});
    expect(await identify('0123456789ab')).toEqual({});
  });

  test('an argument that is no container name or id never reaches podman', async () => {
    const before = podman.inspectRuns().length;
    for (const bad of ['--help', '-a', '', 'a b', 'x/../y', '\u00e9t\u00e9']) expect(await identify(bad)).toEqual({});
    expect(podman.inspectRuns().length).toBe(before);
  });
});

describe('the hub: ContainerIdentity, asking a real helper process', () => {
  let runtime: string;
  let hub: Peer;
  let helper: Peer;
  let client: VarlinkClient;
  const sock = (name: string) => join(runtime, name);

  beforeAll(async () => {
    runtime = mkdtempSync(join(tmpdir(), 'cident-rt-'));
    const env = {...process.env, XDG_RUNTIME_DIR: runtime, TEROK_CLEARANCE_PODMAN: podman.command};
    helper = await startServer([process.execPath, distModule('service/cli.ts'), 'serve-verdict', '--shield', '/bin/false'],
      sock('terok-clearance-verdict.sock'), env);
    hub = await startServer([process.execPath, distModule('service/cli.ts'), 'serve'], sock('terok-clearance.sock'), env);
    client = await VarlinkClient.connect(sock('terok-clearance.sock'));
  }, 20_000);

  afterAll(async () => {
    client.close();
    await hub.stop();
    await helper.stop();
    rmSync(runtime, {recursive: true, force: true});
  });

  /** Writes reader lines (wire.md §4) on a fresh connection to the hub's reader socket. */
  async function read(...lines: object[]): Promise<void> {
    const socket = net.connect(sock('terok-shield-events.sock'));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await new Promise<void>((resolve) => socket.end(lines.map((l) => JSON.stringify(l) + '\n').join(''), resolve));
  }

  const pending = (container: string, n: number) => ({
    type: 'pending', container, id: `${container}:${n}`, dest: '198.51.100.1', port: '443', proto: 6,
    domain: 'registry.example.net', ts: '2026-11-23T08:00:00.000001+00:00',
  });

  const containerIdentity = async (container: string) => (await client.call(CONTAINER_IDENTITY, {container})).identity;

  test('a prompt for a block without a dossier is named by the hub; a renamed task shows by its new name', async () => {
    // A session that cannot run podman itself: it asks the hub that emitted the block.
    const session = new PromptSession({changes: () => {}, hub: () => {}}, {runtimeDir: runtime, identity: hubIdentity});
    session.start();
    try {
      await until(() => session.hubs.hubs()[0]?.state.status === 'connected', 'connected');
      await read(pending(task, 1));
      await until(() => session.model.prompts()[0]?.identity === 'warp/t42 · Fix the flaky build', 'named by the hub', 10_000);

      writeFileSync(meta, 'name: "Caf\u00e9 \u202eevil"\n'); // non-ASCII and a bidi override reach no UI
      expect(await containerIdentity(task)).toBe('warp/t42 · Caf   evil');
      expect(session.hubs.hubs()[0]!.capabilities.containerIdentity).toBe(true);
    } finally {
      writeFileSync(meta, 'name: Fix the flaky build\n');
      await session.close();
    }
  }, 20_000);

  test('a standalone container by its name; nothing for one the hub has no events of', async () => {
    expect(await containerIdentity(standalone)).toBe(''); // real, but not this hub's
    await read({type: 'container_started', container: standalone, ts: '2026-11-23T08:00:00.000001+00:00'});
    // The hub ingests the line a moment after it is written.
    let identity: unknown = '';
    for (let i = 0; i < 100 && identity === ''; i++) {
      identity = await containerIdentity(standalone);
      if (identity === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(identity).toBe('my-postgres');
    expect(await containerIdentity('0123456789ab')).toBe('');
    expect(await containerIdentity('--help')).toBe('');
  }, 20_000);

  test('the helper down: "" and no error; the hub keeps serving', async () => {
    await read(pending(task, 2));
    await helper.stop();
    expect(await containerIdentity(task)).toBe('');
    expect((await client.call('org.terok.Clearance1.Pending', {})).events).toEqual(
      expect.arrayContaining([expect.objectContaining({request_id: `${task}:2`})]));
  }, 20_000);
});
