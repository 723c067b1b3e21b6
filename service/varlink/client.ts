// A varlink client on a unix socket. Calls may be pipelined: each is written at once and replies are matched to
// calls in order (the server answers in order). Because of that matching, one call that times out or gets a
// malformed reply leaves the connection's state unknown, so the connection is closed: that call rejects with
// the reason (TimeoutError, ProtocolError) and every other outstanding one with ConnectionClosedError.
//
// A stream owns its connection: the calls of a client that is streaming wait behind the stream (in-order
// answering), and leaving the `for await` loop early closes the connection. Open one client per stream.
import net from 'node:net';
import {encodeFrame} from '../../core/varlink/framing.js';
import {makeCall} from '../../core/varlink/message.js';
import type {JsonObject, Reply} from '../../core/varlink/message.js';
import {VarlinkError} from '../../core/varlink/errors.js';
import {ReplyQueue, type Waiter} from '../../core/varlink/reply-queue.js';
import {ConnectionClosedError, TimeoutError} from '../../core/varlink/transport-errors.js';

export interface ClientOptions {
  /** Connect timeout; default 5 s. */
  timeoutMs?: number;
  /** Default timeout of each call (not of streams); default 45 s, as sd-varlink. 0 means none. */
  callTimeoutMs?: number;
  /** Cap on one reply; default 16 MiB. */
  maxMessageBytes?: number;
}

export interface CallTimeout {
  /** Overrides the client's callTimeoutMs for this call; 0 means none. */
  timeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_CALL_TIMEOUT_MS = 45_000;

/** Stream replies buffered for a slow consumer before we stop reading (the server then holds them back). */
const STREAM_BUFFER = 256;

export class VarlinkClient {
  private readonly replies: ReplyQueue;
  private readonly callTimeoutMs: number;
  private ended = false;
  /** Why the connection ended, when not by a plain close. */
  private cause?: Error;
  readonly closed: Promise<void>;

  private constructor(readonly path: string, private readonly socket: net.Socket, options: ClientOptions) {
    this.replies = new ReplyQueue(options.maxMessageBytes);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.end(e));
    socket.on('close', () => this.end());
  }

  static connect(path: string, options: ClientOptions = {}): Promise<VarlinkClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = net.connect({path});
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError(`varlink connect to ${path}`, timeoutMs));
      }, timeoutMs);
      const onError = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new VarlinkClient(path, socket, options));
      });
    });
  }

  /** Calls `method`; resolves with the reply's parameters, rejects with VarlinkError for an error reply. */
  call(method: string, parameters: JsonObject = {}, options: CallTimeout = {}): Promise<JsonObject> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const entry: Waiter = {
        method,
        more: false,
        deliver: (reply) => {
          clearTimeout(timer);
          if (reply.error !== undefined) reject(new VarlinkError(reply.error, reply.parameters));
          else resolve(reply.parameters);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (!this.send(makeCall(method, parameters), entry)) return;
      if (timeoutMs > 0) {
        timer = setTimeout(() => this.abandon(entry, new TimeoutError(`varlink call ${method}`, timeoutMs)), timeoutMs);
      }
    });
  }

  /**
   * Calls `method` with `more` and yields each reply's parameters, the last one included; an error reply is
   * thrown from the loop. Breaking out of the loop early closes this client's connection.
   */
  stream(method: string, parameters: JsonObject = {}): AsyncIterableIterator<JsonObject> {
    const buffered: Reply[] = [];
    let failure: Error | undefined;
    let finished = false;
    let wake: (() => void) | undefined;
    this.send(makeCall(method, parameters, {more: true}), {
      method,
      more: true,
      deliver: (reply) => {
        buffered.push(reply);
        if (buffered.length >= STREAM_BUFFER) this.socket.pause();
        wake?.();
      },
      fail: (error) => {
        failure = error;
        wake?.();
      },
    });
    const iterator: AsyncIterableIterator<JsonObject> = {
      next: async () => {
        for (;;) {
          if (finished) return {done: true, value: undefined};
          const reply = buffered.shift();
          if (reply) {
            if (this.socket.isPaused() && buffered.length < STREAM_BUFFER / 2) this.socket.resume();
            if (reply.error !== undefined) {
              finished = true;
              throw new VarlinkError(reply.error, reply.parameters);
            }
            if (!reply.continues) finished = true;
            return {done: false, value: reply.parameters};
          }
          if (failure) {
            finished = true;
            throw failure;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async () => {
        if (!finished) {
          finished = true;
          this.close();
        }
        return {done: true, value: undefined};
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Sends a call that gets no reply. Throws ConnectionClosedError if the connection is gone. */
  oneway(method: string, parameters: JsonObject = {}): void {
    if (this.ended) throw new ConnectionClosedError(this.path, {cause: this.cause});
    this.socket.write(encodeFrame(makeCall(method, parameters, {oneway: true})));
  }

  /** Closes the connection; outstanding calls and streams reject with ConnectionClosedError. */
  close(): void {
    this.end();
  }

  /** Queues `entry` and writes its call; fails it at once (and returns false) if the connection is gone. */
  private send(call: JsonObject, entry: Waiter): boolean {
    if (this.ended) {
      entry.fail(new ConnectionClosedError(this.path, {cause: this.cause}));
      return false;
    }
    this.replies.push(entry);
    this.socket.write(encodeFrame(call));
    return true;
  }

  private receive(chunk: Buffer): void {
    // A broken reply has already failed the call it was for; the connection goes, failing the rest.
    const broken = this.replies.receive(chunk);
    if (broken) this.end(broken);
  }

  /** Fails `culprit` with `reason` itself and ends the connection for the rest. */
  private abandon(culprit: Waiter, reason: Error): void {
    if (this.ended) return;
    this.replies.remove(culprit);
    culprit.fail(reason);
    this.end(reason);
  }

  private end(cause?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.cause = cause;
    this.socket.destroy();
    this.replies.failAll(new ConnectionClosedError(this.path, {cause}));
  }
}
