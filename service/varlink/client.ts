// A varlink client on a unix socket. Calls may be pipelined: each is written at once and replies are matched to
// calls in order (the server answers in order). Because of that matching, one call that times out or gets a
// malformed reply leaves the connection's state unknown, so the connection is closed: that call rejects with
// the reason (TimeoutError, ProtocolError) and every other outstanding one with ConnectionClosedError.
//
// A stream owns its connection: the calls of a client that is streaming wait behind the stream (in-order
// answering), and leaving the `for await` loop early closes the connection. Open one client per stream.
import net from 'node:net';
import {encodeFrame, FrameDecoder} from '../../core/varlink/framing.js';
import {decodeReply, makeCall, ProtocolError} from '../../core/varlink/message.js';
import type {JsonObject, Reply} from '../../core/varlink/message.js';
import {VarlinkError} from '../../core/varlink/errors.js';
import {ConnectionClosedError, TimeoutError} from './transport-errors.js';

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

/** An outstanding call, waiting for its replies. */
interface Pending {
  readonly method: string;
  readonly more: boolean;
  deliver(reply: Reply): void;
  fail(error: Error): void;
}

export class VarlinkClient {
  private pending: Pending[] = [];
  private readonly decoder: FrameDecoder;
  private readonly callTimeoutMs: number;
  private ended = false;
  /** Why the connection ended, when not by a plain close. */
  private cause?: Error;
  readonly closed: Promise<void>;

  private constructor(readonly path: string, private readonly socket: net.Socket, options: ClientOptions) {
    this.decoder = new FrameDecoder(options.maxMessageBytes);
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
      const entry: Pending = {
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
  private send(call: JsonObject, entry: Pending): boolean {
    if (this.ended) {
      entry.fail(new ConnectionClosedError(this.path, {cause: this.cause}));
      return false;
    }
    this.pending.push(entry);
    this.socket.write(encodeFrame(call));
    return true;
  }

  private receive(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.abandon(this.pending[0], new ProtocolError((e as Error).message));
      return;
    }
    for (const frame of frames) {
      if (this.ended) return;
      this.onReply(frame);
    }
  }

  private onReply(frame: Uint8Array): void {
    const head = this.pending[0];
    let reply: Reply;
    try {
      reply = decodeReply(frame);
    } catch (e) {
      this.abandon(head, e as ProtocolError);
      return;
    }
    if (!head) {
      this.abandon(undefined, new ProtocolError('reply without an outstanding call'));
    } else if (reply.continues && !head.more && reply.error === undefined) {
      this.abandon(head, new ProtocolError(`"continues" in a reply to ${head.method}, which was called without "more"`));
    } else {
      if (!reply.continues || reply.error !== undefined) this.pending.shift();
      head.deliver(reply);
    }
  }

  /** Fails `culprit` with `reason` itself and ends the connection for the rest. */
  private abandon(culprit: Pending | undefined, reason: Error): void {
    if (this.ended) return;
    if (culprit) {
      this.pending = this.pending.filter((p) => p !== culprit);
      culprit.fail(reason);
    }
    this.end(reason);
  }

  private end(cause?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.cause = cause;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = [];
    for (const entry of pending) entry.fail(new ConnectionClosedError(this.path, {cause}));
  }
}
