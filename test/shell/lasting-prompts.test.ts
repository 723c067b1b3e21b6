// REAL GNOME SHELL, REAL SERVICE: lasting answers from the shell. The packed extension in a headless GNOME Shell 48
// (TEROK_SHELL_ROOT=forky: 50) against the Node hub (with Decide, WatchDecisions, Revoke) and verdict helper, with the recording shield stand-in;
// input is a real (virtual) pointer. A click on "Allow 1 h" reaches the shield and makes a grant that the CLI and
// the indicator show with its time left; Revoke in the menu runs the shield's deny; a whole domain asks one
// confirmation in a modal dialog, where Cancel sends nothing and Confirm applies it; a broken rules file and a
// revocation the shield refuses raise the indicator's alert. The tests run in order and share the session.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {readFileSync, writeFileSync} from 'node:fs';
import {startShell, UUID, type Shell} from './harness.js';
import {pendingLine, startServices, type Services} from './support/clearance-services.js';
import {extensionLogProblems, leftovers} from './support/extension-checks.js';
import {actorNamed, banner, FIND, indicator, INDICATOR, menu, waitFor} from './support/shell-probes.js';

const C1 = 'dddddddddddd';
const KEY_ESCAPE = 0xff1b;

let shell: Shell;
let services: Services;

beforeAll(async () => {
  shell = await startShell('lasting-prompts');
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
const invoked = () => services.invocations().map((i) => i.argv.join(' '));
/**
 * A real click on the actor named `name` once it is laid out where it shows: a card redrawn a moment ago may not have
 * its new buttons allocated yet, and a click at their old place would land beside them.
 */
async function click(name: string): Promise<void> {
  await waitFor(`${name} laid out`, () => shell.eval<boolean>(`${FIND} const a = find(${JSON.stringify(name)});
    return Boolean(a?.mapped && a.has_allocation() && a.width > 0 && !a.is_allocation_pending?.());`), (ok) => ok);
  await shell.clickActor(actorNamed(name));
}
const reactive = (name: string) => shell.eval<boolean | null>(`${FIND} return find(${JSON.stringify(name)})?.reactive ?? null;`);

/** The grants `terok-clearance grants --json` lists: each grant's record. */
async function cliGrants(): Promise<Record<string, unknown>[]> {
  const {code, stdout, stderr} = await services.cli(['grants', '--json']);
  if (code !== 0) throw new Error(`grants --json exited ${code}: ${stderr}`);
  return stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as {grant: Record<string, unknown>}).grant);
}

interface Confirmation {
  /** Label texts of the dialog, buttons included. */
  texts: string[];
  modal: boolean;
}

const confirmation = () => shell.eval<Confirmation | null>(`${FIND}
  const dialog = find('terok-clearance-confirm');
  return dialog && dialog.visible ? {texts: texts(dialog), modal: Main.modalCount > 0} : null;`);

