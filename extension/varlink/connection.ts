// A varlink client connection for GJS: Gio unix sockets, all I/O asynchronous on the main loop, framing and
// reply matching from core. It only talks to a socket served by our own uid. Replies are matched to calls in
// order; a protocol error fails the call it hit and closes the connection, failing every other outstanding
// call with ConnectionClosedError. Only gi:// imports, so it runs under plain gjs in tests.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import {VarlinkError} from '../../core/varlink/errors.js';
import {encodeFrame} from '../../core/varlink/framing.js';
import {makeCall} from '../../core/varlink/message.js';
import type {JsonObject, Reply} from '../../core/varlink/message.js';
import {ReplyQueue} from '../../core/varlink/reply-queue.js';
import type {Waiter} from '../../core/varlink/reply-queue.js';
import {ConnectionClosedError, TimeoutError} from '../../core/varlink/transport-errors.js';
import {PeerCredentialsError, PeerUidError} from './errors.js';

const READ_CHUNK_BYTES = 64 * 1024;

export interface ConnectOptions {
  /**
   * Cancelling it aborts the connect, or closes the connection once made; close() cancels it too. Give each
   * connection its own (Lifetime.cancellable()), so disabling the extension closes every connection.
   */
  cancellable?: Gio.Cancellable;
  /** Cap on one reply; default 16 MiB. */
  maxMessageBytes?: number;
  /** Give up connecting after this long (rejects with TimeoutError); default: no limit. */
  timeoutMs?: number;
}

export interface CallOptions {
  /**
   * Reject with TimeoutError if no reply came within this long, and close the connection: replies are matched to
   * calls in order, so a connection with a call that will never be answered is of no further use. 0: no limit.
   */
  timeoutMs?: number;
}

export class VarlinkConnection {
  readonly #replies: ReplyQueue;
  #writing: Promise<void> = Promise.resolve();
  #ended = false;
  #cause: Error | undefined;
  #onClosed!: (cause: Error | undefined) => void;
  /** Resolves when the connection has ended: with the reason, or undefined after close() or the peer's close. */
  readonly closed = new Promise<Error | undefined>((resolve) => (this.#onClosed = resolve));

  private constructor(
    readonly path: string,
    private readonly connection: Gio.SocketConnection,
    private readonly cancellable: Gio.Cancellable,
    maxMessageBytes?: number,
  ) {
    this.#replies = new ReplyQueue(maxMessageBytes);
    void this.#readLoop();
  }

  /** Connects to the socket at `path`; rejects with PeerUidError if another user serves it. */
  static async connect(path: string, options: ConnectOptions = {}): Promise<VarlinkConnection> {
    const cancellable = options.cancellable ?? new Gio.Cancellable();
    const client = new Gio.SocketClient();
    const connecting = new Promise<Gio.SocketConnection>((resolve, reject) => {
      client.connect_async(new Gio.UnixSocketAddress({path}), cancellable, (_source, result) => {
        try {
          resolve(client.connect_finish(result));
        } catch (e) {
          reject(e);
        }
      });
    });
    const connection = await withTimeout(connecting, options.timeoutMs ?? 0, () => {
      cancellable.cancel();
      connecting.then(closeQuietly, () => {}); // made just as the time ran out: nobody will use it
      return new TimeoutError(`connecting to ${path}`, options.timeoutMs ?? 0);
    });
    // The server's credentials (SO_PEERCRED), not the socket file's owner: that is who would read our verdicts.
    let peerUid: number;
    try {
      peerUid = connection.get_socket().get_credentials().get_unix_user();
    } catch (e) {
      // GLib refuses credentials without a pid, which a server in a PID namespace we cannot see has.
      closeQuietly(connection);
      throw new PeerCredentialsError(path, {cause: e});
    }
    const ownUid: number = new Gio.Credentials().get_unix_user();
    if (peerUid !== ownUid) {
      closeQuietly(connection);
      throw new PeerUidError(path, peerUid, ownUid);
    }
    return new VarlinkConnection(path, connection, cancellable, options.maxMessageBytes);
  }

  /** Calls `method`; resolves with the reply's parameters, rejects with VarlinkError for an error reply. */
  call(method: string, parameters: JsonObject = {}, options: CallOptions = {}): Promise<JsonObject> {
    const reply = new Promise<JsonObject>((resolve, reject) => {
      this.#request(makeCall(method, parameters), {
        method,
        more: false,
        deliver: (reply) => (reply.error === undefined ? resolve(reply.parameters) : reject(replyError(reply))),
        fail: reject,
      });
    });
    return withTimeout(reply, options.timeoutMs ?? 0, () => {
      const error = new TimeoutError(`${method} on ${this.path}`, options.timeoutMs ?? 0);
      this.#end(error);
      return error;
    });
  }

