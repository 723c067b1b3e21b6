// Reconnect delays: 1 s, doubling up to 10 s, back to 1 s after a connection succeeds. A hub that is down is
// retried quietly at the ceiling; one that restarts is back within a second or two.

export class Backoff {
  #next: number;

  constructor(private readonly initialMs = 1000, private readonly maxMs = 10_000) {
    this.#next = initialMs;
  }

  /** The delay before the next attempt; each call doubles the one after it, up to the ceiling. */
  next(): number {
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.#next = this.initialMs;
  }
}