describe('a lasting answer from the prompt', () => {
  test('a prompt of a hub with Decide offers the lasting choices, folded under Deny and Allow', async () => {
    await waitFor('connected', () => shell.eval<string>(`return ${INDICATOR}.accessible_name;`),
      (name) => name === 'Terok Clearance: No requests waiting');
    await gsettings('arm-delay-ms', '300');
    await services.write([pendingLine(C1, 1)]);
    const shown = await waitFor('the prompt with its fold', () => banner(shell),
      (b) => b.prompt?.includes('Lasting answer…') ?? false);
    expect(shown.prompt).toEqual(['Blocked: registry.example.net:443', '×', 'warp/t42 · build', 'Protocol: TCP',
      'IP: 198.51.100.7', 'Deny', 'Allow', 'Lasting answer…']);

    await click('terok-clearance-lasting-toggle');
    const unfolded = await waitFor('the choices', () => banner(shell), (b) => b.prompt?.includes('Allow 1 h') ?? false);
    expect(unfolded.prompt?.slice(5)).toEqual(['Deny', 'Allow', 'Lasting answer ▴',
      'How long', '15 min', '1 h', '8 h', 'until exit', 'always',
      'For', 'This container', 'This project', 'Every container',
      'What', 'registry.example.net', '*.example.net',
      'Answers registry.example.net for this container (warp/t42 · build), for 1 hour.',
      'Deny 1 h', 'Allow 1 h']);
    // the defaults shown as chosen: for an hour, this container, this destination
    expect(await shell.eval(`${FIND} return ['lasting:1h', 'scope:container', 'pattern:target', 'lasting:8h']
      .map((n) => find('terok-clearance-' + n).checked);`)).toEqual([true, true, true, false]);
    await waitFor('armed', () => reactive('terok-clearance-lasting-allow'), (r) => r === true);
    await shell.screenshot('prompt-lasting');
    expect(invoked()).toEqual([]);
  });

  test('a real click on "Allow 1 h" reaches the shield (the address, then the domain) and makes a grant', async () => {
    await click('terok-clearance-lasting-allow');
    const result = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(result.result).toEqual(['Allowed: registry.example.net', 'warp/t42 · build',
      'Answers registry.example.net for this container (warp/t42 · build), for 1 hour.']);
    expect(invoked()).toEqual([`allow ${C1} 198.51.100.7`, `allow ${C1} registry.example.net`]);

    const grants = await cliGrants();
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({kind: 'grant', action: 'allow', target: 'registry.example.net', container: C1,
      ui: 'shell', request_id: `${C1}:1`});
    const left = Date.parse(String(grants[0]!.expires)) - Date.now();
    expect(left).toBeGreaterThan(58 * 60_000);
    expect(left).toBeLessThanOrEqual(60 * 60_000);
    const {stdout} = await services.cli(['grants']);
    expect(stdout).toMatch(/(1 h|59 min) left {2}allow registry\.example\.net for container dddddddddddd until /);
  });

  test('the indicator lists the grant with its time left; Revoke in the menu runs the shield deny', async () => {
    await shell.clickActor(INDICATOR);
    const items = await waitFor('the grants in the menu', () => menu(shell),
      (m) => m.some((t) => t[0] === 'Allow registry.example.net'));
    const at = items.findIndex((t) => t[0] === 'Allow registry.example.net');
    expect(items[at - 1]).toEqual(['Grants']);
    expect(items[at]).toEqual(['Allow registry.example.net', expect.stringMatching(/^warp\/t42 · build · (1 h|59 min) left$/),
      'Revoke']);
    await shell.screenshot('indicator-grants');

    const grantId = String((await cliGrants())[0]!.id);
    const before = invoked().length;
    await click(`terok-clearance-revoke:${grantId}`);
    await waitFor('the grant gone from the menu', () => menu(shell),
      (m) => !m.some((t) => t[0] === 'Allow registry.example.net' || t[0] === 'Grants'));
    // the hub drops the grant, then has the shield deny each target it allowed under it
    expect(await waitFor('the shield denies', async () => invoked().slice(before).sort(), (calls) => calls.length >= 2))
      .toEqual([`deny ${C1} 198.51.100.7`, `deny ${C1} registry.example.net`]);
    expect(await cliGrants()).toEqual([]);
    // the log's revocation shows among the recent decisions, with who decided
    const after = await waitFor('the revocation in the recent decisions', () => menu(shell),
      (m) => m.some((t) => t[1] === `by revocation of ${grantId} · warp/t42 · build`));
    expect(after).toContainEqual(['Recent decisions']);
    await shell.pressKey(KEY_ESCAPE);
  });
});

