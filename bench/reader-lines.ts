// Reader lines for the hub bench, as terok-shield's reader writes them (wire.md §4), and the writer that sends
// them down one reader connection. Line n asks about its own domain, so every line is a live binding of its own
// (a verdict on one never settles another) and the Verdict bench can answer them one by one.
import {once} from 'node:events';
import net from 'node:net';
import {translateReaderLine} from '../core/clearance/reader-line.js';
import {encodeFrame} from '../core/varlink/framing.js';
import {makeReply} from '../core/varlink/message.js';

export const CONTAINER = 'abc123def456';

/** The dossier key carrying the writer's send time: process.hrtime in ns (see bench/hub.ts for the clock). */
export const SENT_NS = 'bench_sent_ns';

export const domainOf = (n: number) => `h${n}.registry.example.net`;

export function pendingLine(n: number, sentNs?: bigint): string {
  const dossier: Record<string, string> = {project: 'warp', task: 't42', name: 'build'};
  if (sentNs !== undefined) dossier[SENT_NS] = String(sentNs);
  return `${JSON.stringify({type: 'pending', container: CONTAINER, id: `${CONTAINER}:${n}`, dest: '198.51.100.1',
    port: 443, proto: 6, domain: domainOf(n), dossier})}\n`;
}

/** The frame a subscriber receives for pendingLine(n): what the raw baselines send, for like-sized messages. */
export function subscriberFrame(n: number): Uint8Array {
  const translated = translateReaderLine(pendingLine(n));
  if (translated.kind !== 'event') throw new Error(`bench reader line ${n} does not translate to an event`);
  return encodeFrame(makeReply({event: translated.event}, true));
}

/** An event that makes no binding: what the bench sends to see that every subscriber is listening. */
export const PROBE_LINE = `${JSON.stringify({type: 'shield_up', container: CONTAINER})}\n`;

/** One reader connection; writes wait for the socket to drain, so a paced hub holds the writer in the kernel. */
export class ReaderWriter {
  private constructor(private readonly socket: net.Socket) {}

  static async connect(path: string): Promise<ReaderWriter> {
    const socket = net.connect({path});
    await once(socket, 'connect');
    return new ReaderWriter(socket);
  }

  async write(text: string): Promise<void> {
    if (!this.socket.write(text)) await once(this.socket, 'drain');
  }

  /** Lines from..to-1, written in chunks of `chunk` lines. */
  async writeRange(from: number, to: number, chunk = 1000): Promise<void> {
    for (let start = from; start < to; start += chunk) {
      let text = '';
      for (let n = start; n < Math.min(to, start + chunk); n++) text += pendingLine(n);
      await this.write(text);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
