// Discovery of hub sockets with real unix sockets in a private runtime directory: the session socket and both
// per-container layouts, appearing and vanishing, with parent directories created and removed underneath.
// The periodic rescan is set to an hour, so everything here is seen through the directory watches alone.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {HubDiscovery, scanHubSockets, type HubSocket} from '../../../service/client/hub-discovery.js';
import {until} from './support/test-hub.js';

const ID1 = 'abc123def456';
const ID2 = '0123456789ab';
const ID3 = 'fedcba987654';

let runtime: string;
let servers: net.Server[];

beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), 'disc-'));
  servers = [];
});

afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(runtime, {recursive: true, force: true});
});

/** A listening unix socket at `path` (parents created); closing it removes the file. */
async function listen(path: string): Promise<net.Server> {
  mkdirSync(join(path, '..'), {recursive: true, mode: 0o700});
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(path, resolve));
  servers.push(server);
  return server;
}

const closeServer = (server: net.Server) => new Promise((r) => server.close(r));

function recorder() {
  const log: string[] = [];
  const hubs = new Map<string, HubSocket>();
  return {
    log,
    hubs,
    listener: {
      added: (hub: HubSocket) => { hubs.set(hub.path, hub); log.push(`+${hub.layout}:${hub.container}`); },
      removed: (hub: HubSocket) => { hubs.delete(hub.path); log.push(`-${hub.layout}:${hub.container}`); },
    },
  };
}

describe('HubDiscovery follows sockets through directory watches', () => {
  test('session, per-container and earlier layouts appear and vanish, parents created from nothing', async () => {
    const r = recorder();
    const discovery = new HubDiscovery(r.listener, {runtimeDir: runtime, rescanMs: 3_600_000});
    discovery.start();
    try {
      expect(r.log).toEqual([]);

      const session = await listen(join(runtime, 'terok-clearance.sock'));
      await until(() => r.log.includes('+session:'), 'session socket seen');

      // R/terok and R/terok/clearance do not exist yet: the watch on R must lead to watches below it.
      const perContainer = await listen(join(runtime, 'terok', 'clearance', ID1, 'hub.sock'));
      await until(() => r.log.includes(`+container:${ID1}`), 'per-container socket seen');
      expect(r.hubs.get(join(runtime, 'terok', 'clearance', ID1, 'hub.sock'))).toEqual(
        {path: join(runtime, 'terok', 'clearance', ID1, 'hub.sock'), layout: 'container', container: ID1});

      await listen(join(runtime, 'terok', 'clearance', `${ID2}.sock`));
      await until(() => r.log.includes(`+container-earlier:${ID2}`), 'earlier-layout socket seen');

      await closeServer(perContainer);
      await until(() => r.log.includes(`-container:${ID1}`), 'per-container socket gone');

      await closeServer(session);
      await until(() => r.log.includes('-session:'), 'session socket gone');

      // The whole tree goes (the earlier-layout socket with it), then comes back: the watches are re-armed.
      rmSync(join(runtime, 'terok'), {recursive: true, force: true});
      await until(() => r.log.includes(`-container-earlier:${ID2}`), 'socket gone with its directory');
      await listen(join(runtime, 'terok', 'clearance', ID3, 'hub.sock'));
      await until(() => r.log.includes(`+container:${ID3}`), 'socket in a re-created tree seen');
      expect(discovery.hubs().map((h) => h.container)).toEqual([ID3]);
    } finally {
      discovery.close();
    }
  });

  test('a per-container directory replaced at the same path is watched again', async () => {
    const r = recorder();
    const discovery = new HubDiscovery(r.listener, {runtimeDir: runtime, rescanMs: 3_600_000});
    const dir = join(runtime, 'terok', 'clearance', ID1);
    mkdirSync(dir, {recursive: true});
    discovery.start();
    try {
      const first = await listen(join(dir, 'hub.sock'));
      await until(() => r.log.length === 1, 'first socket seen');
      await closeServer(first);
      await until(() => r.log.length === 2, 'first socket gone');
      // Replaced within one settle period: the rescan finds a directory at the path, but not the one watched.
      rmSync(dir, {recursive: true});
      mkdirSync(dir);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await listen(join(dir, 'hub.sock'));
      await until(() => r.log.length === 3, 'socket in the new directory seen');
      expect(r.log).toEqual([`+container:${ID1}`, `-container:${ID1}`, `+container:${ID1}`]);
    } finally {
      discovery.close();
    }
  });

  test('a socket replaced at the same path (a hub restarted) is reported as gone and found again', async () => {
    const r = recorder();
    const discovery = new HubDiscovery(r.listener, {runtimeDir: runtime, rescanMs: 3_600_000});
    const path = join(runtime, 'terok-clearance.sock');
    const first = await listen(path);
    discovery.start();
    try {
      expect(r.log).toEqual(['+session:']);
      // A new socket file where the old one was, faster than one settle period: only its identity tells.
      await closeServer(first);
      await listen(path);
      await until(() => r.log.length === 3, 'replacement seen');
      expect(r.log).toEqual(['+session:', '-session:', '+session:']);
    } finally {
      discovery.close();
    }
  });

  test('after close nothing is reported', async () => {
    const r = recorder();
    const discovery = new HubDiscovery(r.listener, {runtimeDir: runtime, rescanMs: 3_600_000});
    discovery.start();
    discovery.close();
    await listen(join(runtime, 'terok-clearance.sock'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.log).toEqual([]);
  });
});

describe('the periodic rescan', () => {
  test('finds what no watch could see (a runtime directory created late), then the watches take over', async () => {
    const r = recorder();
    const late = join(runtime, 'late');
    const ticks: (() => void)[] = [];
    // A scheduler that runs the periodic rescan only when the test says so.
    const scheduler = {now: () => 0, after: (ms: number, fn: () => void) => {
      if (ms === 60_000) ticks.push(fn);
      else setTimeout(fn, ms);
      return () => {};
    }};
    const discovery = new HubDiscovery(r.listener, {runtimeDir: late, rescanMs: 60_000, scheduler});
    discovery.start();
    try {
      const server = await listen(join(late, 'terok-clearance.sock'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(r.log).toEqual([]);
      ticks.shift()!();
      expect(r.log).toEqual(['+session:']);
      await closeServer(server);
      await until(() => r.log.length === 2, 'removal seen through the watch armed by the rescan');
      expect(r.log).toEqual(['+session:', '-session:']);
    } finally {
      discovery.close();
    }
  });
});

describe('scanHubSockets', () => {
  test('lists sockets only, in both layouts, session first', async () => {
    expect(scanHubSockets(runtime)).toEqual([]);
    const dir = join(runtime, 'terok', 'clearance');
    await listen(join(dir, ID2, 'hub.sock'));
    await listen(join(dir, `${ID1}.sock`));
    await listen(join(runtime, 'terok-clearance.sock'));
    // Not hubs: a regular file in the socket's place, a directory that is not a container id, a stray socket name.
    mkdirSync(join(dir, ID3));
    writeFileSync(join(dir, ID3, 'hub.sock'), '');
    await listen(join(dir, 'not-an-id', 'hub.sock'));
    await listen(join(dir, ID3, 'other.sock'));
    expect(scanHubSockets(runtime).map((h) => [h.layout, h.container])).toEqual([
      ['session', ''], ['container', ID2], ['container-earlier', ID1],
    ]);
  });
});
