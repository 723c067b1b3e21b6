// `terok-clearance-notify` (the installed name scripts of the original tool call) is `terok-clearance notify`:
// the same output and exit code for the same arguments.
import {expect, test} from '@jest/globals';
import {readFileSync, statSync} from 'node:fs';
import {resolve} from 'node:path';
import {distModule, run} from '../support/peers.js';

const ALIAS = resolve('bin/terok-clearance-notify.js');
const MAIN = resolve('bin/terok-clearance.js');

test('installed as a command, executable', () => {
  distModule('service/cli.ts');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {bin: Record<string, string>};
  expect(pkg.bin['terok-clearance-notify']).toBe('bin/terok-clearance-notify.js');
  expect(statSync(ALIAS).mode & 0o111).toBe(0o111);
});

test.each([
  ['help', ['--help']],
  ['a usage error', []],
  ['no session bus', ['Title', 'Body']],
])('%s: the same as terok-clearance notify', async (_what, args) => {
  const env = {PATH: process.env.PATH, HOME: process.env.HOME, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus'};
  const alias = await run([ALIAS, ...args], {env});
  const main = await run([MAIN, 'notify', ...args], {env});
  expect(alias).toEqual(main);
  expect(alias.stdout + alias.stderr).toContain('notify');
});
