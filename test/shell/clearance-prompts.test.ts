// REAL GNOME SHELL, REAL SERVICE: the packed extension in a headless GNOME Shell 48 against the Node hub and verdict
// helper (run as the session's user in the shell's runtime directory) with a recording shield stand-in; reader lines
// go into the hub's reader socket as terok-shield's reader writes them. Input is real: a virtual pointer and a
// virtual keyboard. The tests run in order and share the session.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {INPUT, startShell, UUID, type Shell} from './harness.js';
import {pendingLine, startServices, type Services} from './support/clearance-services.js';
import {extensionLogProblems, leftovers} from './support/extension-checks.js';
import {actorNamed, banner, FIND, indicator, INDICATOR, menu, waitFor} from './support/shell-probes.js';

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
const allowButton = actorNamed('terok-clearance-allow');
const denyButton = actorNamed('terok-clearance-deny');
const keyFocusInBanner = () => shell.eval<boolean>(`${FIND}
  const focus = global.stage.get_key_focus(), banner = find('terok-clearance-banner');
  return Boolean(focus && banner && (focus === banner || banner.contains(focus)));`);
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
    // the hub has Decide: the lasting answers are folded under Deny and Allow (lasting-prompts.test.ts opens them)
    expect(shown.prompt).toEqual(['Blocked: registry.example.net:443', '×', 'warp/t42 · build', 'Protocol: TCP',
      'IP: 198.51.100.7', 'Deny', 'Allow', 'Lasting answer…']);
    expect((await indicator(shell)).count).toBe('1');

    await services.write([pendingLine(C1, 2)]);
    const repeated = await waitFor('the repeat', () => banner(shell), (b) => b.prompt?.some((t) => t.startsWith('Blocked 2 times since')) ?? false);
    expect(repeated.prompt).toHaveLength(9);
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
    expect(invoked()).toEqual([`allow ${C1} 198.51.100.7`, `allow ${C1} registry.example.net`]);
    expect((await indicator(shell)).count).toBeNull();
    await waitFor('the banner gone', () => banner(shell), (b) => !b.visible);
  });
});

