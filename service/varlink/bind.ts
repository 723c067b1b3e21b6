// Hardened binding of a unix socket (wire.md §5): the parent directory is private to us, the socket is born
// 0600, a stale socket is replaced, a live one is never stolen, and on release only our own inode is removed.
//
// The socket is bound under a temporary name in the same directory and then hard-linked to its final path:
// link(2) fails with EEXIST if anything appeared there meanwhile, so a server that started between our probe and
// our bind is never replaced; and libuv, which unlinks a pipe's bind path when it closes, only ever removes the
// temporary name — the final path is removed by `release()`, and only while it is still our inode.
import {link, lstat, mkdir, unlink} from 'node:fs/promises';
import {once} from 'node:events';
import net from 'node:net';
import {dirname, join} from 'node:path';

/** Pending connections the kernel may hold before we accept (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 511;

/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** How long a connect probe may take before the socket is assumed live (a busy server, a full backlog). */
const PROBE_TIMEOUT_MS = 1000;

/** The path belongs to a server that is accepting connections. */
export class SocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use by a running server; refusing to replace it`);
    this.name = 'SocketInUseError';
  }
}

/** The socket cannot be bound safely: its directory or path fails a check. The message says which and why. */
export class UnsafeSocketPathError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'UnsafeSocketPathError';
  }
}

export interface BoundSocket {
  readonly path: string;
  /** Removes the socket file if it is still the one we bound (another server may have taken the path since). */
  release(): Promise<void>;
}

let bindSequence = 0;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** Creates `dir` (0700) if needed and checks it is a real directory of ours that nobody else can enter. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, {recursive: true, mode: 0o700});
  const st = await lstat(dir);
  const uid = process.getuid!();
  if (!st.isDirectory())
    throw new UnsafeSocketPathError(`socket directory ${dir} is not a directory (a symlink?)`, dir);
  if (st.uid !== uid)
    throw new UnsafeSocketPathError(`socket directory ${dir} is owned by uid ${st.uid}, expected ${uid}`, dir);
  if ((st.mode & 0o077) !== 0)
    throw new UnsafeSocketPathError(
      `socket directory ${dir} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, ` +
      'expected no group or other access (0700)', dir);
}

/** True when a server accepts on `path`; false when nobody does (a stale socket file, or none at all). */
async function isLive(path: string): Promise<boolean> {
  const probe = net.connect({path});
  probe.setTimeout(PROBE_TIMEOUT_MS);
  try {
    return await new Promise<boolean>((resolve, reject) => {
      probe.once('connect', () => resolve(true));
      probe.once('timeout', () => resolve(true));
      probe.once('error', (e) => {
        const code = errnoCode(e);
        if (code === 'ECONNREFUSED' || code === 'ENOENT') resolve(false);
        else if (code === 'EAGAIN') resolve(true); // listening, backlog full
        else reject(e);
      });
    });
  } finally {
    probe.destroy();
  }
}

/** Clears `path` for binding: absent is fine, a stale socket is removed, anything else is refused. */
async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new UnsafeSocketPathError(`${path} exists and is not a socket; refusing to replace it`, path);
  if (await isLive(path)) throw new SocketInUseError(path);
  await unlink(path).catch((e) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
}

function checkLength(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new UnsafeSocketPathError(`socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`, path);
}

/** Binds `server` to `path` per wire.md §5 and starts listening with a large backlog. */
export async function bindUnixSocket(path: string, server: net.Server): Promise<BoundSocket> {
  const dir = dirname(path);
  const temp = join(dir, `.${process.pid}-${++bindSequence}.bind`);
  checkLength(path);
  checkLength(temp);
  await ensurePrivateDir(dir);
  await clearStale(path);
  await unlink(temp).catch(() => {}); // left behind by a crashed process that had our pid

  const listening = once(server, 'listening');
  // Born 0600: bind(2) applies the umask. listen() binds synchronously, so the umask is changed only for this
  // synchronous stretch (a threadpool fs call of this process racing it would see it too — a microsecond window).
  const previousUmask = process.umask(0o177);
  try {
    server.listen({path: temp, backlog: LISTEN_BACKLOG});
  } finally {
    process.umask(previousUmask);
  }
  await listening;

  try {
    const bound = await lstat(temp);
    if (!bound.isSocket() || (bound.mode & 0o177) !== 0)
      throw new UnsafeSocketPathError(`${temp} is not a 0600 socket after bind`, temp);
    try {
      await link(temp, path);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') throw new SocketInUseError(path);
      throw e;
    }
    const st = await lstat(path);
    if (!st.isSocket() || st.ino !== bound.ino || st.dev !== bound.dev)
      throw new UnsafeSocketPathError(`${path} is not our socket after bind`, path);
    return {
      path,
      release: async () => {
        try {
          const now = await lstat(path);
          if (now.ino === bound.ino && now.dev === bound.dev) await unlink(path);
        } catch (e) {
          if (errnoCode(e) !== 'ENOENT') throw e;
        }
      },
    };
  } catch (e) {
    server.close();
    throw e;
  } finally {
    await unlink(temp).catch(() => {});
  }
}
