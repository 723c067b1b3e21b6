// A real headless GNOME Shell for end-to-end tests, driven from jest. startShell() packs the extension,
// starts session.sh in private PID and mount namespaces (so stopping, or dying, tears everything down), and
// returns helpers that act on the shell: evaluate JS in it, click and type with virtual input devices, take
// screenshots into dist/artifacts/shell/. Start it once per test file (beforeAll) and stop it in afterAll.
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {promisify} from 'node:util';
import {PACKAGE_ROOT as REPO} from '../../service/package-root.js';

const run = promisify(execFile);
const SESSION_SCRIPT = join(REPO, 'test/shell/session.sh');
export const ARTIFACTS = join(REPO, 'dist/artifacts/shell');
export const UUID = 'clearance@terok.ai';
const WORK = '/tmp/terok-shell-e2e'; // session.sh's work dir inside the root
const RUN = '/run/user/1000';

/** The Debian roots `npm run provision` builds: trixie has GNOME Shell 48, forky GNOME Shell 50. */
export type ShellRootName = 'trixie' | 'forky';

/** The root a session runs in when the test does not name one: TEROK_SHELL_ROOT, else trixie. */
function defaultRoot(): ShellRootName {
  const name = process.env.TEROK_SHELL_ROOT ?? 'trixie';
  if (name !== 'trixie' && name !== 'forky') throw new Error(`TEROK_SHELL_ROOT=${name}: expected trixie or forky`);
  return name;
}

export function shellRoot(name: ShellRootName = defaultRoot()): string {
  const root = join(process.env.TEROK_PEERS ?? '/var/cache/terok-clearance', name);
  if (!existsSync(join(root, 'usr/bin/gnome-shell')))
    throw new Error(`no GNOME Shell root at ${root}: run \`npm run provision\` (as root)`);
  return root;
}

// Evaluated inside the shell: runs the caller's async body and returns its JSON result base64-encoded, so
// the answer survives gdbus's GVariant quoting unchanged and a thrown error comes back with its stack.
function wrap(body: string): string {
  return `(async () => {
    const encode = (v) => imports.gi.GLib.base64_encode(new TextEncoder().encode(JSON.stringify(v)));
    try {
      const value = await (async () => { ${body} })();
      return encode({value: value === undefined ? null : value});
    } catch (e) {
      return encode({error: String(e), stack: e?.stack ?? ''});
    }
  })()`;
}

// Virtual input devices live on globalThis of the shell for the session; they belong to the test, not the
// extension. The Clutter backend moved to the stage context in newer mutter; fall back for GNOME 46/47.
export const INPUT = `
  const Clutter = imports.gi.Clutter;
  const backend = global.stage.context?.get_backend?.() ?? Clutter.get_default_backend();
  const seat = backend.get_default_seat();
  globalThis.__terokE2e ??= {
    pointer: seat.create_virtual_device(Clutter.InputDeviceType.POINTER_DEVICE),
    keyboard: seat.create_virtual_device(Clutter.InputDeviceType.KEYBOARD_DEVICE),
  };
  const {pointer, keyboard} = globalThis.__terokE2e;
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
`;

export interface Shell {
  readonly root: string;
  /** The host pid of the session's first process: `nsenter --target` it to run beside the shell. */
  readonly sessionPid: number;
  /** Evaluates an async function body in the shell (`Main` and `global` in scope); resolves to its JSON result. */
  eval<T = unknown>(body: string): Promise<T>;
  /** Runs argv inside the root as the session user, with the session bus. */
  asTester(argv: string[]): Promise<string>;
  /** A real click (virtual pointer) at stage coordinates. */
  click(x: number, y: number): Promise<void>;
  /** A real click at the centre of the actor an expression evaluates to in the shell. */
  clickActor(expression: string): Promise<void>;
  /** Presses and releases a key (a Clutter keyval) on a virtual keyboard. */
  pressKey(keyval: number): Promise<void>;
  /** Presses the keys in order and releases them in reverse: a chord such as Super+Shift+C. */
  pressChord(keyvals: number[]): Promise<void>;
  /** Saves a PNG of the whole stage as dist/artifacts/shell/<name>.png and returns that path. */
  screenshot(name: string): Promise<string>;
  /** Ends the session: every process in it is killed and its mounts are gone. Safe to call twice. */
  stop(): Promise<void>;
  /** Where the shell's log is copied when the session ends. */
  readonly log: string;
}

/**
 * Packs the extension and starts a shell session with it installed and enabled. `name` names the shell's
 * log in the artifacts (`<name>.shell.log`), saved when the session ends; `rootName` picks the Debian root
 * (and so the GNOME Shell version).
 */
