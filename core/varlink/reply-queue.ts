// The client side of one varlink connection, without the socket: calls are answered in order, so each received
// reply belongs to the oldest outstanding call; a `more` call keeps receiving until a reply without `continues`.
// A frame that breaks the protocol leaves the connection's state unknown: the call it was meant for fails with
// the reason, and the transport must close the connection and fail the rest (failAll).
import {DEFAULT_MAX_MESSAGE_BYTES, FrameDecoder} from './framing.js';
import {decodeReply, ProtocolError} from './message.js';
import type {Reply} from './message.js';

/** An outstanding call as the transport sees it. */
export interface Waiter {
  readonly method: string;
  readonly more: boolean;
  deliver(reply: Reply): void;
  fail(error: Error): void;
}

export class ReplyQueue {
  #waiting: Waiter[] = [];
  /** Set by failAll: the connection is over, and later calls fail with this at once. */
  #closedWith: Error | null = null;
  readonly #decoder: FrameDecoder;

  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#decoder = new FrameDecoder(maxMessageBytes);
  }

  get size(): number {
    return this.#waiting.length;
  }

  /** Registers a call just written to the connection (fails it at once if the connection is over). */
  push(waiter: Waiter): void {
    if (this.#closedWith) waiter.fail(this.#closedWith);
    else this.#waiting.push(waiter);
  }

  /** Drops a call that gave up (timeout); its replies would now be misattributed, so close the connection too. */
  remove(waiter: Waiter): void {
    this.#waiting = this.#waiting.filter((w) => w !== waiter);
  }

  /**
   * Feeds received bytes and delivers every complete reply to its call. Returns null, or the ProtocolError that
   * makes the connection unusable; the call it concerned has already failed with it.
   */
  receive(bytes: Uint8Array): ProtocolError | null {
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(bytes);
    } catch (e) {
      return this.#broken(this.#waiting[0], new ProtocolError((e as Error).message));
    }
    for (const frame of frames) {
      // A reply handler may have closed the connection; what follows is no one's.
      if (this.#closedWith) return null;
      const head = this.#waiting[0];
      let reply: Reply;
      try {
        reply = decodeReply(frame);
      } catch (e) {
        return this.#broken(head, e as ProtocolError);
      }
      if (!head) return this.#broken(undefined, new ProtocolError('reply without an outstanding call'));
      if (reply.continues && !head.more && reply.error === undefined)
        return this.#broken(head, new ProtocolError(`"continues" in a reply to ${head.method}, which was called without "more"`));
      if (!reply.continues || reply.error !== undefined) this.#waiting.shift();
      head.deliver(reply);
    }
    return null;
  }

  /** The connection ended: every outstanding call, and any later one, fails with `error`. */
  failAll(error: Error): void {
    this.#closedWith ??= error;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const waiter of waiting) waiter.fail(error);
  }

  #broken(culprit: Waiter | undefined, error: ProtocolError): ProtocolError {
    if (culprit) {
      this.remove(culprit);
      culprit.fail(error);
    }
    return error;
  }
}