describe('a whole domain needs one confirmation', () => {
  test('the choice opens the dialog saying what will be allowed; Cancel (the default) sends nothing', async () => {
    await services.write([pendingLine(C1, 2, {domain: 'pypi.example.org'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: pypi.example.org:443'
      && b.prompt.includes('Lasting answer…'));
    await click('terok-clearance-lasting-toggle');
    await waitFor('the choices', () => banner(shell), (b) => b.prompt?.includes('*.example.org') ?? false);
    await click('terok-clearance-pattern:domain');
    const picked = await waitFor('the whole domain picked', () => banner(shell), (b) => b.prompt?.includes(
      'Answers example.org and every name under it for this container (warp/t42 · build), for 1 hour.') ?? false);
    expect(picked.prompt?.at(-1)).toBe('Allow 1 h');
    await waitFor('armed', () => reactive('terok-clearance-lasting-allow'), (r) => r === true);

    const before = invoked().length;
    await click('terok-clearance-lasting-allow');
    const dialog = await waitFor('the confirmation', confirmation, (c) => c !== null);
    expect(dialog).toEqual({modal: true, texts: ['Allow *.example.org?', 'Allows example.org and every name under it.',
      'Answers example.org and every name under it for this container (warp/t42 · build), for 1 hour.',
      'Cancel', 'Allow']});
    expect(await shell.eval(`${FIND} const cancel = find('terok-clearance-confirm-cancel');
      return cancel.has_style_pseudo_class('default') && global.stage.get_key_focus() === cancel;`)).toBe(true);
    expect((await banner(shell)).visible).toBe(false); // it steps aside: it sits above the dialog
    await shell.screenshot('confirm-wildcard');

    await click('terok-clearance-confirm-cancel');
    await waitFor('the dialog closed', confirmation, (c) => c === null);
    await sleep(300);
    expect(invoked().length).toBe(before);
    expect(await cliGrants()).toEqual([]);
    const still = await banner(shell);
    expect(still.prompt?.[0]).toBe('Blocked: pypi.example.org:443');
    expect(still.armed).toBe(true);
    expect(await shell.eval('return Main.modalCount;')).toBe(0);
  });

  test('Esc cancels too; Confirm applies it: a grant for *.example.org', async () => {
    const before = invoked().length;
    await click('terok-clearance-lasting-allow');
    await waitFor('the confirmation', confirmation, (c) => c !== null);
    await shell.pressKey(KEY_ESCAPE);
    await waitFor('the dialog closed', confirmation, (c) => c === null);
    expect(invoked().length).toBe(before);

    await click('terok-clearance-lasting-allow');
    await waitFor('the confirmation', confirmation, (c) => c !== null);
    await click('terok-clearance-confirm-ok');
    const result = await waitFor('the result', () => banner(shell), (b) => b.result !== null);
    expect(result.result?.[0]).toBe('Allowed: pypi.example.org');
    expect(invoked().slice(before)).toEqual([`allow ${C1} 198.51.100.7`, `allow ${C1} pypi.example.org`]);
    expect(await cliGrants()).toEqual([expect.objectContaining({target: '*.example.org', container: C1, ui: 'shell'})]);
  });
});

describe('alerts', () => {
  const menuAlerts = async () => (await menu(shell)).filter((t) => /^(Rules file broken:|Revoking) /.test(t[0] ?? ''));

  test('a broken rules file: the alert icon and a menu line with the reason, until it is fixed', async () => {
    writeFileSync(services.rulesFile, 'rules:\n  - allow: [\n');
    const alerted = await waitFor('the alert', () => indicator(shell), (i) => i.icon === 'security-low-symbolic');
    expect(alerted.accessibleName).toContain('rules file broken');
    await shell.clickActor(INDICATOR);
    const [line] = await waitFor('the menu line', menuAlerts, (a) => a.length === 1);
    expect(line![0]).toBe(`Rules file broken: ${services.rulesFile}`);
    expect(line![1]).toMatch(/line \d/);
    await shell.screenshot('indicator-rules-broken');
    await shell.pressKey(KEY_ESCAPE);
    writeFileSync(services.rulesFile, 'rules: []\n');
    await waitFor('the alert retired', () => indicator(shell), (i) => i.icon === 'security-high-symbolic');
  });

  test('a revocation the shield refuses shows as an alert until the hub\'s retry succeeds', async () => {
    await services.write([pendingLine(C1, 4, {domain: 'retry.example'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: retry.example:443'
      && b.prompt.includes('Lasting answer…'));
    await click('terok-clearance-lasting-toggle');
    await waitFor('armed', () => reactive('terok-clearance-lasting-allow'), (r) => r === true);
    await click('terok-clearance-lasting-allow');
    await waitFor('the result', () => banner(shell), (b) => b.result?.[0] === 'Allowed: retry.example');
    const grant = (await cliGrants()).find((g) => g.target === 'retry.example')!;

    await shell.clickActor(INDICATOR);
    await waitFor('the grant in the menu', () => menu(shell), (m) => m.some((t) => t[0] === 'Allow retry.example'));
    services.failNext();
    await click(`terok-clearance-revoke:${String(grant.id)}`);
    const [failing] = await waitFor('the failing revocation', menuAlerts, (a) => a.length > 0);
    expect(failing![0]).toMatch(/^Revoking (198\.51\.100\.7|retry\.example) for warp\/t42 · build failed \(1 try\)$/);
    expect(failing![1]).toMatch(/^simulated failure · next try at \d\d:\d\d:\d\d$/);
    expect((await indicator(shell)).icon).toBe('security-low-symbolic');
    await waitFor('the retry done', menuAlerts, (a) => a.length === 0, 15_000);
    expect((await indicator(shell)).icon).toBe('security-high-symbolic');
    await shell.pressKey(KEY_ESCAPE);
  });
});

describe('the preferences window', () => {
  // Its rows are GTK widgets the shell cannot read: the screenshots show them; the clicks land where they are drawn.
  test('lists the rule and the grant the hub holds; Delete removes the rule, Revoke ends the grant', async () => {
    writeFileSync(services.rulesFile, 'rules:\n  - allow: "*.pkgs.example"\n    project: warp\n    note: hand-written\n');
    await shell.asTester(['sh', '-c', `gnome-extensions prefs ${UUID} >/dev/null 2>&1 &`]);
    const frame = await waitFor('the window', () => shell.eval<number[] | null>(`
      const w = global.get_window_actors().map((a) => a.meta_window).find((m) => (m.get_title() ?? '').includes('Terok Clearance'));
      if (!w) return null;
      const r = w.get_frame_rect();
      return [r.x, r.y, r.width, r.height];`), (f) => f !== null && f[2]! > 0);
    await sleep(1000); // its first frames drawn
    // The page switcher in the header: "Lasting decisions" is its second half (a real click at its place).
    const [x, y, width] = frame!;
    await shell.click(x! + Math.round(width! * 0.625), y! + 22);
    await sleep(1500);
    await shell.screenshot('preferences-decisions');
    // Real clicks where the page puts them: the grant's Revoke first (its row's place does not depend on the rules
    // above it), then the rule's Delete; the hub does each and the page reads the decisions again.
    const before = invoked().length;
    await shell.click(x! + 529, y! + 282);
    await waitFor('the grant revoked', cliGrants, (grants) => grants.length === 0);
    expect(await waitFor('the shield denies', async () => invoked().slice(before).sort(), (calls) => calls.length >= 2))
      .toEqual([`deny ${C1} 198.51.100.7`, `deny ${C1} pypi.example.org`]); // what the grant had allowed
    await sleep(1500);
    await shell.click(x! + 532, y! + 150);
    await waitFor('the rule removed', async () => readFileSync(services.rulesFile, 'utf8'), (text) => !text.includes('pkgs.example'));
    await sleep(1500);
    await shell.screenshot('preferences-decisions-empty');
    await shell.click(x! + width! - 24, y! + 22); // its close button
    await waitFor('the window closed', () => shell.eval<boolean>(`return global.get_window_actors()
      .some((a) => (a.meta_window.get_title() ?? '').includes('Terok Clearance'));`), (open) => !open);
  });
});

describe('disable', () => {
  test('with the confirmation open, disable closes it and leaves nothing behind; nothing is answered', async () => {
    await services.write([pendingLine(C1, 3, {domain: 'files.example.com'})]);
    await waitFor('the prompt', () => banner(shell), (b) => b.prompt?.[0] === 'Blocked: files.example.com:443'
      && b.prompt.includes('Lasting answer…'));
    await click('terok-clearance-lasting-toggle');
    await waitFor('the choices', () => banner(shell), (b) => b.prompt?.includes('Every container') ?? false);
    await click('terok-clearance-lasting:always');
    await click('terok-clearance-scope:all');
    await waitFor('always for every container picked', () => banner(shell), (b) => b.prompt?.includes(
      'Answers files.example.com for every container, always (a rule in the rules file).') ?? false);
    await waitFor('armed', () => reactive('terok-clearance-lasting-allow'), (r) => r === true);
    const before = invoked().length;
    await click('terok-clearance-lasting-allow');
    const dialog = await waitFor('the confirmation', confirmation, (c) => c !== null);
    expect(dialog?.texts[0]).toBe('Allow files.example.com for every container?');

    await shell.asTester(['gnome-extensions', 'disable', UUID]);
    await waitFor('disabled', () => shell.eval<boolean>(`return ${INDICATOR} === undefined;`), (gone) => gone);
    expect(await leftovers(shell)).toEqual([]);
    await sleep(300);
    expect(invoked().length).toBe(before);
    await shell.asTester(['gnome-extensions', 'enable', UUID]);
    await waitFor('the prompt again', () => banner(shell).catch(() => null),
      (b) => b?.prompt?.[0] === 'Blocked: files.example.com:443');
  });

  test('the shell logged no errors or warnings from the extension', async () => {
    await services.stop();
    await shell.stop();
    expect(extensionLogProblems(shell.log)).toEqual([]);
  });
});
