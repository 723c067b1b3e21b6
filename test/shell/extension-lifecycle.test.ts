// The packed extension in a real headless GNOME Shell: it installs, loads ACTIVE, puts its indicator in the
// panel with a working menu, owns its bus name, and disable() leaves nothing behind so enable() works again.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {startShell, UUID, type Shell} from './harness.js';
import {extensionLogProblems, extensionState, INSTALLED_FILES, installedFiles, leftovers} from './support/extension-checks.js';
import {menu, waitFor} from './support/shell-probes.js';

const BUS_NAME = 'org.terok.Clearance.Shell';
const KEY_ESCAPE = 0xff1b;
const indicator = `Main.panel.statusArea[${JSON.stringify(UUID)}]`;

let shell: Shell;
beforeAll(async () => {
  shell = await startShell('extension-lifecycle');
}, 180_000);
afterAll(async () => {
  await shell?.stop();
});

/** Whether the shell's connection owns our name (polled: owning and releasing are asynchronous). */
async function ownsBusName(expected: boolean): Promise<boolean> {
  const body = `
    const {Gio, GLib} = imports.gi;
    const ask = (method, name) => Gio.DBus.session.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus', method, new GLib.Variant('(s)', [name]), null, Gio.DBusCallFlags.NONE, -1, null)
      .deepUnpack()[0];
    if (!ask('NameHasOwner', ${JSON.stringify(BUS_NAME)})) return false;
    return ask('GetNameOwner', ${JSON.stringify(BUS_NAME)}) === Gio.DBus.session.get_unique_name();`;
  for (let i = 0; i < 20; i++) {
    const owned = await shell.eval<boolean>(body);
    if (owned === expected) return owned;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !expected;
}

/** With no hub in this session, the menu explains that the service is not running, once the first try failed. */
const NOT_RUNNING_MENU = [['Clearance service not running', 'not running (no socket at /run/user/1000/terok-clearance.sock)'],
  [], ['Preferences…']];
const notRunningMenu = () => waitFor('the menu', () => menu(shell),
  (items) => JSON.stringify(items) === JSON.stringify(NOT_RUNNING_MENU));

async function openMenuByClick(): Promise<boolean> {
  await shell.clickActor(indicator);
  return shell.eval<boolean>(`return ${indicator}.menu.isOpen;`);
}

describe('extension lifecycle in GNOME Shell', () => {
  test('installed from the zip by gnome-extensions, loads ACTIVE, indicator in the panel, bus name owned', async () => {
    expect(await installedFiles(shell)).toEqual(INSTALLED_FILES);
    expect(await extensionState(shell, 'ACTIVE')).toBe('ACTIVE');
    expect(await shell.eval(`return ${indicator}?.mapped ?? 'missing';`)).toBe(true);
    expect(await ownsBusName(true)).toBe(true);
  });

  test('a real click opens the menu: service not running, Preferences…', async () => {
    expect(await openMenuByClick()).toBe(true);
    expect(await notRunningMenu()).toEqual(NOT_RUNNING_MENU);
    await shell.screenshot('indicator-menu');
    await shell.pressKey(KEY_ESCAPE);
    expect(await shell.eval(`return ${indicator}.menu.isOpen;`)).toBe(false);
  });

  test('disable leaves nothing behind; enable again works', async () => {
    await shell.asTester(['gnome-extensions', 'disable', UUID]);
    expect(await extensionState(shell, 'INACTIVE')).toBe('INACTIVE');
    expect(await shell.eval(`return ${indicator} === undefined;`)).toBe(true);
    expect(await leftovers(shell)).toEqual([]);
    expect(await ownsBusName(false)).toBe(false);

    await shell.asTester(['gnome-extensions', 'enable', UUID]);
    expect(await extensionState(shell, 'ACTIVE')).toBe('ACTIVE');
    expect(await ownsBusName(true)).toBe(true);
    expect(await openMenuByClick()).toBe(true);
    expect(await notRunningMenu()).toEqual(NOT_RUNNING_MENU);
    await shell.pressKey(KEY_ESCAPE);
  });

  test('Preferences… opens the Adw preferences window', async () => {
    expect(await openMenuByClick()).toBe(true);
    await shell.clickActor(`${indicator}.menu._getMenuItems().find((item) => item.label?.text === 'Preferences…')`);
    const titles = await shell.eval<string[]>(`
      for (let i = 0; i < 100; i++) {
        const titles = global.get_window_actors().map((a) => a.meta_window.get_title() ?? '');
        if (titles.some((t) => t.includes('Terok Clearance'))) return titles;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return global.get_window_actors().map((a) => a.meta_window.get_title() ?? '');`);
    expect(titles).toContainEqual(expect.stringContaining('Terok Clearance'));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let the window draw its first frames
    await shell.screenshot('preferences');
  });

  test('the shell logged no errors from the extension', async () => {
    await shell.stop();
    expect(extensionLogProblems(shell.log)).toEqual([]);
  });
});
