// ServerConnection's output over a real unix socket: the first frame of a turn of the event loop leaves at once,
// the rest of the turn in one writev (a hub fanning out a reader chunk would otherwise make a write per event per
// subscriber); frames arrive whole and in order, and backpressure still shows within the turn.
import {afterEach, beforeEach, expect, test} from '@jest/globals';
import {once} from 'node:events';
import net from 'node:net';
import {join} from 'node:path';
import type {Logger} from '../../../service/log.js';
import {ServerConnection} from '../../../service/varlink/server-connection.js';
import {socketDir} from '../support/peers.js';
import {RawPeer} from '../support/raw-varlink-peer.js';

const quiet: Logger = {error: () => {}, warning: () => {}, info: () => {}, debug: () => {}};
const HIGH_WATER = 16 * 1024;

let dir: {dir: string; remove(): void};
let server: net.Server;
let peer: RawPeer;
let socket: net.Socket;
/** How the connection's socket was written to: one entry per write, the number of frames it carried. */
let writes: number[];

beforeEach(async () => {
  dir = socketDir('sc-');
  const path = join(dir.dir, 'sc.sock');
  server = net.createServer({highWaterMark: HIGH_WATER});
  server.listen(path);
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  peer = await RawPeer.connect(path);
  [socket] = await accepted as [net.Socket];
  // Seen at the stream's two write hooks, each of which becomes one system call on the socket.
  writes = [];
  type Hooks = {
    _write(chunk: unknown, encoding: string, done: (e?: Error | null) => void): void;
    _writev(chunks: unknown[], done: (e?: Error | null) => void): void;
  };
  const hooks = socket as unknown as Hooks;
  const [write, writev] = [hooks._write.bind(socket), hooks._writev.bind(socket)];
  hooks._write = (chunk, encoding, done) => {
    writes.push(1);
    write(chunk, encoding, done);
  };
  hooks._writev = (chunks, done) => {
    writes.push(chunks.length);
    writev(chunks, done);
  };
});

afterEach(async () => {
  peer.close();
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

function connection(): ServerConnection {
  return new ServerConnection(1, -1, socket, 'test', async () => {},
    {maxMessageBytes: 1 << 20, maxQueuedOutputBytes: 1 << 20, firstMessageTimeoutMs: 10_000}, quiet);
}

test('the first frame of a turn leaves at once, the rest of the turn in one writev, whole and in order', async () => {
  const c = connection();
  c.write({parameters: {i: 0}, continues: true});
  expect(writes).toEqual([1]);
  for (let i = 1; i < 100; i++) c.write({parameters: {i}, continues: true});
  expect(writes).toEqual([1]);
  expect((await peer.waitFor(100)).map((f) => (f.parameters as {i: number}).i)).toEqual([...Array(100).keys()]);
  expect(writes).toEqual([1, 99]);
  c.write({parameters: {i: 100}});
  expect((await peer.waitFor(101))[100]).toEqual({parameters: {i: 100}});
  expect(writes).toEqual([1, 99, 1]);
});

test('within one turn, write reports the high-water mark, and drained() waits for the peer', async () => {
  const c = connection();
  const blob = 'x'.repeat(1024);
  const below: boolean[] = [];
  for (let i = 0; i < 32; i++) below.push(c.write({parameters: {blob}, continues: true}));
  expect(below.indexOf(false)).toBeGreaterThan(0);
  expect(below.indexOf(false)).toBeLessThan(HIGH_WATER / 1024 + 1);
  await c.drained();
  expect(socket.writableLength).toBeLessThan(HIGH_WATER);
  await peer.waitFor(32);
});
