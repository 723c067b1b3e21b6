// Who is on the other end of a unix socket: SO_PEERCRED through the small addon in this directory (peercred.c).
// The addon is optional at run time: when it is not built or does not load, callers get null and rely on the
// socket's own protection (0600 in a 0700 directory); peerCredentialsUnavailable() says why, for one startup warning.
import {createRequire} from 'node:module';
import type {Socket} from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface Addon {
  peerCredentials(fd: number): PeerCredentials;
}

/** Where build/native.mjs leaves the addon, relative to this module both in the source tree and in dist/. */
export const ADDON_PATH = new URL('./build/Release/peercred.node', import.meta.url).pathname;

export type AddonLoad = {addon: Addon; reason?: undefined} | {addon?: undefined; reason: string};

/** Loads the addon at `path`; never throws. */
export function loadAddon(path: string = ADDON_PATH): AddonLoad {
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<Addon>;
    if (typeof addon.peerCredentials !== 'function') return {reason: `${path} does not export peerCredentials`};
    return {addon: addon as Addon};
  } catch (e) {
    return {reason: `cannot load ${path}: ${(e as Error).message.split('\n')[0]}`};
  }
}

let loaded: AddonLoad | undefined;

function load(): AddonLoad {
  loaded ??= loadAddon();
  return loaded;
}

/** Why peer credentials cannot be read (the addon did not load), or null when they can. */
export function peerCredentialsUnavailable(): string | null {
  return load().reason ?? null;
}

/**
 * The kernel's record of the process that connected `socket` (taken at connect time). null when the addon is
 * unavailable. Throws when the addon is loaded but the query fails (the socket has no fd or is no longer
 * connected): a caller guarding a socket treats that as a refusal.
 */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  const {addon} = load();
  if (!addon) return null;
  // net.Socket has no public fd accessor; its libuv handle exposes the descriptor on Unix.
  const fd = (socket as unknown as {_handle?: {fd?: unknown}})._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor (closed?)');
  return addon.peerCredentials(fd);
}
