// REAL GNOME SHELL, REAL SERVICE: the packed extension in a headless GNOME Shell 48 against the Node hub and verdict
// helper (run as the session's user in the shell's runtime directory) with a recording shield stand-in; reader lines
// go into the hub's reader socket as terok-shield's reader writes them. Input is real: a virtual pointer and a
// virtual keyboard. The tests run in order and share the session.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {startShell, UUID, type Shell} from './harness.js';
import {pendingLine, startServices, type Services} from './support/clearance-services.js';
import {banner, FIND, indicator, INDICATOR, menu, waitFor} from './support/shell-probes.js';

const C1 = 'aaaaaaaaaaaa';
const C2 = 'bbbbbbbbbbbb';
const KEY = {Return: 0xff0d, space: 0x20, KP_Enter: 0xff8d, a: 0x61, d: 0x64, Escape: 0xff1b, Right: 0xff53,
  Super_L: 0xffeb, Shift_L: 0xffe1, c: 0x63};

let shell: Shell;
let services: Services;

beforeAll(async () => {
  shell = await startShell('clearance-prompts');
  services = await startServices(shell);
}, 180_000);
afterAll(async () => {
  await services?.stop();
  await shell?.stop();
});

const gsettings = (key: string, value: string) => shell.asTester(['gsettings', '--schemadir',
  `/home/tester/.local/share/gnome-shell/extensions/${UUID}/schemas`, 'set', 'org.gnome.shell.extensions.terok-clearance',
  key, value]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const allowButton = `(() => { ${FIND} return find('terok-clearance-allow'); })()`;
const invoked = () => services.invocations().map((i) => i.argv.join(' '));

describe('prompts from a real hub', () => {
  test('the extension finds the hub that started after it and shows it as connected', async () => {
    const state = await waitFor('connected', () => indicator(shell), (s) => s.accessibleName === 'Terok Clearance: No requests waiting');
    expect(state).toMatchObject({count: null, icon: 'security-high-symbolic'});
  });

  test('a block shows the indicator count and a prompt; a repeat updates it', async () => {
    await gsettings('arm-delay-ms', '2000');
    await services.write([pendingLine(C1, 1)]);
    const shown = await waitFor('the prompt', () => banner(shell), (b) => b.prompt !== null);
    expect(shown.visible).toBe(true);
    expect(shown.prompt).toEqual(['Blocked: registry.example.net:443', '×', 'warp/t42 · build', 'Protocol: TCP',
      'IP: 198.51.100.7', 'Deny', 'Allow']);
    expect((await indicator(shell)).count).toBe('1');

    await services.write([pendingLine(C1, 2)]);
    const repeated = await waitFor('the repeat', () => banner(shell), (b) => b.prompt?.some((t) => t.startsWith('Blocked 2 times since')) ?? false);
    expect(repeated.prompt).toHaveLength(8);
    expect((await indicator(shell)).count).toBe('1');
    await shell.screenshot('prompt');
  });

  test('before the arm delay a click does nothing; stray Enter and Space never answer', async () => {
    expect((await banner(shell)).armed).toBe(false);
    await shell.clickActor(allowButton);
    await sleep(300);
    expect(invoked()).toEqual([]);

    await waitFor('armed', () => banner(shell), (b) => b.armed === true);
    for (const key of [KEY.Return, KEY.space, KEY.KP_Enter, KEY.a]) await shell.pressKey(key);
    await sleep(500);
    expect(invoked()).toEqual([]);
    expect((await banner(shell)).prompt?.[0]).toBe('Blocked: registry.example.net:443');
  });

  test('a real click on Allow runs the shield once and the prompt turns into the result', async () => {
    await shell.clickActor(allowButton);
    const result = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(result.result).toEqual(['Allowed: registry.example.net', 'warp/t42 · build']);
    expect(invoked()).toEqual([`allow ${C1} registry.example.net`]);
    expect((await indicator(shell)).count).toBeNull();
    await waitFor('the banner gone', () => banner(shell), (b) => !b.visible);
  });
});

describe('the shell log', () => {
  test('has no errors or warnings from the extension', async () => {
    await services.stop();
    await shell.stop();
    const log = readFileSync(shell.log, 'utf8');
    expect(log.split('\n').filter((line) => /terok|clearance/i.test(line) && /error|warning|critical/i.test(line)))
      .toEqual([]);
  });
});

void [INDICATOR, menu, KEY];
