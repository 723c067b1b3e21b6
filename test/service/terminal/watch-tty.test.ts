// `terok-clearance watch` in a real pseudo-terminal (tmux), against the hub's own logic on a real socket in a private
// runtime directory: what the operator sees, typed commands, a hostile domain, a hub restart, and quitting.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {makeEvent} from '../../../core/clearance/event.js';
import {distModule} from '../support/peers.js';
import {blocked, C1, C2, startTestHub, type TestHub} from '../client/support/test-hub.js';
import {TmuxPane} from './support/tmux.js';

let runtime: string;
let hub: TestHub | undefined;
let pane: TmuxPane | undefined;
let panes = 0;

beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), 'tty-'));
});

afterEach(async () => {
  await pane?.kill();
  await hub?.close();
  pane = hub = undefined;
  rmSync(runtime, {recursive: true, force: true});
});

async function startWatch(extraEnv: NodeJS.ProcessEnv = {}): Promise<TmuxPane> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', XDG_RUNTIME_DIR: runtime, ...extraEnv,
  };
  const command = `'${process.execPath}' '${distModule('service/cli.ts')}' watch; echo "EXIT=$?"; sleep 60`;
  // A fresh tmux server each time: one that was just killed may still hold its socket.
  return TmuxPane.start(join(runtime, `tmux-${++panes}.sock`), command, env);
}

const C3 = 'fedcba987654';

const count = (screen: string, text: string) => screen.split(text).length - 1;