describe('answers', () => {
  test('a failed verdict stays answerable, and a retry applies it', async () => {
    await gsettings('arm-delay-ms', '300');
    await services.write([pendingLine(C1, 3, {domain: 'pypi.example.org'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: pypi.example.org:443' && b.armed === true);
    services.failNext();
    await shell.clickActor(denyButton);
    const failed = await waitFor('the failure', () => banner(shell), (b) => b.armed === true
      && (b.prompt?.includes('Deny failed: pypi.example.org: simulated failure') ?? false));
    expect(failed.result).toBeNull();
    await shell.clickActor(denyButton);
    const denied = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(denied.result).toEqual(['Denied: pypi.example.org', 'warp/t42 · build']);
    // the failed try stops at the address; the retry tells the shield the address, then the domain
    expect(invoked().slice(-3)).toEqual([`deny ${C1} 198.51.100.7`, `deny ${C1} 198.51.100.7`, `deny ${C1} pypi.example.org`]);
  });

  test('a double click runs the shield once', async () => {
    await services.write([pendingLine(C1, 20, {domain: 'double.example'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: double.example:443' && b.armed === true);
    await shell.eval(`${INPUT} ${FIND}
      const allow = find('terok-clearance-allow');
      const [x, y] = allow.get_transformed_position(), [w, h] = allow.get_transformed_size();
      pointer.notify_absolute_motion(Clutter.CURRENT_TIME, x + w / 2, y + h / 2);
      await pause(50);
      for (let i = 0; i < 2; i++) {
        pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.PRESSED);
        pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.RELEASED);
      }`);
    await waitFor('the result', () => banner(shell), (b) => b.result?.[0] === 'Allowed: double.example');
    await sleep(300);
    expect(invoked().filter((line) => line.includes('double.example'))).toEqual([`allow ${C1} double.example`]);
  });

  test('text from the wire is shown as text, never as markup', async () => {
    await services.write([pendingLine(C2, 1, {domain: 'evil<b>x</b>&amp;.example',
      dossier: {project: '<i>p</i>', task: 't&amp;', name: '<span foreground="red">n</span>'}})]);
    const shown = await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0]?.startsWith('Blocked: evil') ?? false);
    expect(shown.prompt?.slice(0, 3)).toEqual(['Blocked: evil<b>x</b>&amp;.example:443', '×',
      '<i>p</i>/t&amp; · <span foreground="red">n</span>']);
    expect(await shell.eval(`${FIND}
      const labels = [];
      const walk = (a) => { if (a instanceof St.Label) labels.push(a); a.get_children().forEach(walk); };
      walk(find('terok-clearance-banner'));
      return labels.filter((l) => l.clutter_text.use_markup).map((l) => l.text);`)).toEqual([]);
    await shell.screenshot('prompt-hostile-text');
  });

  test('the × hides the banner; the request stays in the indicator', async () => {
    await shell.clickActor(`(() => { ${FIND} return find('terok-clearance-prompt').get_children()[0].get_children()[1]; })()`);
    await waitFor('the banner hidden', () => banner(shell), (b) => !b.visible);
    expect((await indicator(shell)).count).toBe('1');
    expect(invoked().filter((line) => line.includes(C2))).toEqual([]);
  });

  test('the queue shortcut takes the keyboard: single keys answer, Enter and Space do not, Esc gives it back', async () => {
    await services.write([pendingLine(C1, 4, {domain: 'files.example.com'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: files.example.com:443');
    expect(await keyFocusInBanner()).toBe(false); // a prompt alone never takes the keyboard
    await shell.pressChord([KEY.Super_L, KEY.Shift_L, KEY.c]);
    const queue = await waitFor('the queue', () => banner(shell), (b) => b.prompt?.some((t) => t.startsWith('a Allow')) ?? false);
    expect(queue.prompt?.at(-1)).toBe('a Allow · d Deny · ←/→ 2 of 2 · Esc close');
    expect(await keyFocusInBanner()).toBe(true);
    await waitFor('armed', () => banner(shell), (b) => b.armed === true);
    await shell.screenshot('queue');

    for (const key of [KEY.Return, KEY.space, KEY.KP_Enter]) await shell.pressKey(key);
    await sleep(300);
    expect(invoked().filter((line) => line.includes('files.example.com'))).toEqual([]);

    await shell.pressKey(KEY.a);
    const allowed = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(allowed.result?.[0]).toBe('Allowed: files.example.com');
    expect(invoked().at(-1)).toBe(`allow ${C1} files.example.com`);

    await shell.pressKey(KEY.Right); // on to what is still waiting: the prompt of C2
    await waitFor('the next prompt', () => banner(shell), (b) => b.prompt?.[0]?.startsWith('Blocked: evil') ?? false);
    await shell.pressKey(KEY.Escape);
    expect(await keyFocusInBanner()).toBe(false);
    expect(await shell.eval('return Main.actionMode === imports.gi.Shell.ActionMode.NORMAL;')).toBe(true);
  });

  test('the menu groups the requests by container; Allow all answers a whole container', async () => {
    await services.write([pendingLine(C1, 5, {domain: 'a.example'}), pendingLine(C1, 6, {domain: 'b.example'})]);
    await waitFor('three waiting', () => indicator(shell), (i) => i.count === '3');
    await shell.clickActor(INDICATOR);
    const items = await waitFor('the menu', () => menu(shell), (m) => m.some((t) => t[0] === '3 requests waiting'));
    expect(items.filter((t) => t.length > 0)).toEqual([
      ['3 requests waiting'],
      // containers in the order their first request came in
      ['<i>p</i>/t&amp; · <span foreground="red">n</span>', 'Deny all', 'Allow all'],
      ['evil<b>x</b>&amp;.example:443', 'TCP · 198.51.100.7', 'Deny', 'Allow'],
      ['warp/t42 · build', 'Deny all', 'Allow all'],
      ['a.example:443', 'TCP · 198.51.100.7', 'Deny', 'Allow'],
      ['b.example:443', 'TCP · 198.51.100.7', 'Deny', 'Allow'],
      ...items.filter((t) => t[0] === 'Recent decisions' || /^(Allowed|Denied): /.test(t[0] ?? '') || t[0] === 'Preferences…'),
    ]);
    await shell.screenshot('indicator-menu');

    await waitFor('armed', () => shell.eval<boolean>(`${FIND} return find('terok-clearance-allow-all:${C1}').reactive;`), (r) => r);
    await shell.clickActor(actorNamed(`terok-clearance-allow-all:${C1}`));
    await waitFor('one waiting', () => indicator(shell), (i) => i.count === '1');
    expect(invoked().slice(-4).sort()).toEqual([`allow ${C1} 198.51.100.7`, `allow ${C1} 198.51.100.7`, `allow ${C1} a.example`,
      `allow ${C1} b.example`]);
    const after = await menu(shell);
    expect(after).toContainEqual(['Recent decisions']);
    expect(after.map((t) => t[0])).toEqual(expect.arrayContaining([expect.stringMatching(/^Allowed: a\.example · /),
      expect.stringMatching(/^Allowed: b\.example · /)]));
    await shell.screenshot('indicator-menu-recent');
    await shell.pressKey(KEY.Escape);
  });
});

describe('alerts and hub health', () => {
  test('shield down raises the alert and drops the container\'s prompts; shield up retires it', async () => {
    await services.write([{type: 'shield_down', container: C2, dossier: {project: 'warp', task: 't7', name: 'db'}}]);
    const alerted = await waitFor('the alert', () => indicator(shell), (i) => i.icon === 'security-low-symbolic');
    expect(alerted.styles).toContain('terok-clearance-alert');
    expect(alerted.count).toBeNull();
    const card = await waitFor('the alert card', () => banner(shell), (b) => b.all.includes('Shield down: warp/t7 · db'));
    expect(card.all).toContain('Egress filtering is bypassed for this container.');
    await shell.screenshot('alert');
    await shell.clickActor(INDICATOR);
    await waitFor('the menu alert', () => menu(shell), (m) => m.some((t) => t[0] === 'Shield down: warp/t7 · db'));
    await shell.screenshot('alert-menu');
    await shell.pressKey(KEY.Escape);

    await services.write([{type: 'shield_up', container: C2}]);
    await waitFor('the alert retired', () => indicator(shell), (i) => i.icon === 'security-high-symbolic' && !i.styles.includes('alert'));
    await waitFor('the alert card gone', () => banner(shell), (b) => !b.all.includes('Shield down: warp/t7 · db'));
  });

  test('hub stopped: "service not running"; hub back: connected again, its requests shown', async () => {
    await services.stopHub();
    const down = await waitFor('not running', () => indicator(shell), (i) => i.accessibleName.includes('Clearance service not running'));
    expect(down.styles).toContain('terok-clearance-offline');
    await services.startHub();
    await waitFor('connected', () => indicator(shell), (i) => i.accessibleName === 'Terok Clearance: No requests waiting');
    await services.write([pendingLine(C1, 7, {domain: 'c.example'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: c.example:443');
  });

  test('requests blocked while the extension was off are caught up through Pending when it comes back', async () => {
    await shell.asTester(['gnome-extensions', 'disable', UUID]);
    await waitFor('disabled', () => shell.eval<boolean>(`return ${INDICATOR} === undefined;`), (gone) => gone);
    await services.write([pendingLine(C1, 8, {domain: 'd.example'})]);
    await shell.asTester(['gnome-extensions', 'enable', UUID]);
    await waitFor('two waiting', () => indicator(shell).catch(() => null), (i) => i?.count === '2');
    await shell.clickActor(INDICATOR);
    const items = await waitFor('the menu', () => menu(shell), (m) => m.some((t) => t[0] === '2 requests waiting'));
    expect(items.map((t) => t[0])).toEqual(expect.arrayContaining(['c.example:443', 'd.example:443']));
    await shell.pressKey(KEY.Escape);
  });

  test('container lifecycle cards when asked for', async () => {
    await gsettings('notify-lifecycle', 'true');
    await services.write([{type: 'container_started', container: 'cccccccccccc', dossier: {container_name: 'web-1'}}]);
    await waitFor('the card', () => banner(shell), (b) => b.all.includes('Container started: web-1'));
  });
});

describe('keyboard focus', () => {
  // A GTK window with a text entry, run in the session: its title follows what is typed into it; Escape closes it.
  const TYPING_APP = `
    imports.gi.versions.Gtk = '4.0';
    const {Gtk, GLib} = imports.gi;
    Gtk.init();
    const loop = GLib.MainLoop.new(null, false);
    const window = new Gtk.Window({title: 'typed:', default_width: 360, default_height: 80});
    const entry = new Gtk.Entry();
    entry.connect('changed', () => { window.title = 'typed:' + entry.text; });
    const keys = new Gtk.EventControllerKey();
    keys.connect('key-pressed', (_c, keyval) => { if (keyval === 0xff1b) loop.quit(); return false; });
    window.add_controller(keys);
    window.set_child(entry);
    window.connect('close-request', () => { loop.quit(); return false; });
    window.present();
    loop.run();`;
  const focused = () => shell.eval<string | null>('return global.display.focus_window?.get_title() ?? null;');

  test('a prompt appearing while the operator types leaves the keyboard with the window; the keys never answer it', async () => {
    writeFileSync(join(shell.root, 'tmp/terok-shell-e2e/typing.js'), TYPING_APP);
    await shell.asTester(['sh', '-c', 'WAYLAND_DISPLAY=wayland-0 setsid gjs /tmp/terok-shell-e2e/typing.js >/dev/null 2>&1 &']);
    await waitFor('the window focused', focused, (title) => title === 'typed:');
    await gsettings('arm-delay-ms', '0');
    const before = invoked().length;
    await services.write([pendingLine(C2, 2, {domain: 'typing.example'})]);
    await waitFor('counted', () => indicator(shell), (i) => i.count === '3');
    // The prompt on show (the oldest waiting: the banner never swaps one under the pointer), armed, in front.
    const shown = await waitFor('the prompt', () => banner(shell), (b) => b.prompt !== null && b.armed === true);
    for (const key of [KEY.a, KEY.d, KEY.space, KEY.Return]) await shell.pressKey(key);
    expect(await waitFor('the keys in the window', focused, (title) => title === 'typed:ad ')).toBe('typed:ad ');
    expect(await keyFocusInBanner()).toBe(false);
    expect(invoked().length).toBe(before);
    expect((await banner(shell)).prompt).toEqual(shown.prompt);
    await shell.screenshot('prompt-while-typing');
    await shell.pressKey(KEY.Escape);
    await waitFor('the window gone', focused, (title) => title === null);
  });

  test('prompt style "indicator": a block only counts in the indicator', async () => {
    await gsettings('prompt-style', "'indicator'");
    await shell.clickActor(denyButton); // the typing prompt answered, so nothing is on show
    await waitFor('the banner gone', () => banner(shell), (b) => !b.visible, 8000);
    const count = (await indicator(shell)).count;
    await services.write([pendingLine(C2, 3, {domain: 'quiet.example'})]);
    await waitFor('counted', () => indicator(shell), (i) => i.count === String(Number(count ?? 0) + 1));
    expect((await banner(shell)).visible).toBe(false);
    await gsettings('prompt-style', "'banner'");
  });
});

describe('disable and enable', () => {
  test('disable leaves nothing behind: no actor, keybinding or grab; enable works again', async () => {
    await shell.asTester(['gnome-extensions', 'disable', UUID]);
    await waitFor('disabled', () => shell.eval<boolean>(`return ${INDICATOR} === undefined;`), (gone) => gone);
    expect(await leftovers(shell)).toEqual([]);

    await shell.asTester(['gnome-extensions', 'enable', UUID]);
    await waitFor('caught up again', () => indicator(shell).catch(() => null), (i) => i?.count === '3');
    expect(await shell.eval(`return (Main.wm._allowedKeybindings['queue-shortcut'] ?? 0) !== 0;`)).toBe(true);
  });
});

describe('the shell log', () => {
  test('has no errors or warnings from the extension', async () => {
    await services.stop();
    await shell.stop();
    expect(extensionLogProblems(shell.log)).toEqual([]);
  });
});

