// Lasting answers at `terok-clearance watch` in a real pseudo-terminal (tmux), against the hub and verdict helper
// processes (HubRig): "a N 1h" makes a grant, a whole domain asks y/n first and "n" answers nothing, "y" applies it
// and the prompts it covers are answered with it; a block the new rule answers is shown; the help line lists the lasting forms.
import {afterEach, beforeEach, expect, test} from '@jest/globals';
import {join} from 'node:path';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {CLI, HubRig, pendingCount} from '../support/hub-rig.js';
import {TmuxPane} from './support/tmux.js';

const C = 'abc123def456';

let rig: HubRig;
let pane: TmuxPane | undefined;
let rpc: VarlinkClient | undefined;

beforeEach(() => {
  rig = new HubRig();
});

afterEach(async () => {
  await pane?.kill();
  rpc?.close();
  pane = rpc = undefined;
  await rig.close();
});

function block(n: number, dest: string, domain: string): string {
  return JSON.stringify({type: 'pending', container: C, id: `${C}:${n}`, dest, port: 443, proto: 6, domain,
    dossier: {project: 'warp', task: 't1', name: 'agent'}, ts: '2026-12-05T10:00:00.000001+00:00'});
}

test('a N 1h makes a grant; a whole domain is confirmed with y (n answers nothing) and covers the other prompt', async () => {
  await rig.startAll();
  rpc = await VarlinkClient.connect(rig.paths.hub);
  await rig.writeLines([block(1, '198.51.100.1', 'registry.example.net'), block(2, '198.51.100.2', 'a.example.org'),
    block(3, '198.51.100.3', 'b.example.org')]);
  await pendingCount(rpc, 3);
  const env = {...rig.env, LANG: 'C.UTF-8', TEROK_CLEARANCE_PODMAN: 'off'};
  pane = await TmuxPane.start(join(rig.dir, 'tmux.sock'), `'${process.execPath}' '${CLI}' watch; sleep 60`, env);
  await pane.waitForText('[3] Blocked: b.example.org:443');

  await pane.type('h');
  await pane.waitForText('a N WHEN [SCOPE] [domain]');
  await pane.type('a 1 1h');
  await pane.waitForText('[1] Allowed: registry.example.net');
  await pane.waitForText(`[1] decided: allow registry.example.net for container ${C} until`);
  const {grants} = await rpc.call('org.terok.Clearance1.Decisions') as {grants: {target: string; ui: string}[]};
  expect(grants.map((g) => [g.target, g.ui])).toEqual([['registry.example.net', 'watch']]);

  await pane.type('a 2 always domain');
  await pane.waitForText('[2] Allows example.org and every name under it. Confirm: y (anything else cancels)');
  await pane.type('n');
  await pane.waitForText('Not confirmed: nothing was answered.');
  expect(rig.shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net']]);
  await pane.type('a 2 always domain');
  await pane.type('y');
  await pane.waitForText('[2] decided: allow *.example.org for container');
  await pane.waitForText(`[2] also answered: ${C}:3`);
  expect(rig.shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net'],
    ['allow', C, '198.51.100.2'], ['allow', C, 'a.example.org'], ['allow', C, '198.51.100.3'], ['allow', C, 'b.example.org']]);
  // The new rule answers the next block itself: watch shows it, and who decided.
  await rig.writeLines([block(4, '198.51.100.4', 'c.example.org')]);
  await pane.waitFor((screen) => /rule r[0-9a-f]{10} {2}allow c\.example\.org:443 {2}warp\/t1 · agent \(abc123def456\) {2}ok/.test(screen),
    'the rule\'s answer');
  await pane.type('a 3 forever');
  await pane.waitForText("'forever' is not 15m, 1h, 8h, 1h30m, until-exit or always");
});
