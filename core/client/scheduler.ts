// Timers for the client side, injected: the core owns none, Node passes setTimeout, GJS passes GLib sources, and
// tests run the reconnect and rescan logic fast on real sockets.

export interface Scheduler {
  /** Runs `fn` once after `ms`; the returned function cancels it (a no-op once it has run). */
  after(ms: number, fn: () => void): () => void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}
