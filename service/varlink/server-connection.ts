// One accepted varlink connection: frames in, calls dispatched strictly one at a time in arrival order (a call's
// replies are all written before the next call starts), replies out under an output cap.
//
// Malformed input policy:
// - A frame that is not a call at all — not UTF-8, not JSON, not an object, no string method or an unqualified
//   one — means the peer does not speak varlink or has lost sync: warning, and this connection is closed.
// - A message over the size cap (even unfinished) closes this connection at once.
// - A call with a good method name but bad flags or a non-object "parameters" gets an error reply
//   (InvalidParameter naming the member) and the connection stays; so does every call the dispatcher rejects.
// - Unknown top-level keys are ignored.
// Nothing here touches other connections: each has its own decoder, queue and output buffer.
//
// Lifecycle: the peer's end of input (EOF) does not cancel what it already sent — queued calls are still
// answered, then our side is closed. A `more` call is different: a stream lives for its consumer, so EOF while
// one runs (or before one starts) aborts that call. Once a call's signal is aborted nothing more is written for it.
// A connection that completes no message within its first-message timeout is closed: it only holds a slot.
import type {Socket} from 'node:net';
import {encodeFrame, FrameDecoder} from '../../core/varlink/framing.js';
import {decodeCall, makeErrorReply, ProtocolError} from '../../core/varlink/message.js';
import type {Call, JsonObject} from '../../core/varlink/message.js';
import {StandardError} from '../../core/varlink/errors.js';
import type {Logger} from '../log.js';
import {ConnectionClosedError} from '../../core/varlink/transport-errors.js';
import type {IdleCandidate} from './idle-eviction.js';

/** What a dispatcher may do with the connection a call arrived on. */
export interface ReplyChannel {
  readonly connectionId: number;
  /** The connecting process's uid (SO_PEERCRED), -1 when it cannot be read (no addon). */
  readonly peerUid: number;
  /** Writes one message; false when the output queue is above its high-water mark or the connection is gone. */
  write(message: JsonObject): boolean;
  writeFrame(frame: Uint8Array): boolean;
  /** Resolves once the output queue is below its high-water mark; rejects if the connection closes first. */
  drained(): Promise<void>;
}

/** Handles one call completely (replies included); never rejects. */
export type CallDispatcher = (call: Call, channel: ReplyChannel, signal: AbortSignal) => Promise<void>;

export interface ConnectionLimits {
  maxMessageBytes: number;
  maxQueuedOutputBytes: number;
  firstMessageTimeoutMs: number;
}

/** Received calls waiting for their turn before we stop reading from the peer. */
const MAX_QUEUED_CALLS = 64;

const decoder = new TextDecoder();

/** Whether a frame that failed call validation still asked for no reply. */
function asksForNoReply(frame: Uint8Array): boolean {
  // Only reached for frames decodeCall already parsed into an object.
  return (JSON.parse(decoder.decode(frame)) as JsonObject).oneway === true;
}

export class ServerConnection implements ReplyChannel, IdleCandidate {
  private state: 'idle' | 'dispatching' | 'closed' = 'idle';
  private readonly frames: Uint8Array[] = [];
  private readonly decoder: FrameDecoder;
  private peerEnded = false;
  private current?: {call: Call; controller: AbortController};
  private drain?: Promise<void>;
  private corked = false;
  private lastActivity = performance.now();
  private firstMessageTimer?: NodeJS.Timeout;
  productive = false;
  readonly closed: Promise<void>;

  constructor(
    readonly connectionId: number,
    readonly peerUid: number,
    private readonly socket: Socket,
    private readonly endpoint: string,
    private readonly dispatch: CallDispatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
  ) {
    this.decoder = new FrameDecoder(limits.maxMessageBytes);
    this.firstMessageTimer = setTimeout(() => {
      this.log.warning(`connection ${connectionId}: no complete message within ${limits.firstMessageTimeoutMs} ms; closing it`);
      this.destroy();
    }, limits.firstMessageTimeoutMs).unref();
    this.closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', (e) => this.log.debug(`connection ${connectionId}: ${e.message}`));
    socket.on('close', () => this.onClose());
  }

