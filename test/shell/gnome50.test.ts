// REAL GNOME SHELL 50: the key checks of the GNOME 48 suites on the newest shell the extension lists, in the
// Debian forky root (`npm run provision`), against the real hub and verdict helper with the recording shield
// stand-in. The zip installs, the extension is ACTIVE (not OUT OF DATE), the indicator counts and its menu opens
// by a real click, a block shows a prompt, a real click on Allow runs the shield, disable leaves nothing behind,
// enable catches up, and the shell logs nothing from the extension. The tests run in order and share the session.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {startShell, UUID, type Shell} from './harness.js';
import {pendingLine, startServices, type Services} from './support/clearance-services.js';
import {extensionLogProblems, extensionState, INSTALLED_FILES, installedFiles, leftovers} from './support/extension-checks.js';
import {actorNamed, banner, indicator, INDICATOR, menu, waitFor} from './support/shell-probes.js';

const C1 = 'eeeeeeeeeeee';
const KEY_ESCAPE = 0xff1b;

let shell: Shell;
let services: Services;

beforeAll(async () => {
  shell = await startShell('gnome50', 'forky');
  services = await startServices(shell);
}, 180_000);
afterAll(async () => {
  await services?.stop();
  await shell?.stop();
});

const invoked = () => services.invocations().map((i) => i.argv.join(' '));

describe('the extension on GNOME Shell 50', () => {
  test('the shell is 50; the zip installed by gnome-extensions loads ACTIVE with its indicator', async () => {
    expect(await shell.asTester(['gnome-shell', '--version'])).toMatch(/^GNOME Shell 50\.\d+/);
    expect(await installedFiles(shell)).toEqual(INSTALLED_FILES);
    expect(await extensionState(shell, 'ACTIVE')).toBe('ACTIVE');
    expect(await shell.eval(`return ${INDICATOR}?.mapped ?? 'missing';`)).toBe(true);
  });

  test('the indicator shows the hub connected; a real click opens its menu', async () => {
    await waitFor('connected', () => indicator(shell), (s) => s.accessibleName === 'Terok Clearance: No requests waiting');
    await shell.clickActor(INDICATOR);
    const items = await waitFor('the menu', () => menu(shell), (m) => m.some((t) => t[0] === 'Preferences…'));
    expect(items[0]).toEqual(['No requests waiting']);
    await shell.screenshot('gnome50-indicator-menu');
    await shell.pressKey(KEY_ESCAPE);
    expect(await shell.eval(`return ${INDICATOR}.menu.isOpen;`)).toBe(false);
  });

  test('a block counts in the indicator and shows a prompt; a real click on Allow runs the shield', async () => {
    await services.write([pendingLine(C1, 1)]);
    const shown = await waitFor('the armed prompt', () => banner(shell), (b) => b.prompt !== null && b.armed === true);
    expect(shown.prompt).toEqual(['Blocked: registry.example.net:443', '×', 'warp/t42 · build', 'Protocol: TCP',
      'IP: 198.51.100.7', 'Deny', 'Allow', 'Lasting answer…']);
    expect((await indicator(shell)).count).toBe('1');
    await shell.screenshot('gnome50-prompt');

    await shell.clickActor(actorNamed('terok-clearance-allow'));
    const result = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(result.result).toEqual(['Allowed: registry.example.net', 'warp/t42 · build']);
    expect(invoked()).toEqual([`allow ${C1} 198.51.100.7`, `allow ${C1} registry.example.net`]);
    expect((await indicator(shell)).count).toBeNull();
  });

  test('disable leaves nothing behind; enabled again, it catches up what was blocked meanwhile', async () => {
    await shell.asTester(['gnome-extensions', 'disable', UUID]);
    expect(await extensionState(shell, 'INACTIVE')).toBe('INACTIVE');
    expect(await shell.eval(`return ${INDICATOR} === undefined;`)).toBe(true);
    expect(await leftovers(shell)).toEqual([]);

    await services.write([pendingLine(C1, 2, {domain: 'late.example'})]);
    await shell.asTester(['gnome-extensions', 'enable', UUID]);
    expect(await extensionState(shell, 'ACTIVE')).toBe('ACTIVE');
    await waitFor('caught up', () => indicator(shell).catch(() => null), (i) => i?.count === '1');
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: late.example:443');
  });

  test('the shell logged no errors or warnings from the extension', async () => {
    await services.stop();
    await shell.stop();
    expect(extensionLogProblems(shell.log)).toEqual([]);
  });
});
