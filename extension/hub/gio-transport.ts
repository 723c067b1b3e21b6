// The hub client's transport on Gio (core/client/hub-connection.ts does the rest): VarlinkConnection sockets that
// only talk to our own uid, connect failures worded from Gio's error codes, and an asynchronous check for the
// socket file. The lifetime's end (disable()) cancels every connection still open or being made.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import {errorMessage, type ConnectFailure, type HubPeer, type HubTransport} from '../../core/client/hub-connection.js';
import type {Lifetime} from '../lifetime.js';
import {VarlinkConnection} from '../varlink/connection.js';
import {TimeoutError} from '../../core/varlink/transport-errors.js';
import {PeerCredentialsError, PeerUidError} from '../varlink/errors.js';

export function gioTransport(lifetime: Lifetime): HubTransport {
  const live = new Set<Gio.Cancellable>();
  const queries = lifetime.cancellable();
  lifetime.defer(() => {
    for (const cancellable of live) cancellable.cancel();
  });
  return {
    async connect(path, timeoutMs): Promise<HubPeer> {
      if (queries.is_cancelled()) throw new Error('the extension is disabled');
      const cancellable = new Gio.Cancellable();
      live.add(cancellable);
      try {
        const connection = await VarlinkConnection.connect(path, {cancellable, timeoutMs});
        void connection.closed.then(() => live.delete(cancellable));
        return connection;
      } catch (e) {
        live.delete(cancellable);
        throw e;
      }
    },
    connectFailure,
    socketExists: (path) => socketExists(path, queries),
  };
}

/** Why a connect failed, worded for the operator; "not running" when nobody listens at the path. */
function connectFailure(path: string, e: unknown): ConnectFailure {
  if (e instanceof GLib.Error) {
    if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND)) {
      return {reason: `not running (no socket at ${path})`, notRunning: true};
    }
    if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_REFUSED)) {
      return {reason: `not running (nothing accepts on ${path})`, notRunning: true};
    }
    if (e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED)) {
      return {reason: `permission denied on ${path}`, notRunning: false};
    }
  }
  if (e instanceof PeerUidError || e instanceof PeerCredentialsError || e instanceof TimeoutError) return {reason: e.message, notRunning: false};
  return {reason: errorMessage(e), notRunning: false};
}

/** Whether a socket (a "special" file, not followed through a symlink) is at `path`; never throws. */
function socketExists(path: string, cancellable: Gio.Cancellable | null): Promise<boolean> {
  const file = Gio.File.new_for_path(path);
  return new Promise((resolve) => {
    file.query_info_async('standard::type', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, GLib.PRIORITY_DEFAULT,
      cancellable, (_source, result) => {
        try {
          resolve(file.query_info_finish(result).get_file_type() === Gio.FileType.SPECIAL);
        } catch {
          resolve(false);
        }
      });
  });
}
