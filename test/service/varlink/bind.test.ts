// Hardened binding (wire.md §5) on the real filesystem: modes checked with stat, stale and live sockets made by
// real processes, a foreign-owned directory made with chown (as root).
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {join} from 'node:path';
import {SocketInUseError, UnsafeSocketPathError} from '../../../service/varlink/bind.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {VarlinkServer} from '../../../service/varlink/server.js';
import {runtimeDir} from '../../../service/paths.js';
import {FOREIGN_UID} from '../support/foreign-uid.js';
import {socketDir} from '../support/peers.js';
import {makeStaleSocket} from '../support/stale-socket.js';

const INFO = {vendor: 'terok', product: 'bind-test', version: '0', url: ''};
const asRoot = process.getuid!() === 0;

let base: string;
let remove: () => void;
const servers: VarlinkServer[] = [];

function newServer(): VarlinkServer {
  const server = new VarlinkServer(INFO);
  servers.push(server);
  return server;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);
}

async function product(path: string): Promise<unknown> {
  const client = await VarlinkClient.connect(path);
  try {
    return (await client.call('org.varlink.service.GetInfo')).product;
  } finally {
    client.close();
  }
}

beforeEach(() => {
  ({dir: base, remove} = socketDir('vl-bind-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  remove();
});

describe('directory', () => {
  test('a missing directory is created 0700 (intermediate ones too) and the socket is born 0600', async () => {
    const path = join(base, 'a', 'b', 'hub.sock');
    const umask = process.umask(0o022);
    try {
      await newServer().listen({path});
      expect(process.umask(0o022)).toBe(0o022); // restored after bind
    } finally {
      process.umask(umask);
    }
    expect(statSync(join(base, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    const st = lstatSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
    expect(await product(path)).toBe('bind-test');
  });

  test.each(['0750', '0755', '0701', '0710', '0777'])('an existing directory with mode %s is refused, nothing bound', async (octal) => {
    const mode = parseInt(octal, 8);
    const dir = join(base, 'open');
    mkdirSync(dir);
    chmodSync(dir, mode);
    const error = await rejection(newServer().listen({path: join(dir, 'hub.sock')}));
    expect(error).toBeInstanceOf(UnsafeSocketPathError);
    expect(error.message).toBe(`socket directory ${dir} has mode ${octal}, expected no group or other access (0700)`);
    expect(existsSync(join(dir, 'hub.sock'))).toBe(false);
  });

  (asRoot ? test : test.skip)('a directory owned by another uid is refused', async () => {
    const dir = join(base, 'foreign');
    mkdirSync(dir, {mode: 0o700});
    chownSync(dir, FOREIGN_UID, FOREIGN_UID);
    const error = await rejection(newServer().listen({path: join(dir, 'hub.sock')}));
    expect(error).toBeInstanceOf(UnsafeSocketPathError);
    expect(error.message).toBe(`socket directory ${dir} is owned by uid ${FOREIGN_UID}, expected ${process.getuid!()}`);
    expect(existsSync(join(dir, 'hub.sock'))).toBe(false);
  });

  test('a directory that is a symlink is refused', async () => {
    const real = join(base, 'real');
    mkdirSync(real, {mode: 0o700});
    symlinkSync(real, join(base, 'link'));
    const error = await rejection(newServer().listen({path: join(base, 'link', 'hub.sock')}));
    expect(error).toBeInstanceOf(UnsafeSocketPathError);
    expect(error.message).toMatch(/is not a directory/);
  });

  test('a path too long for sun_path is refused with a clear error', async () => {
    const path = join(base, 'd'.repeat(100), 'hub.sock');
    expect((await rejection(newServer().listen({path}))).message).toMatch(/is longer than 107 bytes/);
  });
});

describe('what is already at the path', () => {
  test('a stale socket (nobody accepting) is replaced', async () => {
    const path = join(base, 'hub.sock');
    makeStaleSocket(path);
    expect(lstatSync(path).mode & 0o777).not.toBe(0o600); // born under the default umask
    await newServer().listen({path});
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(await product(path)).toBe('bind-test');
  });

  test('a live varlink server is not stolen: a clear error naming the path, and the first keeps serving', async () => {
    const path = join(base, 'hub.sock');
    const first = new VarlinkServer({...INFO, product: 'first'});
    servers.push(first);
    await first.listen({path});
    const error = await rejection(newServer().listen({path}));
    expect(error).toBeInstanceOf(SocketInUseError);
    expect(error.message).toBe(`${path} is in use by a running server; refusing to replace it`);
    expect(await product(path)).toBe('first');
  });

  test('of two servers binding the same path at once, exactly one wins; the other gets SocketInUseError', async () => {
    const path = join(base, 'hub.sock');
    const results = await Promise.allSettled([newServer().listen({path}), newServer().listen({path})]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(SocketInUseError);
    expect(await product(path)).toBe('bind-test');
    expect(readdirSync(base)).toEqual(['hub.sock']);
  });

  test('a live socket of any other program is not stolen either', async () => {
    const path = join(base, 'other.sock');
    const other = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => other.listen(path, resolve));
    try {
      expect(await rejection(newServer().listen({path}))).toBeInstanceOf(SocketInUseError);
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('a file that is not a socket is refused and left alone', async () => {
    const path = join(base, 'hub.sock');
    writeFileSync(path, 'precious');
    const error = await rejection(newServer().listen({path}));
    expect(error).toBeInstanceOf(UnsafeSocketPathError);
    expect(error.message).toBe(`${path} exists and is not a socket; refusing to replace it`);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });
});

describe('lifecycle', () => {
  test('close() unlinks the socket and leaves no temporary file behind', async () => {
    const path = join(base, 'hub.sock');
    const server = newServer();
    await server.listen({path});
    await server.close();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });

  test('close() does not unlink a socket that is no longer ours', async () => {
    const path = join(base, 'hub.sock');
    const old = newServer();
    await old.listen({path});
    unlinkSync(path); // someone removed ours and another server took the path
    const successor = new VarlinkServer({...INFO, product: 'successor'});
    servers.push(successor);
    await successor.listen({path});
    await old.close();
    expect(await product(path)).toBe('successor');
  });

  test('start → stop → start on the same path, with the same server and with a new one', async () => {
    const path = join(base, 'hub.sock');
    const server = newServer();
    for (let round = 0; round < 3; round++) {
      await server.listen({path});
      expect(await product(path)).toBe('bind-test');
      await server.close();
      expect(existsSync(path)).toBe(false);
    }
    const next = newServer();
    await next.listen({path});
    expect(await product(path)).toBe('bind-test');
  });

  test('listening twice without closing is an error', async () => {
    const server = newServer();
    await server.listen({path: join(base, 'a.sock')});
    expect((await rejection(server.listen({path: join(base, 'b.sock')}))).message).toMatch(/already listening/);
  });

  test('close() ends open connections and running calls see their signal aborted', async () => {
    const path = join(base, 'hub.sock');
    const server = newServer();
    let signal: AbortSignal | undefined;
    server.addInterface('interface org.example.wait\nmethod Wait() -> ()\n', {
      Wait: (ctx) => new Promise<void>((resolve) => {
        signal = ctx.signal;
        ctx.signal.addEventListener('abort', () => resolve());
      }),
    });
    await server.listen({path});
    const client = await VarlinkClient.connect(path);
    const waiting = client.call('org.example.wait.Wait').catch((e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect((await waiting as Error).name).toBe('ConnectionClosedError');
    expect(signal?.aborted).toBe(true);
    expect(server.connectionCount).toBe(0);
  });
});

describe('backlog', () => {
  test('50 simultaneous connects all succeed and are all served', async () => {
    const path = join(base, 'hub.sock');
    const server = newServer();
    await server.listen({path});
    const clients = await Promise.all(Array.from({length: 50}, () => VarlinkClient.connect(path)));
    try {
      const infos = await Promise.all(clients.map((c) => c.call('org.varlink.service.GetInfo')));
      expect(infos.every((i) => i.product === 'bind-test')).toBe(true);
      expect(server.connectionCount).toBe(50);
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('runtimeDir', () => {
  test('is XDG_RUNTIME_DIR when it is an absolute path, else /run/user/<uid>', () => {
    expect(runtimeDir({XDG_RUNTIME_DIR: '/run/user/4242'})).toBe('/run/user/4242');
    expect(runtimeDir({})).toBe(`/run/user/${process.getuid!()}`);
    expect(runtimeDir({XDG_RUNTIME_DIR: ''})).toBe(`/run/user/${process.getuid!()}`);
    expect(runtimeDir({XDG_RUNTIME_DIR: 'relative/dir'})).toBe(`/run/user/${process.getuid!()}`);
  });
});
