// Varlink framing: each message is a JSON text followed by one NUL byte. The decoder works on bytes so a
// multibyte UTF-8 sequence split across reads is only decoded once its frame is complete.

/** Default cap on one message (and on a partial message still being received): 16 MiB, as sd-varlink. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class FrameTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`varlink message exceeds ${limit} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

/** Splits a byte stream at a delimiter byte: NUL for varlink; the reader socket's NDJSON passes a newline. */
export class FrameDecoder {
  private parts: Uint8Array[] = [];
  private partBytes = 0;

  constructor(readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES, readonly delimiter = 0) {}

  /** Bytes of an incomplete message held so far. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds received bytes; returns the complete frames (without their delimiter), in order.
   * Throws FrameTooLargeError once a message (complete or not) exceeds the cap; the decoder is then unusable.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let start = 0;
    for (let end = chunk.indexOf(this.delimiter, start); end !== -1; end = chunk.indexOf(this.delimiter, start)) {
      const piece = chunk.subarray(start, end);
      this.check(this.partBytes + piece.length);
      frames.push(this.parts.length === 0 ? new Uint8Array(piece) : this.join(piece));
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(this.partBytes + rest.length);
      // Copied: transports may reuse their read buffers.
      this.parts.push(new Uint8Array(rest));
      this.partBytes += rest.length;
    }
    return frames;
  }

  private check(size: number): void {
    if (size > this.maxMessageBytes) {
      this.parts = [];
      this.partBytes = 0;
      throw new FrameTooLargeError(this.maxMessageBytes);
    }
  }

  private join(last: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.partBytes + last.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    out.set(last, at);
    this.parts = [];
    this.partBytes = 0;
    return out;
  }
}

const encoder = new TextEncoder();

/** One message as bytes on the wire: its JSON text and the terminating NUL. */
export function encodeFrame(message: object): Uint8Array {
  // Encoded in one piece, not copied after: JSON text never holds a raw NUL (JSON.stringify escapes U+0000).
  return encoder.encode(`${JSON.stringify(message)}\0`);
}