export async function startShell(name: string, rootName?: ShellRootName): Promise<Shell> {
  const root = shellRoot(rootName);
  mkdirSync(ARTIFACTS, {recursive: true});
  const log = join(ARTIFACTS, `${name}.shell.log`);

  const child = spawn('unshare', ['--mount', '--pid', '--fork', '--propagation', 'private', '--kill-child=SIGKILL',
    'bash', SESSION_SCRIPT, root, UUID, log], {stdio: ['pipe', 'pipe', 'pipe']});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let diagnostics = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    diagnostics += chunk.toString();
  });
  // If jest's worker dies, its end of the pipe closes and session.sh exits; this covers a normal exit.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  try {
    await ready(child, exited, 120_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- session.sh ---\n${diagnostics}`, {cause: error});
  }
  const nsPid = childPid(child.pid!);

  const asTester = async (argv: string[]): Promise<string> => {
    const {stdout} = await run('nsenter', ['--target', String(nsPid), '--mount', '--pid', '--',
      'chroot', '--userspec=1000:1000', root, '/usr/bin/env', '-i', 'HOME=/home/tester', 'LANG=C.UTF-8',
      'PATH=/usr/bin:/bin', `XDG_RUNTIME_DIR=${RUN}`, `DBUS_SESSION_BUS_ADDRESS=unix:path=${RUN}/bus`, ...argv],
    {maxBuffer: 16 << 20});
    return stdout;
  };

  const evaluate = async <T>(body: string): Promise<T> => {
    const out = (await asTester(['gdbus', 'call', '--session', '--dest', 'org.gnome.Shell', '--object-path',
      '/org/gnome/Shell', '--method', 'org.gnome.Shell.Eval', gvariantString(wrap(body))])).trim();
    const match = /^\(true, '"([A-Za-z0-9+/=]*)"'\)$/.exec(out);
    if (!match) throw new Error(`Eval failed: ${out}`);
    const reply = JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')) as {value?: T; error?: string; stack?: string};
    if (reply.error !== undefined) throw new Error(`in the shell: ${reply.error}\n${reply.stack}`);
    return reply.value as T;
  };

  const clickAt = (point: string): Promise<void> => evaluate(`${INPUT}
    const [x, y] = ${point};
    pointer.notify_absolute_motion(Clutter.CURRENT_TIME, x, y);
    await pause(50);
    pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.PRESSED);
    pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.RELEASED);
    await pause(100);`);

  return {
    root,
    sessionPid: nsPid,
    log,
    eval: evaluate,
    asTester,
    click: (x, y) => clickAt(JSON.stringify([x, y])),
    clickActor: (expression) => clickAt(`(() => {
      const actor = ${expression};
      if (!actor) throw new Error('no actor: ' + ${JSON.stringify(expression)});
      const [x, y] = actor.get_transformed_position(), [w, h] = actor.get_transformed_size();
      return [x + w / 2, y + h / 2];
    })()`),
    pressKey: (keyval) => evaluate(`${INPUT}
      keyboard.notify_keyval(Clutter.CURRENT_TIME, ${Number(keyval)}, Clutter.KeyState.PRESSED);
      keyboard.notify_keyval(Clutter.CURRENT_TIME, ${Number(keyval)}, Clutter.KeyState.RELEASED);
      await pause(100);`),
    pressChord: (keyvals) => evaluate(`${INPUT}
      const keys = ${JSON.stringify(keyvals.map(Number))};
      for (const k of keys) { keyboard.notify_keyval(Clutter.CURRENT_TIME, k, Clutter.KeyState.PRESSED); await pause(20); }
      for (const k of keys.reverse()) keyboard.notify_keyval(Clutter.CURRENT_TIME, k, Clutter.KeyState.RELEASED);
      await pause(100);`),
    screenshot: async (name) => {
      if (!/^[\w.-]+$/.test(name)) throw new Error(`bad screenshot name ${name}`);
      const inRoot = `${WORK}/${name}.png`;
      await asTester(['gdbus', 'call', '--session', '--dest', 'org.gnome.Shell.Screenshot', '--object-path',
        '/org/gnome/Shell/Screenshot', '--method', 'org.gnome.Shell.Screenshot.Screenshot', 'false', 'false', inRoot]);
      const saved = join(ARTIFACTS, `${name}.png`);
      mkdirSync(ARTIFACTS, {recursive: true}); // again: a build meanwhile (rm -rf dist) takes it away
      copyFileSync(join(root, inRoot), saved);
      return saved;
    },
    stop,
  };
}

/** gdbus parses its arguments as GVariant text: quote the code so no character of it is reinterpreted. */
function gvariantString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function ready(child: ChildProcess, exited: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shell session not ready after ${ms} ms`)), ms);
    const lines = createInterface({input: child.stdout!});
    lines.on('line', (line) => {
      if (line !== 'READY') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`shell session exited during startup (code ${child.exitCode})`));
    });
  });
}

/** The session script's host pid: the only child of `unshare --fork`. */
function childPid(unsharePid: number): number {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/);
  if (children.length !== 1 || !children[0]) throw new Error(`unshare ${unsharePid} has children [${children.join(' ')}]`);
  return Number(children[0]);
}
