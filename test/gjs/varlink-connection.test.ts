// The extension's varlink transport (extension/varlink/connection.ts) under the host's real gjs, against a real
// Node VarlinkServer and raw sockets that misbehave; the peer-uid check with gjs running as another user.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {chmodSync, rmSync} from 'node:fs';
import net from 'node:net';
import {join} from 'node:path';
import {canSwitchUid, FOREIGN_UID, reachableDir} from '../service/support/foreign-uid.js';
import {startExample, until, type ExampleService} from '../service/support/example-service.js';
import {socketDir} from '../service/support/peers.js';
import {runGjs, valueOf, type CaseResult} from './run-gjs.js';
import type {Plan} from './varlink-connection.plan.js';

const ENTRY = new URL('./varlink-connection.gjs.ts', import.meta.url).pathname;
const FOREIGN_CASE = 'socket served by another uid';

let example: ExampleService;
const raw: net.Server[] = [];
const dirs: {remove(): void}[] = [];
let plan: Plan;
let results: Record<string, CaseResult>;
let foreignReceived = false;

/** A raw server: `onData` decides what each connection gets. */
async function rawServer(path: string, onData: (socket: net.Socket) => void): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => onData(socket));
  });
  raw.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

beforeAll(async () => {
  example = await startExample();
  const local = socketDir('gjs-vl-');
  dirs.push(local);
  const foreignDir = reachableDir('gjs-foreign-');
  dirs.push({remove: () => rmSync(foreignDir, {recursive: true, force: true})});
  plan = {
    example: example.path,
    garbage: join(local.dir, 'garbage.sock'),
    hangup: join(local.dir, 'hangup.sock'),
    missing: join(local.dir, 'missing.sock'),
    foreign: join(foreignDir, 'foreign.sock'),
  };
  await rawServer(plan.garbage, (s) => s.write('not json\0'));
  await rawServer(plan.hangup, (s) => s.end());
  // A varlink-looking socket that another user (we, root) serves, reachable by the gjs side running as nobody.
  await rawServer(plan.foreign, (s) => {
    foreignReceived = true;
    s.write('{"parameters":{"sum":2}}\0');
  });
  chmodSync(plan.foreign, 0o666);

  results = await runGjs(ENTRY, {plan, except: [FOREIGN_CASE]});
}, 60_000);

afterAll(async () => {
  await example?.stop();
  for (const server of raw) server.close();
  for (const dir of dirs) dir.remove();
});

const result = (name: string) => valueOf(results, name);

describe('VarlinkConnection (gjs) against the Node varlink server', () => {
  test('a call round-trips; close() is a clean end', () => {
    expect(result('call')).toEqual({reply: {sum: 5}, closed: null});
  });

  test('pipelined calls are answered in order', () => {
    expect(result('pipelined')).toEqual({replies: [{tag: 'slow'}, {sum: 2}], order: ['slow', 'add']});
  });

  test('a stream delivers every reply, then the connection serves calls again', () => {
    expect(result('stream')).toEqual({got: [1, 2, 3, 4, 5].map((i) => ({i})), after: {sum: 42}});
  });

  test('a 1.2 MB message survives chunked reads and writes intact', () => {
    expect(result('large messages')).toEqual({same: true, length: 600_000});
  });

  test('an error reply rejects with VarlinkError and the connection stays usable', () => {
    expect(result('error reply')).toEqual({
      error: {type: 'VarlinkError', errorName: 'org.example.test.Bad', parameters: {why: 'asked to'}},
      after: {sum: 3},
    });
  });

  test('an error after stream replies rejects the stream after delivering them', () => {
    expect(result('error in a stream')).toEqual({
      got: [{}], error: {type: 'VarlinkError', errorName: 'org.example.test.Bad', parameters: {why: 'later'}},
    });
  });

  test('a stream-only method called plainly gets ExpectedMore', () => {
    expect(result('stream method called without more')).toMatchObject({errorName: 'org.varlink.service.ExpectedMore'});
  });

  test('close() ends a running stream; the server sees the peer go; later calls fail at once', async () => {
    expect(result('close ends a stream')).toEqual({
      stream: {type: 'ConnectionClosedError', cause: null},
      closed: null,
      late: {type: 'ConnectionClosedError', cause: null},
    });
    await until(() => example.tickSignals.length > 0 && example.tickSignals.every((s) => s.aborted), 5000, 'Ticks aborted');
  });

  test('cancelling the owner cancellable closes the connection and fails the outstanding call at once', () => {
    const value = result('cancelling the owner cancellable closes the connection') as {ms: number};
    expect(value).toMatchObject({
      error: {type: 'ConnectionClosedError', cause: {type: 'GLib.Error', gio: 'CANCELLED'}},
      closed: {type: 'GLib.Error', gio: 'CANCELLED'},
    });
    expect(value.ms).toBeLessThan(1000);
  });

  test('a cancelled connect rejects with CANCELLED', () => {
    expect(result('cancelled connect')).toEqual({type: 'GLib.Error', gio: 'CANCELLED'});
  });

  test('a call without an answer in time fails with TimeoutError and closes the connection', async () => {
    expect(result('a call timeout fails the call and closes the connection')).toEqual({
      fast: {sum: 2},
      slow: {type: 'TimeoutError', ms: 100},
      after: {type: 'ConnectionClosedError', cause: {type: 'TimeoutError', ms: 100}},
      closed: {type: 'TimeoutError', ms: 100},
    });
    await until(() => example.sleeps.includes('end:slow'), 5000, 'the server saw the peer go');
  });

  test('no socket: NOT_FOUND, the "service not running" case', () => {
    expect(result('missing socket')).toEqual({type: 'GLib.Error', gio: 'NOT_FOUND'});
  });

  test('a garbage reply fails that call with ProtocolError, the next with ConnectionClosedError', () => {
    expect(result('garbage reply')).toEqual({
      first: {type: 'ProtocolError', message: expect.stringContaining('not valid JSON')},
      second: {type: 'ConnectionClosedError', cause: {type: 'ProtocolError', message: expect.stringContaining('not valid JSON')}},
      closed: {type: 'ProtocolError', message: expect.stringContaining('not valid JSON')},
    });
  });

  test('the peer hanging up fails the outstanding call', () => {
    expect(result('peer hangs up')).toEqual({error: {type: 'ConnectionClosedError', cause: null}, closed: null});
  });

  (canSwitchUid ? test : test.skip)('a socket served by another uid is refused before anything is sent', async () => {
    const foreign = await runGjs(ENTRY, {plan, only: [FOREIGN_CASE], uid: FOREIGN_UID});
    expect(valueOf(foreign, FOREIGN_CASE)).toEqual({
      type: 'PeerUidError', peerUid: 0, expectedUid: FOREIGN_UID,
      message: `hub socket ${plan.foreign} is served by uid 0, expected ${FOREIGN_UID}`,
    });
    expect(foreignReceived).toBe(false);
  });
});
