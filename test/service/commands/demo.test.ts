// The README's run command: the demo, driven through a real pseudo-terminal as a new user would use it.
import {afterEach, expect, test} from '@jest/globals';
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {TmuxPane} from '../terminal/support/tmux.js';

let dir: string;
let pane: TmuxPane | undefined;

afterEach(async () => {
  await pane?.kill();
  rmSync(dir, {recursive: true, force: true});
});

test('the demo shows sample blocks, applies an allow through the simulated shield, and cleans up on quit', async () => {
  dir = mkdtempSync(join(tmpdir(), 'demo-test-'));
  // TMPDIR: the demo's private directory is made here, so the test can check it is gone afterwards.
  const env = {...process.env, TMPDIR: dir, NO_COLOR: '1'};
  pane = await TmuxPane.start(join(dir, 'tmux.sock'), `${process.execPath} ${resolve('dist/service/cli.js')} demo --interval 1; echo "exit=$?"; sleep 60`, env);
  await pane.waitForText('[3] Blocked: 192.0.2.53:53  (scratch, Protocol: UDP)', 10_000);
  await pane.waitForText('[1] Blocked: registry.example.net:443  (warp/t42 · build, Protocol: TCP, IP: 198.51.100.7)');
  await pane.type('a 1');
  await pane.waitForText('[1] Allowed: registry.example.net (warp/t42 · build)');
  await pane.type('d 3');
  await pane.waitForText('[3] Denied: 192.0.2.53 (scratch)');
  await pane.type('q');
  const screen = await pane.waitForText('exit=0', 10_000);
  expect(screen).toContain('terok-shield allow a1b2c3d4e5f6 registry.example.net');
  expect(screen).toContain('terok-shield deny 9a8b7c6d5e4f 192.0.2.53');
  const demoDirs = readdirSync(dir).filter((e) => e.startsWith('terok-clearance-demo-'));
  expect(demoDirs).toEqual([]);
  expect(existsSync(join(dir, 'tmux.sock'))).toBe(true);
}, 40_000);
