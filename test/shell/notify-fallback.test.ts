// REAL GNOME SHELL: the desktop-notification fallback against GNOME Shell 48's own notification server (the
// headless session of harness.ts). The notifier runs in a child Node process fed prompt-model events as JSON lines,
// as the session's user (uid 1000: the session bus admits no one else) and inside the session's PID namespace
// (GNOME's notification service asks the bus for the poster's pid and never answers a poster it cannot see). Checks: quiet while the extension owns its name, posted when it is disabled, Allow pressed in the shell
// comes back exactly once (GNOME emits each signal twice: only the owner's counts), the result replaces the prompt.
import {afterAll, beforeAll, expect, test} from '@jest/globals';
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {startShell, UUID, type Shell} from './harness.js';

const REPO = new URL('../../', import.meta.url).pathname;
const TESTER_UID = 1000;

// Runs in the child: a DesktopNotifier fed by a PromptModel; prints {"settled":n} per input line, {"action":...}.
const DRIVER = `
  import {createInterface} from 'node:readline';
  const dist = ${JSON.stringify(join(REPO, 'dist/'))};
  const {DesktopNotifier} = await import(dist + 'service/notify/desktop-notifier.js');
  const {PromptModel} = await import(dist + 'core/clearance/prompts.js');
  const {makeEvent} = await import(dist + 'core/clearance/event.js');
  const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
  const notifier = await DesktopNotifier.start({onAction: (key, action) => say({action: [key, action]})});
  const model = new PromptModel();
  let n = 0;
  say({started: notifier.connected});
  for await (const line of createInterface({input: process.stdin})) {
    notifier.render(JSON.parse(line).flatMap((fields) => model.apply(makeEvent(fields), Date.now())));
    await notifier.settled();
    say({settled: ++n});
  }
  await notifier.dispose();
`;

interface Driver {
  /** What the notifier logged (debug level). */
  readonly log: () => string;
  send(events: object[]): Promise<void>;
  readonly actions: [string, string][];
  stop(): void;
}

/** The host pid of the session's gnome-shell: the one process chrooted into `root` with that name. */
function shellPid(root: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/root`) === root && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'gnome-shell') {
        return Number(entry);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no gnome-shell process under ${root}`);
}

async function startDriver(root: string): Promise<Driver> {
  // nsenter joins the session's mount and PID namespaces (its root is the host's "/", so Node and dist/ are
  // there); setpriv becomes the session user.
  const child: ChildProcessWithoutNullStreams = spawn('nsenter', ['--target', String(shellPid(root)), '--mount',
    '--pid', '--', 'setpriv', `--reuid=${TESTER_UID}`, `--regid=${TESTER_UID}`, '--clear-groups',
    process.execPath, '--input-type=module', '-e', DRIVER], {
    cwd: '/',
    env: {PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(root, 'run/user/1000/bus')}`,
      TEROK_CLEARANCE_LOG: 'debug'},
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const actions: [string, string][] = [];
  const waiting: ((value: {settled?: number; started?: boolean}) => void)[] = [];
  createInterface({input: child.stdout}).on('line', (line) => {
    const message = JSON.parse(line) as {action?: [string, string]; settled?: number; started?: boolean};
    if (message.action) actions.push(message.action);
    else waiting.shift()?.(message);
  });
  const next = (): Promise<{settled?: number; started?: boolean}> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`driver silent; stderr: ${stderr}`)), 10_000);
    waiting.push((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
  const started = await next();
  if (!started.started) throw new Error(`the notifier did not connect to the session bus; stderr: ${stderr}`);
  return {
    actions,
    log: () => stderr,
    send: async (events) => {
      const settled = next();
      child.stdin.write(JSON.stringify(events) + '\n');
      await settled;
    },
    stop: () => child.stdin.end(),
  };
}

interface Shown {
  title: string;
  body: string;
  urgency: number;
  resident: boolean;
  transient: boolean;
  actions: string[];
}

let shell: Shell;
let driver: Driver;

beforeAll(async () => {
  shell = await startShell('notify-fallback');
  driver = await startDriver(shell.root);
}, 180_000);
afterAll(async () => {
  driver?.stop();
  await shell?.stop();
});

function notifications(): Promise<Shown[]> {
  return shell.eval<Shown[]>(`
    return Main.messageTray.getSources().flatMap((s) => s.notifications).map((n) => ({
      title: n.title, body: n.body, urgency: n.urgency, resident: n.resident, transient: n.isTransient,
      actions: n.actions.map((a) => a.label)}));`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the notifier said:\n${driver.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const shownTitled = (title: string) => async (): Promise<Shown | undefined> =>
  (await notifications()).find((n) => n.title === title);

function blocked(requestId: string, domain: string): object {
  return {type: 'connection_blocked', container: 'c1', request_id: requestId, dest: '198.51.100.7', port: 443,
    proto: 6, domain, dossier: {project: 'proj', task: 't1', name: 'web'}};
}

test('real GNOME Shell: quiet with the extension, then post, press Allow once, result in place', async () => {
  // The session enables the extension, which owns org.terok.Clearance.Shell: the fallback shows nothing.
  await driver.send([blocked('r1', 'example.com')]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await notifications()).map((n) => n.title)).not.toContain('Blocked: example.com:443');

  await shell.asTester(['gnome-extensions', 'disable', UUID]);
  const prompt = await waitFor('the prompt', shownTitled('Blocked: example.com:443'), 15000);
  expect(prompt).toMatchObject({urgency: 3, resident: true, transient: false, actions: ['Allow', 'Deny']});
  expect(prompt.body).toContain('proj/t1 · web');
  expect(prompt.body).toContain('Protocol: TCP');

  await shell.eval(`
    const n = Main.messageTray.getSources().flatMap((s) => s.notifications)
      .find((n) => n.title === 'Blocked: example.com:443');
    n.actions.find((a) => a.label === 'Allow').activate();`);
  await waitFor('the action', async () => driver.actions.length > 0 || undefined);
  await new Promise((resolve) => setTimeout(resolve, 500)); // room for a second copy to arrive
  expect(driver.actions).toEqual([['["c1","example.com"]', 'allow']]);

  await driver.send([{type: 'verdict_applied', container: 'c1', request_id: 'r1', dest: 'example.com',
    action: 'allow', ok: true}]);
  const result = await waitFor('the result', shownTitled('Allowed: example.com'));
  expect(result).toMatchObject({urgency: 1, transient: true, resident: false, actions: []});
  expect((await notifications()).map((n) => n.title)).not.toContain('Blocked: example.com:443');

  // The extension is back: a new block is left to it.
  await shell.asTester(['gnome-extensions', 'enable', UUID]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await driver.send([blocked('r2', 'second.example')]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await notifications()).map((n) => n.title)).not.toContain('Blocked: second.example:443');
}, 60_000);
