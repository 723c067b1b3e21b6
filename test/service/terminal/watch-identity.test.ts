// `terok-clearance watch` naming containers the wire does not name, with the real podman (private storage, found on
// PATH as by default) and real task metadata files: a terok task container, a standalone container, an unknown id;
// a task renamed between the block and the verdict; a dossier on the wire winning over podman.
import {afterAll, afterEach, beforeAll, beforeEach, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {VerdictAction} from '../../../core/clearance/verdict.js';
import {ANNOTATIONS} from '../../../service/identity/identity-resolver.js';
import {blocked, startTestHub, type TestHub} from '../client/support/test-hub.js';
import {PrivatePodman} from '../identity/support/private-podman.js';
import {distModule} from '../support/peers.js';
import {TmuxPane} from './support/tmux.js';

let podman: PrivatePodman;
let runtime: string;
let hub: TestHub | undefined;
let pane: TmuxPane | undefined;

beforeAll(() => {
  podman = PrivatePodman.create();
});
afterAll(() => podman.close());

beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), 'wid-'));
});

afterEach(async () => {
  await pane?.kill();
  await hub?.close();
  pane = hub = undefined;
  rmSync(runtime, {recursive: true, force: true});
});

function startWatch(): Promise<TmuxPane> {
  const env: NodeJS.ProcessEnv = {
    PATH: `${podman.binDir}:${process.env.PATH}`, HOME: process.env.HOME, LANG: 'C.UTF-8', XDG_RUNTIME_DIR: runtime,
  };
  const command = `'${process.execPath}' '${distModule('service/cli.ts')}' watch; echo "EXIT=$?"; sleep 60`;
  return TmuxPane.start(join(runtime, 'tmux.sock'), command, env, 160);
}

test('task container, standalone container, unknown id; a rename before the verdict; the dossier wins', async () => {
  const meta = join(runtime, 't42.yml');
  writeFileSync(meta, 'name: Fix the flaky build\n');
  const task = (await podman.createContainer('warp-t42-dev', {
    [ANNOTATIONS.project]: 'warp', [ANNOTATIONS.task]: 't42', [ANNOTATIONS.taskMetaPath]: meta,
  })).slice(0, 12);
  const standalone = (await podman.createContainer('my-postgres')).slice(0, 12);
  const unknown = '0123456789ab';

  hub = await startTestHub(join(runtime, 'terok-clearance.sock'));
  // A shield takes a while (nft, podman unshare); here 300 ms, so the verdict is surely still running when the
  // renamed task's name has been read again.
  const apply = hub.shield.apply.bind(hub.shield);
  hub.shield.apply = async (container: string, dest: string, action: VerdictAction) => {
    await new Promise((r) => setTimeout(r, 300));
    return apply(container, dest, action);
  };
  pane = await startWatch();
  await pane.waitForText('hub session: connected');

  hub.hub.ingest(blocked(1, {container: task, dossier: {}}));
  // The prompt at once, with the id; the name as soon as podman and the metadata file told it.
  let screen = await pane.waitForText(`[1] registry.example.net:443: container ${task} is warp/t42 · Fix the flaky build`);
  expect(screen).toContain(`[1] Blocked: registry.example.net:443  (${task}, Protocol: TCP, IP: 198.51.100.1)`);

  hub.hub.ingest(blocked(1, {container: standalone, domain: 'pypi.example', dossier: {}}));
  await pane.waitForText(`[2] pypi.example:443: container ${standalone} is my-postgres`);

  hub.hub.ingest(blocked(1, {container: unknown, domain: 'files.example', dossier: {}}));
  await pane.waitForText(`[3] Blocked: files.example:443  (${unknown}, Protocol: TCP, IP: 198.51.100.1)`);

  writeFileSync(meta, 'name: Renamed task\n');
  await pane.type('a 1');
  await pane.waitForText('[1] Allowed: registry.example.net (warp/t42 · Renamed task)');
  expect(hub.shield.calls).toEqual([[task, '198.51.100.1', 'allow'], [task, 'registry.example.net', 'allow']]);

  // The wire names the standalone container: that name wins, and podman's does not come back.
  hub.hub.ingest(blocked(2, {container: standalone, domain: 'pypi.example', dossier: {container_name: 'db-from-the-wire'}}));
  await pane.waitForText(`[2] pypi.example:443: container ${standalone} is db-from-the-wire`);
  hub.hub.ingest(blocked(3, {container: standalone, domain: 'pypi.example', dossier: {}}));
  await pane.type('l');
  screen = await pane.waitForText('Pending requests (2):');
  expect(screen).toContain(`container 2: db-from-the-wire (${standalone})`);
  expect(screen).toContain(`container 3: ${unknown}`);
  expect(screen.split(`${standalone} is my-postgres`).length - 1).toBe(1);
});