  /**
   * Calls `method` with `more`: `onReply` gets each reply's parameters, the last one included. Resolves after the
   * last reply; rejects with VarlinkError for an error reply, ConnectionClosedError if the connection ends first.
   * A stream owns the connection: calls sent after it are answered only once it ends.
   */
  stream(method: string, parameters: JsonObject, onReply: (parameters: JsonObject) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#request(makeCall(method, parameters, {more: true}), {
        method,
        more: true,
        deliver: (reply) => {
          if (reply.error !== undefined) {
            reject(replyError(reply));
            return;
          }
          onReply(reply.parameters);
          if (!reply.continues) resolve();
        },
        fail: reject,
      });
    });
  }

  /** Closes the connection; outstanding calls and streams reject with ConnectionClosedError. */
  close(): void {
    this.#end();
  }

  #request(call: JsonObject, waiter: Waiter): void {
    if (this.#ended) {
      waiter.fail(new ConnectionClosedError(this.path, {cause: this.#cause}));
      return;
    }
    this.#replies.push(waiter);
    const frame = encodeFrame(call);
    const output = this.connection.get_output_stream();
    // One write at a time: a Gio stream refuses a second pending operation.
    this.#writing = this.#writing
      .then(() => writeAll(output, frame, this.cancellable))
      .catch((e: unknown) => this.#end(e as Error));
  }

  async #readLoop(): Promise<void> {
    const input = this.connection.get_input_stream();
    try {
      while (!this.#ended) {
        const bytes = await readBytes(input, READ_CHUNK_BYTES, this.cancellable);
        if (bytes.get_size() === 0) {
          this.#end();
          return;
        }
        const broken = this.#replies.receive(bytes.toArray());
        if (broken) this.#end(broken);
      }
    } catch (e) {
      // Cancelled (close(), or the owner's cancellable), a read error, or a throwing onReply.
      this.#end(e as Error);
    }
  }

  #end(cause?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cause = cause;
    this.cancellable.cancel();
    closeQuietly(this.connection);
    this.#replies.failAll(new ConnectionClosedError(this.path, {cause}));
    this.#onClosed(cause);
  }
}

/**
 * `promise`, or the error `expire()` returns once `ms` have passed first (0: no limit). The timer is removed when the
 * promise settles, and every promise here settles when its connection ends, so no timer outlives a connection.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, expire: () => Error): Promise<T> {
  if (ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    let id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
      id = 0;
      reject(expire());
      return GLib.SOURCE_REMOVE;
    });
    const stop = (): void => {
      if (id) GLib.Source.remove(id);
      id = 0;
    };
    promise.then((value) => {
      stop();
      resolve(value);
    }, (error: unknown) => {
      stop();
      reject(error);
    });
  });
}

function replyError(reply: Reply): VarlinkError {
  return new VarlinkError(reply.error ?? '', reply.parameters);
}

function readBytes(input: Gio.InputStream, count: number, cancellable: Gio.Cancellable): Promise<GLib.Bytes> {
  return new Promise((resolve, reject) => {
    input.read_bytes_async(count, GLib.PRIORITY_DEFAULT, cancellable, (_source, result) => {
      try {
        resolve(input.read_bytes_finish(result));
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function writeAll(output: Gio.OutputStream, data: Uint8Array, cancellable: Gio.Cancellable): Promise<void> {
  for (let rest = data; rest.length > 0;) {
    const written = await new Promise<number>((resolve, reject) => {
      output.write_bytes_async(rest, GLib.PRIORITY_DEFAULT, cancellable, (_source, result) => {
        try {
          resolve(output.write_bytes_finish(result));
        } catch (e) {
          reject(e);
        }
      });
    });
    rest = rest.subarray(written);
  }
}

/** Closes without blocking the main loop; a failure to close a socket we are done with changes nothing. */
function closeQuietly(connection: Gio.SocketConnection): void {
  connection.close_async(GLib.PRIORITY_DEFAULT, null, (_source, result) => {
    try {
      connection.close_finish(result);
    } catch {
      // already closed or broken: nothing left to release
    }
  });
}
