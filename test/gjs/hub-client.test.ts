// The extension's hub client (extension/hub/*) under the host's real gjs, against real hubs (the hub's own logic on
// unix sockets) that the gjs cases start, stop and feed through a control service in this process.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {copyFileSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {C1, C2} from '../service/client/support/test-hub.js';
import {runGjs, valueOf, type CaseResult} from './run-gjs.js';
import {startHubControl, type HubControl} from './support/hub-control.js';
import type {Plan} from './hub-client.plan.js';

const ENTRY = new URL('./hub-client.gjs.ts', import.meta.url).pathname;
const SCHEMA = new URL('../../schemas/org.gnome.shell.extensions.terok-clearance.gschema.xml', import.meta.url).pathname;

let dir: string;
let control: HubControl;
let results: Record<string, CaseResult>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gjs-hubs-'));
  const plan: Plan = {runtime: join(dir, 'run'), control: join(dir, 'control', 'control.sock'),
    schemas: join(dir, 'schemas'), c1: C1, c2: C2};
  execFileSync('mkdir', ['-m', '0700', plan.runtime, join(dir, 'control'), plan.schemas]);
  copyFileSync(SCHEMA, join(plan.schemas, 'org.gnome.shell.extensions.terok-clearance.gschema.xml'));
  execFileSync('glib-compile-schemas', ['--strict', plan.schemas]);
  control = await startHubControl(plan.control);
  results = await runGjs(ENTRY, {plan, env: {XDG_RUNTIME_DIR: plan.runtime}});
}, 60_000);

afterAll(async () => {
  await control?.close();
  rmSync(dir, {recursive: true, force: true});
});

const result = (name: string) => valueOf(results, name);

describe('the extension\'s hub client under gjs', () => {
  test('discovery follows every layout, directories that appear and vanish, and restarts, by monitors alone', () => {
    expect(result('discovery follows sockets and directories as they come and go, by monitors alone')).toEqual({
      initially: [],
      steps: {
        container: [`+container:terok/clearance/${C1}/hub.sock`],
        earlier: [`+container-earlier:terok/clearance/${C2}.sock`],
        session: ['+session:terok-clearance.sock'],
        containerStopped: [`-container:terok/clearance/${C1}/hub.sock`],
        treeRemoved: [`-container-earlier:terok/clearance/${C2}.sock`],
        treeBack: [`+container:terok/clearance/${C1}/hub.sock`],
        sessionRestarted: ['-session:terok-clearance.sock', '+session:terok-clearance.sock'],
      },
      found: ['container', 'session'],
      afterClose: 8,
    });
  });

  test('a configured socket is watched in its own directory and reported each time a hub binds it', () => {
    expect(result('a configured socket: its directory is watched and a new socket there is reported'))
      .toEqual(['+configured:custom/hub.sock', '+configured:custom/hub.sock']);
  });

  test('the client catches up, routes verdicts to the emitting hub, survives a restart, follows the settings, and ends', () => {
    const value = result('the client as the extension builds it: catch-up, routing, restarts, configured sockets, end') as
      {backWithinMs: number};
    expect(value).toMatchObject({
      caughtUp: [[`${C1}:1`, true]],
      // a verdict tells the shield the blocked address, then the domain
      calls: {session: [[C1, '198.51.100.1', 'deny'], [C1, 'registry.example.net', 'deny']],
        container: [[C2, '198.51.100.1', 'allow'], [C2, 'pypi.example', 'allow']]},
      results: [['registry.example.net', 'deny', true], ['pypi.example', 'allow', true]],
      down: {status: 'unavailable', notRunning: true},
      configuredDown: {status: 'unavailable', notRunning: true},
      left: [0, 0, 0],
      kinds: ['added', 'resolved'],
    });
    // The new socket is seen by the monitor: no waiting out the back-off.
    expect(value.backWithinMs).toBeLessThan(900);
  });
});
