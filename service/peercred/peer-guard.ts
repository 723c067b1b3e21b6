// The check every socket we serve makes before it reads a byte: the peer must run as our uid (SO_PEERCRED). The
// socket's mode (0600 in a 0700 directory) is the first fence; this one still holds where that one is loosened (a
// wider runtime directory, an ACL, an inherited fd, a bind mount). A refusal is logged once per uid, so a peer that
// retries in a loop cannot flood the journal.
import type net from 'node:net';
import type {Logger} from '../log.js';
import {peerCredentials, peerCredentialsUnavailable, type PeerCredentials} from './peer-credentials.js';

/** Reads the identity of a connected peer; null when that cannot be known (the addon is not there). */
export interface PeerCheck {
  read(socket: net.Socket): PeerCredentials | null;
  /** Why peers cannot be identified, or null when they can. */
  unavailable(): string | null;
}

export const ADDON_PEER_CHECK: PeerCheck = {read: peerCredentials, unavailable: peerCredentialsUnavailable};

/** Distinct refused uids we remember (and so log once); past it, refusals are still made, not logged. */
const MAX_REMEMBERED_UIDS = 256;

/** What admit() found: the peer (null when peers cannot be identified at all), or that it was refused. */
export type Admission = {admitted: true; peer: PeerCredentials | null} | {admitted: false};

export class PeerGuard {
  readonly #uid = process.getuid!();
  readonly #logged = new Set<number | 'unknown'>();

  /** Warns once, at start, when peers cannot be identified: only the socket's mode then keeps others out. */
  constructor(private readonly endpoint: string, private readonly log: Logger,
    private readonly check: PeerCheck = ADDON_PEER_CHECK) {
    const unavailable = check.unavailable();
    if (unavailable) {
      log.warning(`${endpoint}: cannot check which uid a peer runs as (${unavailable}); `
        + 'only the socket permissions (0600 in a 0700 directory) keep other users out');
    }
  }

  /** Checks `socket`'s peer; a refused socket is already destroyed. `what` names the connection in the log. */
  admit(socket: net.Socket, what: string): Admission {
    let peer: PeerCredentials | null;
    try {
      peer = this.check.read(socket);
    } catch (e) {
      this.#refuse(socket, 'unknown', `refused ${what}: cannot identify its peer (${(e as Error).message})`);
      return {admitted: false};
    }
    if (peer && peer.uid !== this.#uid) {
      this.#refuse(socket, peer.uid,
        `refused ${what} from uid ${peer.uid} (pid ${peer.pid}): only uid ${this.#uid} may connect; `
        + 'further connections from this uid are refused without a log line');
      return {admitted: false};
    }
    return {admitted: true, peer};
  }

  #refuse(socket: net.Socket, key: number | 'unknown', message: string): void {
    socket.destroy();
    if (this.#logged.has(key) || this.#logged.size >= MAX_REMEMBERED_UIDS) return;
    this.#logged.add(key);
    this.log.warning(`${this.endpoint}: ${message}`);
  }
}