  write(message: JsonObject): boolean {
    return this.writeFrame(encodeFrame(message));
  }

  /** Writes an already encoded frame (JSON text and its NUL). */
  writeFrame(frame: Uint8Array): boolean {
    if (this.state === 'closed' || !this.socket.writable) return false;
    const belowHighWater = this.socket.write(frame);
    this.coalesce();
    if (this.socket.writableLength > this.limits.maxQueuedOutputBytes) {
      this.log.warning(`connection ${this.connectionId}: peer is not reading, ${this.socket.writableLength} bytes ` +
        `queued (cap ${this.limits.maxQueuedOutputBytes}); closing it`);
      this.destroy();
      return false;
    }
    return belowHighWater;
  }

  /**
   * After the first frame of a turn of the event loop has gone out (at once: a lone event waits for nothing), the
   * rest of the turn's frames leave together, in one writev(2): a hub fanning out a reader chunk of a few hundred
   * events would otherwise make a system call per event per subscriber. The socket is uncorked on the next tick,
   * so no frame waits for more than the code already running.
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => this.uncork());
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  drained(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ConnectionClosedError(this.endpoint));
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    this.drain ??= new Promise<void>((resolve, reject) => {
      const settle = () => {
        this.socket.off('drain', settle);
        this.socket.off('close', settle);
        this.drain = undefined;
        if (this.state === 'closed') reject(new ConnectionClosedError(this.endpoint));
        else resolve();
      };
      this.socket.on('drain', settle);
      this.socket.on('close', settle);
    });
    return this.drain;
  }

  idleSince(): number | null {
    const busy = this.state !== 'idle' || this.frames.length > 0 || this.decoder.pendingBytes > 0;
    return busy ? null : this.lastActivity;
  }

  /** Closes the connection now; a running call sees its signal aborted. */
  destroy(): void {
    // What this turn already wrote (replies before a bad frame) goes out first, as it would have uncoalesced.
    this.uncork();
    this.socket.destroy();
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.log.warning(`connection ${this.connectionId}: ${(e as Error).message}; closing it`);
      this.destroy();
      return;
    }
    if (frames.length > 0 && !this.productive) {
      this.productive = true;
      clearTimeout(this.firstMessageTimer);
    }
    for (const frame of frames) this.frames.push(frame);
    if (this.frames.length >= MAX_QUEUED_CALLS) this.socket.pause();
    void this.pump();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private async pump(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'dispatching';
    while (this.frames.length > 0 && !this.isClosed()) {
      const frame = this.frames.shift()!;
      if (this.socket.isPaused() && this.frames.length < MAX_QUEUED_CALLS / 2) this.socket.resume();
      await this.handleFrame(frame);
    }
    if (this.isClosed()) return;
    this.state = 'idle';
    this.lastActivity = performance.now();
    if (this.peerEnded) this.socket.end();
  }

  private async handleFrame(frame: Uint8Array): Promise<void> {
    let call: Call;
    try {
      call = decodeCall(frame);
    } catch (e) {
      const field = e instanceof ProtocolError ? e.field : undefined;
      if (field !== undefined && field !== 'method') {
        if (!asksForNoReply(frame)) this.write(makeErrorReply(StandardError.InvalidParameter, {parameter: field}));
        return;
      }
      this.log.warning(`connection ${this.connectionId}: ${(e as Error).message}; closing it`);
      this.destroy();
      return;
    }
    const controller = new AbortController();
    if (this.peerEnded && call.more) controller.abort();
    this.current = {call, controller};
    try {
      await this.dispatch(call, this, controller.signal);
    } catch (e) {
      // The dispatcher answers handler failures itself; reaching here is a bug in it — lose this peer, not the server.
      this.log.error(`connection ${this.connectionId}: dispatching ${call.method} failed: ${(e as Error).stack}`);
      this.destroy();
    } finally {
      this.current = undefined;
    }
  }

  private onPeerEnd(): void {
    this.peerEnded = true;
    if (this.current?.call.more) this.current.controller.abort();
    if (this.state === 'idle') this.socket.end();
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.firstMessageTimer);
    this.frames.length = 0;
    this.current?.controller.abort();
  }
}
