// The non-interactive commands as a script runs them (the built CLI, a private runtime directory, real hubs):
// pending, allow/deny with every documented exit code, watch --json, and watch with its input not a terminal.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {EVENT_FIELDS, makeEvent} from '../../../core/clearance/event.js';
import {EXIT} from '../../../service/exit-codes.js';
import {distModule, run, type Finished} from '../support/peers.js';
import {makeStaleSocket} from '../support/stale-socket.js';
import {blocked, C1, C2, startTestHub, until, type TestHub} from '../client/support/test-hub.js';

let runtime: string;
const hubs: TestHub[] = [];

beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), 'cmd-'));
});

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  rmSync(runtime, {recursive: true, force: true});
});

async function hubAt(path: string): Promise<TestHub> {
  const hub = await startTestHub(path);
  hubs.push(hub);
  return hub;
}

const sessionPath = () => join(runtime, 'terok-clearance.sock');
const containerPath = (id: string) => join(runtime, 'terok', 'clearance', id, 'hub.sock');
const env = () => ({...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: undefined});

function cli(...args: string[]): Promise<Finished> {
  return run([process.execPath, distModule('service/cli.ts'), ...args], {env: env(), timeoutMs: 10_000});
}

describe('pending', () => {
  test('lists what every hub holds, as text and as JSON lines', async () => {
    const session = await hubAt(sessionPath());
    const perContainer = await hubAt(containerPath(C2));
    session.hub.ingest(blocked(1));
    session.hub.ingest(blocked(2, {domain: '', dest: '2001:db8::7', proto: 17, port: 53, dossier: {}}));
    perContainer.hub.ingest(blocked(1, {container: C2, domain: 'pypi.example', dossier: {container_name: 'ci'}}));

    const text = await cli('pending');
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout.split('\n')).toEqual([
      `${C1}:1  registry.example.net:443  TCP  warp/t42 · build  hub session`,
      `${C1}:2  [2001:db8::7]:53          UDP  ${C1}      hub session`,
      `${C2}:1  pypi.example:443          TCP  ci                hub ${C2}`,
      '',
    ]);

    const json = await cli('pending', '--json');
    expect(json.code).toBe(EXIT.OK);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as {hub: string; event: object});
    expect(lines.map((l) => [l.hub, Object.keys(l.event)])).toEqual([
      [sessionPath(), [...EVENT_FIELDS]], [sessionPath(), [...EVENT_FIELDS]], [containerPath(C2), [...EVENT_FIELDS]],
    ]);
    expect(lines[2]!.event).toEqual(blocked(1, {container: C2, domain: 'pypi.example', dossier: {container_name: 'ci'}}));
  });

  test('no hub: exit 3 with the reason; nothing pending: exit 0; bad arguments: exit 2', async () => {
    const none = await cli('pending');
    expect(none.code).toBe(EXIT.UNREACHABLE);
    expect(none.stderr).toContain(`no hub is running (none found; the session hub would be at ${sessionPath()})`);

    await hubAt(sessionPath());
    const empty = await cli('pending');
    expect([empty.code, empty.stdout]).toEqual([EXIT.OK, 'No pending requests.\n']);

    expect((await cli('pending', '--yaml')).code).toBe(EXIT.USAGE);
    const help = await cli('pending', '--help');
    expect([help.code, help.stdout.startsWith('usage: terok-clearance pending [--json]')]).toEqual([EXIT.OK, true]);
  });
});

describe('allow and deny', () => {
  test('each documented exit code', async () => {
    const hub = await hubAt(containerPath(C1));
    hub.hub.ingest(blocked(1));
    hub.hub.ingest(blocked(2, {domain: 'b.example'}));

    const allowed = await cli('allow', `${C1}:1`);
    expect([allowed.code, allowed.stdout]).toEqual([EXIT.OK, 'Allowed: registry.example.net (warp/t42 · build)\n']);
    expect(hub.shield.calls).toEqual([[C1, '198.51.100.1', 'allow'], [C1, 'registry.example.net', 'allow']]);

    const again = await cli('allow', `${C1}:1`);
    expect(again.code).toBe(EXIT.UNKNOWN_REQUEST);
    expect(again.stderr).toContain(`unknown request ${C1}:1: not pending at any hub`);

    hub.shield.result = {ok: false, stderr: 'nft: no such set'};
    const refused = await cli('deny', `${C1}:2`);
    expect(refused.code).toBe(EXIT.FAILED);
    expect(refused.stderr).toBe('terok-clearance deny: Deny failed: b.example: nft: no such set (warp/t42 · build)\n');
    expect((await cli('pending')).stdout).toContain(`${C1}:2`); // still pending: retry allowed

    expect((await cli('allow')).code).toBe(EXIT.USAGE);
    expect((await cli('deny', 'a', 'b')).code).toBe(EXIT.USAGE);
    expect((await cli('deny', '--help')).stdout).toContain('4  unknown request');

    await hub.close();
    const gone = await cli('deny', `${C1}:2`);
    expect(gone.code).toBe(EXIT.UNREACHABLE);
  });

  test('a socket nobody accepts on is unreachable, named in the message', async () => {
    mkdirSync(join(runtime, 'terok', 'clearance', C1), {recursive: true});
    makeStaleSocket(containerPath(C1));
    const result = await cli('allow', `${C1}:1`);
    expect(result.code).toBe(EXIT.UNREACHABLE);
    expect(result.stderr).toBe(`terok-clearance allow: no hub reachable (hub ${C1}: not running (nothing accepts on ${containerPath(C1)}))\n`);
  });
});

describe('watch without a terminal', () => {
  test('--json streams events and hub states as JSON lines until interrupted', async () => {
    const hub = await hubAt(sessionPath());
    hub.hub.ingest(blocked(1));
    const child = spawn(process.execPath, [distModule('service/cli.ts'), 'watch', '--json'], {env: env()});
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await until(() => hub.hub.subscriberCount === 1, 'subscribed');
      // The catch-up (Pending) goes on a second connection: wait for it, or the purge below could empty it first.
      await until(() => out.includes('"catch_up":true'), 'caught up');
      hub.hub.ingest(makeEvent({type: 'container_exited', container: C1, reason: 'stopped'}));
      await until(() => out.split('\n').length >= 4, 'three lines');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(EXIT.OK);
    expect(out.trim().split('\n').map((l) => JSON.parse(l) as object)).toEqual([
      {hub: sessionPath(), status: 'connected', reason: ''},
      {hub: sessionPath(), catch_up: true, event: blocked(1)},
      {hub: sessionPath(), event: makeEvent({type: 'container_exited', container: C1, reason: 'stopped'})},
    ]);
  });

  test('commands from a pipe: plain text, no colour, exit 0 at end of input', async () => {
    const hub = await hubAt(sessionPath());
    hub.hub.ingest(blocked(1));
    const child = spawn(process.execPath, [distModule('service/cli.ts'), 'watch'], {env: {...env(), NO_COLOR: undefined}});
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => out.includes('[1] Blocked'), 'prompt shown');
    child.stdin.end('l\nd 1\n');
    // End of input quits, after the verdict typed before it has its answer.
    expect(await exited).toBe(EXIT.OK);
    expect(out).toContain('Pending requests (1):');
    expect(out).toContain('[1] Denied: registry.example.net (warp/t42 · build)');
    expect(hub.shield.calls).toEqual([[C1, '198.51.100.1', 'deny'], [C1, 'registry.example.net', 'deny']]);
    expect(out).not.toContain('\x1b');
  });
});
