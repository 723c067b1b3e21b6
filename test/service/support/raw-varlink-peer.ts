// A varlink peer with no protocol logic of its own: writes exactly the bytes a test gives it and records every
// NUL-terminated frame it receives, so tests can send what no well-behaved client would and see each reply.
import net from 'node:net';
import type {JsonObject} from '../../../core/varlink/message.js';

export class RawPeer {
  private buffer = '';
  readonly received: JsonObject[] = [];
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let nul;
      while ((nul = this.buffer.indexOf('\0')) !== -1) {
        this.received.push(JSON.parse(this.buffer.slice(0, nul)) as JsonObject);
        this.buffer = this.buffer.slice(nul + 1);
      }
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.wake();
      resolve();
    }));
  }

  static connect(path: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({path});
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket));
      });
    });
  }

  /** Writes `text` as it is (add the NUL yourself). */
  sendRaw(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Writes one message: `message` as JSON, then NUL. */
  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\0');
  }

  /** Resolves once `count` frames have arrived in total; rejects on close or timeout. */
  async waitFor(count: number, timeoutMs = 5000): Promise<JsonObject[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (this.socket.destroyed) throw new Error(`connection closed after ${this.received.length} of ${count} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.received.length} of ${count} frames`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closesWithin(timeoutMs = 5000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.closed.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
