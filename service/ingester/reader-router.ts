// The reader router, for the per-container layout. terok-shield (0.6.37) has its reader and CLI write every
// container's events to the session reader socket ($XDG_RUNTIME_DIR/terok-shield-events.sock), never to a
// per-container one; a per-container hub listens on terok/events/ID/ingester.sock. The router owns the session reader
// socket, with every check the ingester makes (peer uid, line cap, valid events only), and passes each line, as the
// reader wrote it, to the reader socket of the container it names. A container with no hub gets nothing: its blocks
// are not prompted and stay blocked (fail closed), and the router says so within a log budget.
import net from 'node:net';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {CONTAINER_ID} from '../../core/client/hub-sockets.js';
import {logger, type Logger} from '../log.js';
import {containerPaths} from '../paths.js';
import {LogBudget} from './log-budget.js';
import {ReaderIngester, type ListenTarget} from './reader-ingester.js';

/** Lines held for one container while its hub's socket is being connected; a reader writes far fewer at once. */
const MAX_QUEUED_LINES = 1024;

/** The connection to one container hub's reader socket: opened on the first line, again after it ends. */
class ContainerFeed {
  #socket: net.Socket | null = null;
  #connected = false;
  #queue: string[] = [];

  constructor(private readonly path: string, private readonly container: string, private readonly budget: LogBudget) {}

  send(line: string): void {
    if (this.#connected) {
      this.#socket!.write(`${line}\n`);
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_LINES) {
      this.budget.note('warning', `container ${this.container}: its hub is not taking lines yet; one dropped`);
      return;
    }
    this.#queue.push(line);
    if (!this.#socket) this.#connect();
  }

  /** Settles once this feed's output has drained (the hub reads slower than the reader writes), or null now. */
  drained(): Promise<void> | null {
    const socket = this.#socket;
    if (!socket || !this.#connected || !socket.writableNeedDrain) return null;
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  close(): void {
    this.#socket?.destroy();
  }

  #connect(): void {
    const socket = net.connect(this.path);
    this.#socket = socket;
    socket.on('connect', () => {
      this.#connected = true;
      const lines = this.#queue.splice(0);
      socket.write(lines.map((l) => `${l}\n`).join(''));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.#connected) return; // a hub that went away: 'close' follows, the next line reconnects
      const lost = this.#queue.splice(0).length;
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no hub is running for it' : e.message;
      this.budget.note('warning', `container ${this.container}: ${why} (${this.path}); ${lost} line(s) not delivered`);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#connected = false;
    });
  }
}

export interface ReaderRouterOptions {
  /** Where the per-container hubs' sockets are ($XDG_RUNTIME_DIR). */
  runtimeDir: string;
  log?: Logger;
}

export class ReaderRouter {
  readonly #feeds = new Map<string, ContainerFeed>();
  readonly #log: Logger;
  readonly #budget: LogBudget;
  #ingester?: ReaderIngester;

  private constructor(private readonly options: ReaderRouterOptions) {
    this.#log = options.log ?? logger('router');
    this.#budget = new LogBudget(this.#log, 'router');
  }

  /** Binds (or adopts) the session reader socket and starts passing lines on. */
  static async listen(target: ListenTarget, options: ReaderRouterOptions): Promise<ReaderRouter> {
    const router = new ReaderRouter(options);
    router.#ingester = await ReaderIngester.listen(target, {
      onEvent: (event, line) => router.#route(event, line),
      backpressure: () => router.#backpressure(),
      log: router.#log,
    });
    router.#log.info(`routing reader lines to ${options.runtimeDir}/terok/events/<container>/ingester.sock`);
    return router;
  }

  async close(): Promise<void> {
    await this.#ingester?.close();
    for (const feed of this.#feeds.values()) feed.close();
    this.#feeds.clear();
    this.#budget.flush();
  }

  #route(event: ClearanceEvent, line: string): void {
    if (!CONTAINER_ID.test(event.container)) {
      this.#budget.note('warning', `a ${event.type} event names container '${event.container}', not a 12-hex id; `
        + 'no per-container hub can take it');
      return;
    }
    let feed = this.#feeds.get(event.container);
    if (!feed) {
      feed = new ContainerFeed(containerPaths(event.container, this.options.runtimeDir).reader, event.container,
        this.#budget);
      this.#feeds.set(event.container, feed);
    }
    feed.send(line);
  }

  #backpressure(): Promise<void> | null {
    const waits = [...this.#feeds.values()].map((f) => f.drained()).filter((w) => w !== null);
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : null;
  }
}
