// What the hubs decide without the operator, for `watch`: one WatchDecisions stream per connected hub, each log
// entry handed on as it happens. A hub without WatchDecisions (older, Python) simply shows none.
import {decisionReply, WATCH_DECISIONS} from '../../core/client/decision-calls.js';
import type {DecisionLogEntry} from '../../core/decisions/decision-log.js';
import {VarlinkClient} from '../varlink/client.js';

const CONNECT_TIMEOUT_MS = 3000;

export class DecisionFeed {
  readonly #clients = new Map<string, VarlinkClient | null>();
  #closed = false;

  constructor(private readonly onEntry: (hub: string, entry: DecisionLogEntry) => void) {}

  /** Follows the hub at socket `path` (once; again after its stream ended). */
  follow(path: string): void {
    if (this.#closed || this.#clients.has(path)) return;
    this.#clients.set(path, null);
    void this.#run(path);
  }

  stop(path: string): void {
    this.#clients.get(path)?.close();
    this.#clients.delete(path);
  }

  close(): void {
    this.#closed = true;
    for (const path of [...this.#clients.keys()]) this.stop(path);
  }

  async #run(path: string): Promise<void> {
    let client: VarlinkClient | null = null;
    try {
      client = await VarlinkClient.connect(path, {timeoutMs: CONNECT_TIMEOUT_MS});
      if (this.#clients.get(path) !== null) return; // stopped while connecting
      this.#clients.set(path, client);
      for await (const reply of client.stream(WATCH_DECISIONS)) {
        const entry = decisionReply(reply)?.entry;
        if (entry) this.onEntry(path, entry);
      }
    } catch {
      // Gone, or no WatchDecisions: nothing to show from it.
    } finally {
      client?.close();
      if (this.#clients.get(path) === client || this.#clients.get(path) === null) this.#clients.delete(path);
    }
  }
}
