// The reader socket (wire.md §4): terok-shield's readers write NDJSON lines, we turn each into a ClearanceEvent.
// Only our own uid may write (SO_PEERCRED, checked before a byte is read); a line over 64 KiB closes that
// connection alone; bad lines are logged (within a budget, so a hostile writer cannot flood the journal) and
// skipped. We never write back. At the connection cap the longest-idle reader (never one mid-line) makes room for
// the newcomer (terok-shield's reader reconnects on its next event), and a connection that sends no complete line
// within the first-line timeout is closed.
import {once} from 'node:events';
import net from 'node:net';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {MAX_READER_LINE_BYTES, translateReaderLine} from '../../core/clearance/reader-line.js';
import {FrameDecoder, FrameTooLargeError} from '../../core/varlink/framing.js';
import {logger, type Logger} from '../log.js';
import {PeerGuard, type PeerCheck} from '../peercred/peer-guard.js';
import {bindUnixSocket, LISTEN_BACKLOG, type BoundSocket} from '../varlink/bind.js';
import {DEFAULT_FIRST_LINE_TIMEOUT_MS, longestIdle, type IdleCandidate} from '../varlink/idle-eviction.js';
import {DEFAULT_RECORDS_PER_SECOND, LogBudget} from './log-budget.js';

const NEWLINE = 0x0a;

export const DEFAULT_MAX_READERS = 1024;

export interface ReaderIngesterOptions {
  /**
   * Each accepted event, in the order its connection delivered it, with the line it came from (for a router that
   * passes lines on as written). Exceptions are logged, never fatal.
   */
  onEvent(event: ClearanceEvent, line: string): void;
  /**
   * Asked after each read: a promise means "hold off", and this connection is not read again until it settles.
   * The writer then waits in the kernel (its socket buffer fills), so nothing is lost.
   */
  backpressure?(): Promise<void> | null;
  maxLineBytes?: number;
  /** Simultaneous reader connections; one more closes the longest-idle one (all mid-line: the newcomer). */
  maxConnections?: number;
  /** A connection that completes no line within this is closed. */
  firstLineTimeoutMs?: number;
  /** Log records per connection (and for refusals, per ingester) per second before the rest are only counted. */
  logRecordsPerSecond?: number;
  peerCheck?: PeerCheck;
  log?: Logger;
}

export type ListenTarget = {path: string} | {fd: number};

/** One reader connection as the cap sees it. */
class ReaderConnection implements IdleCandidate {
  readonly lines: FrameDecoder;
  productive = false;
  private lastLine = performance.now();

  constructor(readonly socket: net.Socket, maxLineBytes: number) {
    this.lines = new FrameDecoder(maxLineBytes, NEWLINE);
  }

  lineCompleted(): void {
    this.productive = true;
    this.lastLine = performance.now();
  }

  idleSince(): number | null {
    return this.lines.pendingBytes > 0 || this.socket.isPaused() ? null : this.lastLine;
  }
}

export class ReaderIngester {
  private readonly connections = new Set<ReaderConnection>();
  private readonly decoder = new TextDecoder('utf-8');
  private readonly log: Logger;
  private readonly refusals: LogBudget;
  private readonly guard: PeerGuard;
  private nextId = 1;
  private closing?: Promise<void>;

  private constructor(
    private readonly server: net.Server,
    private readonly endpoint: string,
    private readonly bound: BoundSocket | undefined,
    private readonly options: ReaderIngesterOptions,
  ) {
    this.log = options.log ?? logger('ingester');
    this.refusals = new LogBudget(this.log, endpoint, this.perSecond);
    this.guard = new PeerGuard(endpoint, this.log, options.peerCheck);
  }

  /** Binds the reader socket (hardened, wire.md §5) or adopts an inherited listening fd, and starts accepting. */
  static async listen(target: ListenTarget, options: ReaderIngesterOptions): Promise<ReaderIngester> {
    // pauseOnConnect: nothing is read from a connection until its peer has been checked.
    const server = net.createServer({pauseOnConnect: true});
    let bound: BoundSocket | undefined;
    if ('path' in target) {
      bound = await bindUnixSocket(target.path, server);
    } else {
      const listening = once(server, 'listening');
      server.listen({fd: target.fd, backlog: LISTEN_BACKLOG});
      await listening;
    }
    const ingester = new ReaderIngester(server, 'path' in target ? target.path : `fd ${target.fd}`, bound, options);
    ingester.start();
    return ingester;
  }

