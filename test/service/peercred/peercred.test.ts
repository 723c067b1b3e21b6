// The SO_PEERCRED addon against real unix-socket connections: our own process, and a process running as nobody.
import {afterAll, expect, test} from '@jest/globals';
import {once} from 'node:events';
import {chmodSync, mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {loadAddon, peerCredentials, peerCredentialsUnavailable} from '../../../service/peercred/peer-credentials.js';
import {canSwitchUid, exited, FOREIGN_UID, reachableDir, spawnAsForeignUid} from '../support/foreign-uid.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})));

async function listen(dir: string): Promise<{server: net.Server; path: string; accepted: Promise<net.Socket>}> {
  const path = join(dir, 'peer.sock');
  const server = net.createServer();
  const accepted = once(server, 'connection').then(([s]) => s as net.Socket);
  server.listen(path);
  await once(server, 'listening');
  return {server, path, accepted};
}

test('the addon is built and loads', () => {
  expect(peerCredentialsUnavailable()).toBeNull();
});

test('both ends of a connection within this process see our pid, uid and gid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peercred-'));
  dirs.push(dir);
  const {server, path, accepted} = await listen(dir);
  const client = net.connect(path);
  await once(client, 'connect');
  const serverSide = await accepted;
  const us = {pid: process.pid, uid: process.getuid!(), gid: process.getgid!()};
  expect(peerCredentials(serverSide)).toEqual(us);
  expect(peerCredentials(client)).toEqual(us);
  client.destroy();
  serverSide.destroy();
  server.close();
});

(canSwitchUid ? test : test.skip)('a client running as another uid is reported as that uid and its pid', async () => {
  const dir = reachableDir('peercred-foreign-');
  dirs.push(dir);
  const {server, path, accepted} = await listen(dir);
  chmodSync(path, 0o666);
  // The child stays connected until we hang up, so its pid is still its own when we look.
  const child = spawnAsForeignUid(
    `import net from 'node:net'; const s = net.connect(process.argv[1]); s.on('close', () => process.exit(0));`,
    [path],
  );
  const done = exited(child);
  const serverSide = await accepted;
  expect(peerCredentials(serverSide)).toEqual({pid: child.pid, uid: FOREIGN_UID, gid: FOREIGN_UID});
  serverSide.destroy();
  expect((await done).code).toBe(0);
  server.close();
});

test('a closed socket is an error, not a made-up identity', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peercred-'));
  dirs.push(dir);
  const {server, path, accepted} = await listen(dir);
  const client = net.connect(path);
  await once(client, 'connect');
  const serverSide = await accepted;
  serverSide.destroy();
  expect(() => peerCredentials(serverSide)).toThrow(/file descriptor/);
  client.destroy();
  server.close();
});

test('a missing addon is reported with its path, never thrown', () => {
  const load = loadAddon('/nonexistent/peercred.node');
  expect(load.addon).toBeUndefined();
  expect(load.reason).toMatch(/cannot load \/nonexistent\/peercred\.node/);
});