describe('watch in a terminal', () => {
  test('prompts, answers, hostile text, unknown input, a hub restart and quitting, as the operator sees them', async () => {
    hub = await startTestHub(join(runtime, 'terok-clearance.sock'));
    hub.hub.ingest(blocked(1)); // before the client starts: it must catch up
    pane = await startWatch();
    await pane.waitForText('hub session: connected');
    await pane.waitForText('[1] Blocked: registry.example.net:443  (warp/t42 · build, Protocol: TCP, IP: 198.51.100.1)');

    // A hub we do not control sends escape sequences and a bidi override: shown, defused, never obeyed.
    hub.hub.ingest(blocked(2, {
      domain: 'evil\x1b[2J\x1b]2;owned\x07\u202eten.example',
      dossier: {project: 'warp', task: 't42', name: '\x1b[31mred\x1b[0m'},
    }));
    let screen = await pane.waitForText('[2] Blocked: evil');
    expect(screen).toContain('[2] Blocked: evil\uFFFD[2J\uFFFD]2;owned\uFFFD\uFFFDten.example:443');
    expect(screen).toContain('warp/t42 · \uFFFD[31mred\uFFFD[0m');
    expect(screen).toContain('[1] Blocked: registry.example.net:443'); // the screen was not cleared
    expect(screen).not.toContain('\u202e');
    expect((await pane.tmux('display-message', '-p', '-t', 'w', '#{pane_title}')).trim()).not.toBe('owned');

    await pane.type('a 1');
    await pane.waitForText('[1] allowing registry.example.net...');
    // The container's identity is the latest one its dossier gave: the hostile name, escaped.
    await pane.waitForText('[1] Allowed: registry.example.net (warp/t42 · \uFFFD[31mred\uFFFD[0m)');
    expect(hub.shield.calls).toEqual([[C1, '198.51.100.1', 'allow'], [C1, 'registry.example.net', 'allow']]);

    await pane.type('a 1');
    await pane.waitForText('no pending request [1] (l lists them)');
    await pane.type('x 3');
    await pane.waitForText("unknown command 'x' (h for help)");
    await pane.type('a one');
    await pane.waitForText('usage: a N [WHEN [SCOPE] [domain]], with N the number in brackets (l lists them)');
    await pane.type('D 9');
    await pane.waitForText('no container 9 with pending requests (l lists them)');

    // A second container with two prompts, denied as a whole by its number.
    hub.hub.ingest(blocked(1, {container: C2, domain: 'pypi.example', dossier: {container_name: 'ci-runner'}}));
    hub.hub.ingest(blocked(2, {container: C2, domain: 'files.example', dossier: {}}));
    await pane.waitForText('[4] Blocked: files.example:443');
    await pane.type('l');
    screen = await pane.waitForText('Pending requests (3):');
    expect(screen).toContain(`  container 1: warp/t42 · \uFFFD[31mred\uFFFD[0m (${C1})`);
    expect(screen).toContain(`  container 2: ci-runner (${C2})`);
    expect(screen).toContain('    [3] Blocked: pypi.example:443  (Protocol: TCP, IP: 198.51.100.1)');
    expect(screen).toMatch(/ {2}session: connected {2}\S+terok-clearance\.sock/);
    await pane.type('D 2');
    await pane.waitForText('container 2: ci-runner (0123456789ab): denying 2 requests...');
    await pane.waitForText('[3] Denied: pypi.example (ci-runner)');
    await pane.waitForText('[4] Denied: files.example (ci-runner)');
    expect(hub.shield.calls.slice(2).map((c) => c.slice(0, 2)).sort()).toEqual([[C2, '198.51.100.1'], [C2, '198.51.100.1'],
      [C2, 'files.example'], [C2, 'pypi.example']]);

    // The shield refuses: the failure is shown once, and the prompt stays answerable.
    hub.shield.result = {ok: false, stderr: 'nft: table busy'};
    await pane.type('d 2');
    screen = await pane.waitForText('still pending: a 2 or d 2 to answer again');
    expect(count(screen, 'Deny failed: evil')).toBe(1);
    hub.shield.result = {ok: true, stderr: ''};

    // A shield going down is an alert; the container's prompts go with its bindings.
    hub.hub.ingest(makeEvent({type: 'shield_down', container: C1, dossier: {project: 'warp', task: 't42'}}));
    await pane.waitForText('!! Shield down: warp/t42: Egress filtering is bypassed for this container.');
    await pane.waitForText('dropped: its shield went down');

    // The hub stops and comes back: one line saying so, retries in silence, then reconnected.
    await hub.close();
    await pane.waitForText('hub session: not running');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    screen = await pane.capture();
    expect(count(screen, 'hub session: not running')).toBe(1);
    expect(count(screen, 'retrying')).toBe(1);
    hub = await startTestHub(join(runtime, 'terok-clearance.sock'));
    await pane.waitForText('hub session: reconnected');
    hub.hub.ingest(blocked(7, {container: C3, domain: 'after.example', dossier: {}}));
    await pane.waitForText(`[5] Blocked: after.example:443  (${C3}, Protocol: TCP, IP: 198.51.100.1)`);

    await pane.type('h');
    await pane.waitForText('A C   allow every pending request of container C');
    await pane.type('q');
    await pane.waitForText('EXIT=0');
  }, 30_000);

  test('colour on a terminal, none with NO_COLOR', async () => {
    hub = await startTestHub(join(runtime, 'terok-clearance.sock'));
    hub.hub.ingest(blocked(1));
    pane = await startWatch();
    await pane.waitForText('[1] Blocked');
    await pane.type('a 1');
    await pane.waitForText('[1] Allowed');
    // tmux re-encodes what it shows: green (32) is set, possibly among other attributes, before the line.
    const sgr = '\x1b\\[[0-9;]*m';
    expect(await pane.capture(true)).toMatch(new RegExp(`\x1b\\[[0-9;]*\\b32m(?:${sgr})*\\[1\\] Allowed: registry\\.example\\.net`));
    await pane.kill();

    hub.hub.ingest(blocked(2));
    pane = await startWatch({NO_COLOR: '1'});
    await pane.waitForText('[1] Blocked');
    await pane.type('d 1');
    await pane.waitForText('[1] Denied');
    expect(await pane.capture(true)).not.toContain('\x1b[');
  }, 20_000);
});
