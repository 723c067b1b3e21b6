// Timers for the client side, injected so tests can run the reconnect and rescan logic fast on real sockets.

export interface Scheduler {
  /** Runs `fn` once after `ms`; the returned function cancels it (a no-op once it has run). */
  after(ms: number, fn: () => void): () => void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export const realTime: Scheduler = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
