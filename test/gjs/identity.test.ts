// Container names in the GNOME Shell extension's client, under the host's real gjs, from a real hub asking a real
// verdict helper asking the real podman (private storage): the extension itself runs no process.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ANNOTATIONS} from '../../service/identity/identity-resolver.js';
import {PrivatePodman} from '../service/identity/support/private-podman.js';
import {distModule, startServer, type Peer} from '../service/support/peers.js';
import {runGjs, valueOf, type CaseResult} from './run-gjs.js';
import type {Plan} from './identity.plan.js';

const ENTRY = new URL('./identity.gjs.ts', import.meta.url).pathname;
const SCHEMA = new URL('../../schemas/org.gnome.shell.extensions.terok-clearance.gschema.xml', import.meta.url).pathname;

let dir: string;
let podman: PrivatePodman;
const peers: Peer[] = [];
let plan: Plan;
let results: Record<string, CaseResult>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gjs-identity-'));
  podman = PrivatePodman.create();
  const meta = join(dir, 'task.yml');
  writeFileSync(meta, 'name: Fix the flaky build\n');
  const task = (await podman.createContainer('warp-t42-dev', {
    [ANNOTATIONS.project]: 'warp', [ANNOTATIONS.task]: 't42', [ANNOTATIONS.taskMetaPath]: meta,
  })).slice(0, 12);
  const standalone = (await podman.createContainer('my-postgres')).slice(0, 12);
  plan = {runtime: join(dir, 'run'), schemas: join(dir, 'schemas'), task, standalone};
  execFileSync('mkdir', ['-m', '0700', plan.runtime, plan.schemas]);
  copyFileSync(SCHEMA, join(plan.schemas, 'org.gnome.shell.extensions.terok-clearance.gschema.xml'));
  execFileSync('glib-compile-schemas', ['--strict', plan.schemas]);

  const env = {...process.env, XDG_RUNTIME_DIR: plan.runtime, TEROK_CLEARANCE_PODMAN: podman.command};
  const cli = distModule('service/cli.ts');
  peers.push(await startServer([process.execPath, cli, 'serve-verdict', '--shield', '/bin/false'],
    join(plan.runtime, 'terok-clearance-verdict.sock'), env));
  peers.push(await startServer([process.execPath, cli, 'serve'], join(plan.runtime, 'terok-clearance.sock'), env));
  // A block without a dossier, waiting in the hub before the extension's client starts.
  const line = JSON.stringify({type: 'pending', container: task, id: `${task}:1`, dest: '198.51.100.1', port: '443',
    proto: 6, domain: 'registry.example.net', ts: '2026-11-23T08:00:00.000001+00:00'});
  const reader = net.connect(join(plan.runtime, 'terok-shield-events.sock'));
  await new Promise<void>((resolve, reject) => reader.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => reader.end(`${line}\n`, resolve));

  results = await runGjs(ENTRY, {plan, env: {XDG_RUNTIME_DIR: plan.runtime}});
}, 90_000);

afterAll(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await podman?.close();
  rmSync(dir, {recursive: true, force: true});
});

describe('container names in the extension\'s client (gjs)', () => {
  test('a prompt without a dossier shows the id at once, then the label the hub resolved', () => {
    const value = valueOf(results, 'blocks without a dossier show the id at once, then the name the hub found out') as
      Record<string, unknown>;
    expect(value).toMatchObject({
      // The prompt of the waiting block (at catch-up, under its id), then the same prompt named; a later block of a
      // standalone container follows.
      shown: [`added:${plan.task}`, 'updated:warp/t42 · Fix the flaky build'],
      task: 'warp/t42 · Fix the flaky build',
      standalone: 'my-postgres',
      capability: true,
      menuIdentity: 'warp/t42 · Fix the flaky build',
    });
  });
});
