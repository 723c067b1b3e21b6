// `terok-clearance notify` as a script runs it (the built CLI in a child process) against a private dbus-daemon and
// a notification server peer: what reaches the server, what is printed, and every documented exit code.
import {afterAll, afterEach, beforeAll, describe, expect, test} from '@jest/globals';
import {spawn} from 'node:child_process';
import {setLogLevel} from '../../../service/log.js';
import {distModule} from '../support/peers.js';
import {startPrivateBus, type PrivateBus} from './support/private-bus.js';
import {NotificationServer, until} from './support/notification-server.js';

let daemon: PrivateBus;
let server: NotificationServer | null = null;

beforeAll(async () => {
  setLogLevel('warning');
  daemon = await startPrivateBus();
});
afterEach(async () => {
  server?.stop();
  server = null;
  await new Promise((resolve) => setTimeout(resolve, 20));
});
afterAll(async () => {
  await daemon.stop();
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  done: Promise<Run>;
  kill(signal: NodeJS.Signals): void;
}

function start(args: string[], address: string | null = daemon.address): Running {
  const env: NodeJS.ProcessEnv = {PATH: process.env.PATH};
  if (address !== null) env.DBUS_SESSION_BUS_ADDRESS = address;
  const child = spawn(process.execPath, [distModule('service/cli.ts'), 'notify', ...args], {env});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    done: new Promise((resolve) => child.once('close', (code, signal) => resolve({code, signal, stdout, stderr}))),
    kill: (signal) => child.kill(signal),
  };
}

const cli = (args: string[], address?: string | null): Promise<Run> => start(args, address).done;

async function withServer(capabilities?: string[]): Promise<NotificationServer> {
  server = await NotificationServer.start(daemon.address, capabilities ? {capabilities} : {});
  return server;
}

describe('terok-clearance notify', () => {
  test('posts title, body and actions, and exits 0 at once without --wait', async () => {
    const srv = await withServer();
    const run = await cli(['Backup done', 'All 3 volumes <ok>', '--actions', 'open:Open log', '--actions=x:Dismiss']);
    expect(run).toMatchObject({code: 0, stdout: ''});
    expect(srv.calls).toHaveLength(1);
    expect(srv.calls[0]).toMatchObject({appName: 'terok-clearance', summary: 'Backup done',
      body: 'All 3 volumes &lt;ok&gt;', actions: ['open', 'Open log', 'x', 'Dismiss'], expire: -1,
      hints: {urgency: {signature: 'y', value: 1}}});
  });

  test('--wait prints the invoked action key and exits 0', async () => {
    const srv = await withServer();
    const running = start(['Deploy?', '--actions', 'yes:Deploy', '--actions', 'no:Cancel', '--wait']);
    await until(() => srv.calls.length === 1, 'the notification');
    const {id, sender} = srv.calls[0]!;
    srv.emitAction(id + 1, 'no', sender); // someone else's id: not ours
    srv.emitAction(id, 'yes', sender);
    expect(await running.done).toMatchObject({code: 0, stdout: 'yes\n'});
  });

  test('--wait: closed by the operator prints nothing and exits 0', async () => {
    const srv = await withServer();
    const running = start(['Deploy?', '--actions', 'yes:Deploy', '--wait']);
    await until(() => srv.calls.length === 1, 'the notification');
    srv.emitClosed(srv.calls[0]!.id, 2, srv.calls[0]!.sender);
    expect(await running.done).toMatchObject({code: 0, stdout: ''});
  });

  test('--timeout: exits 1 and closes the notification', async () => {
    const srv = await withServer();
    const run = await cli(['Deploy?', '--actions', 'yes:Deploy', '--wait', '--timeout', '0.3']);
    expect(run).toMatchObject({code: 1, stdout: ''});
    expect(srv.closeCalls).toEqual([srv.calls[0]!.id]);
  });

  test('SIGTERM while waiting: exits 143 and closes the notification', async () => {
    const srv = await withServer();
    const running = start(['Deploy?', '--wait']);
    await until(() => srv.calls.length === 1, 'the notification');
    running.kill('SIGTERM');
    expect(await running.done).toMatchObject({code: 143});
    expect(srv.closeCalls).toEqual([srv.calls[0]!.id]);
  });

  test('the server going away while waiting: exit 3', async () => {
    const srv = await withServer();
    const running = start(['Deploy?', '--wait']);
    await until(() => srv.calls.length === 1, 'the notification');
    srv.stop();
    const run = await running.done;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the notification server went away');
  });

  test('the body is left as text for a server without body-markup', async () => {
    const srv = await withServer(['actions', 'body']);
    expect((await cli(['T', 'a <b> & c'])).code).toBe(0);
    expect(srv.calls[0]!.body).toBe('a <b> & c');
  });

  test('no notification server, or no session bus: exit 3 with the reason', async () => {
    const noServer = await cli(['T', 'B']);
    expect(noServer.code).toBe(3);
    expect(noServer.stderr).toContain('no notification server');
    const noBus = await cli(['T', 'B'], null);
    expect(noBus.code).toBe(3);
    expect(noBus.stderr).toContain('no session bus');
    expect((await cli(['T'], 'unix:path=/nonexistent/bus')).code).toBe(3);
  });

  test('usage errors exit 2; --help exits 0', async () => {
    for (const args of [[], ['T', 'B', 'extra'], ['T', '--actions', 'nolabel'], ['T', '--actions', ':x'],
      ['T', '--actions', 'a:A', '--actions', 'a:B'], ['T', '--timeout', '5'], ['T', '--wait', '--timeout', '-1'],
      ['T', '--bogus']]) {
      const run = await cli(args);
      expect({args, code: run.code}).toEqual({args, code: 2});
      expect(run.stderr).toMatch(/^terok-clearance notify: /);
    }
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: terok-clearance notify TITLE');
    expect(help.stdout).toContain('3 no session bus or no notification server');
  });
});