  get path(): string | undefined {
    return this.bound?.path;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, drops every reader connection and removes our socket file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const {socket} of this.connections) socket.destroy();
      await closed;
      this.refusals.flush();
      await this.bound?.release();
    })();
    return this.closing;
  }

  private get perSecond(): number {
    return this.options.logRecordsPerSecond ?? DEFAULT_RECORDS_PER_SECOND;
  }

  private start(): void {
    this.server.on('connection', (socket) => this.accept(socket));
    this.server.on('error', (e) => this.log.error(`${this.endpoint}: ${e.message}`));
    this.log.info(`listening for reader events on ${this.endpoint}`);
  }

  private accept(socket: net.Socket): void {
    const id = this.nextId++;
    const admission = this.guard.admit(socket, `reader connection #${id}`);
    if (!admission.admitted) return;
    const max = this.options.maxConnections ?? DEFAULT_MAX_READERS;
    if (this.connections.size >= max) {
      const idle = longestIdle(this.connections);
      if (!idle) {
        this.refusals.note('warning', `refused reader connection #${id}: ${max} readers connected, every one mid-line`);
        socket.destroy();
        return;
      }
      this.refusals.note('warning', `${max} readers connected (the limit): closing the longest-idle one for reader #${id}`);
      idle.socket.destroy();
      this.connections.delete(idle);
    }
    const label = admission.peer ? `reader #${id} (pid ${admission.peer.pid})` : `reader #${id}`;
    this.serve(socket, new LogBudget(this.log, `${this.endpoint}: ${label}`, this.perSecond));
  }

  private serve(socket: net.Socket, budget: LogBudget): void {
    const connection = new ReaderConnection(socket, this.options.maxLineBytes ?? MAX_READER_LINE_BYTES);
    const {lines} = connection;
    this.connections.add(connection);
    const timeoutMs = this.options.firstLineTimeoutMs ?? DEFAULT_FIRST_LINE_TIMEOUT_MS;
    const firstLine = setTimeout(() => {
      budget.note('warning', `no complete line within ${timeoutMs} ms; closing this connection`);
      socket.destroy();
    }, timeoutMs).unref();
    socket.on('data', (chunk: Buffer) => {
      let complete: Uint8Array[];
      try {
        complete = lines.push(chunk);
      } catch (e) {
        if (!(e instanceof FrameTooLargeError)) throw e;
        budget.note('warning', `line longer than ${e.limit} bytes; closing this connection`);
        socket.destroy();
        return;
      }
      if (complete.length > 0) {
        clearTimeout(firstLine);
        connection.lineCompleted();
      }
      for (const line of complete) {
        if (socket.destroyed) return; // closed by close() while delivering this chunk
        this.deliver(line, budget);
      }
      const hold = this.options.backpressure?.();
      if (hold) {
        socket.pause();
        void hold.then(() => {
          if (!socket.destroyed) socket.resume();
        });
      }
    });
    // A last line without its newline is a record cut short (the writer died mid-write): dropped, not guessed at.
    socket.on('end', () => {
      if (lines.pendingBytes > 0) budget.note('warning', `closed mid-line; ${lines.pendingBytes} bytes dropped`);
    });
    socket.on('error', (e) => budget.note('debug', `connection error: ${e.message}`));
    socket.on('close', () => {
      clearTimeout(firstLine);
      this.connections.delete(connection);
      budget.flush();
    });
    socket.resume();
  }

  private deliver(bytes: Uint8Array, budget: LogBudget): void {
    const line = this.decoder.decode(bytes);
    const result = translateReaderLine(line);
    if (result.kind === 'dropped') {
      budget.note(result.level, result.reason);
    } else if (result.kind === 'event') {
      try {
        this.options.onEvent(result.event, line);
      } catch (e) {
        budget.note('warning', `event handler failed on a ${result.event.type} event: ${(e as Error).message}`);
      }
    }
  }
}
