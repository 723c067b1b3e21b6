// Fan-out of hub events to subscribers. Each subscriber has its own bounded queue in front of its connection:
// while the connection accepts writes, events go straight through; once the peer falls behind and the
// connection's output passes its high-water mark, events wait in the queue, and when the queue is full the oldest
// is dropped — for that subscriber only. Broadcasting never waits on anyone.
//
// Pacing: a burst can outrun a subscriber that is reading, just slower than the hub writes (the Python hub lost
// most of a burst that way). So the fan-out also tells the ingester to hold off reading from the shield while a
// subscriber is behind *and still draining*; the shield's reader then waits in the kernel, and nothing is lost.
// A subscriber that makes no progress for STALL_MS is stuck: it stops holding anyone up and loses its oldest
// events instead. So a stuck subscriber delays the ingester by at most STALL_MS, once.
import type {JsonObject} from '../../core/varlink/message.js';

/** What the fan-out needs of a subscriber's connection (the varlink CallContext of its Subscribe call). */
export interface StreamSink {
  /** Sends one streamed reply; false when the peer's output is above its high-water mark. */
  send(parameters: JsonObject): boolean;
  /** Resolves once the peer's output has drained. */
  drained(): Promise<void>;
  readonly signal: AbortSignal;
}

export const DEFAULT_QUEUE_DEPTH = 128;

/** How long a subscriber may make no progress before it no longer paces the ingester. */
export const STALL_MS = 500;

/**
 * While a subscriber is behind but draining, its queue may hold this many times its depth: the ingester pauses
 * only between reads, so one read's worth of lines (per reader connection) can arrive after the pause was asked.
 */
const BURST_FACTOR = 32;

export class Subscriber {
  private readonly queue: JsonObject[] = [];
  private head = 0;
  /** When the connection last refused more output, while it has not drained since; undefined when writable. */
  private waitingSince: number | undefined;
  /** Events dropped for this subscriber because its queue was full. */
  dropped = 0;

  constructor(
    private readonly sink: StreamSink,
    private readonly depth: number,
    private readonly onDrained: () => void,
    private readonly now: () => number,
  ) {}

  /** Behind but still draining: worth pacing the ingester for. */
  behind(now: number): boolean {
    return this.waitingSince !== undefined && now - this.waitingSince < STALL_MS;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(parameters: JsonObject): void {
    if (this.sink.signal.aborted) return;
    if (this.waitingSince === undefined && this.queued === 0) {
      if (!this.sink.send(parameters)) this.waitForDrain();
      return;
    }
    if (this.queued >= (this.behind(this.now()) ? this.depth * BURST_FACTOR : this.depth)) {
      this.head++;
      this.dropped++;
    }
    this.queue.push(parameters);
    this.compact();
  }

  private waitForDrain(): void {
    this.waitingSince = this.now();
    this.sink.drained().then(() => {
      this.waitingSince = undefined;
      this.flush();
      this.onDrained();
    }, () => {});
  }

  private flush(): void {
    while (this.queued > 0 && !this.sink.signal.aborted) {
      const next = this.queue[this.head++]!;
      if (!this.sink.send(next)) {
        this.compact();
        this.waitForDrain();
        return;
      }
    }
    this.queue.length = 0;
    this.head = 0;
  }

  private compact(): void {
    // Amortised O(1) dequeue: shift the array only once the dead prefix outweighs the live part.
    if (this.head > this.depth && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** The set of live subscribers; each leaves when its connection closes. */
export class FanOut {
  private readonly subscribers = new Set<Subscriber>();
  private relief: {promise: Promise<void>; resolve(): void; timer: ReturnType<typeof setTimeout>} | undefined;

  constructor(private readonly depth = DEFAULT_QUEUE_DEPTH, private readonly now: () => number = Date.now) {}

  /**
   * Null when every subscriber keeps up; otherwise a promise that settles once none is behind (each has drained,
   * left, or been stuck for STALL_MS). The ingester stops reading until then.
   */
  backpressure(): Promise<void> | null {
    if (this.relief) return this.relief.promise;
    if (!this.anyBehind()) return null;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    // Re-checked on every drain and departure, and by this timer for subscribers that go quiet.
    const timer = setInterval(() => this.recheck(), STALL_MS / 5);
    this.relief = {promise, resolve, timer};
    return promise;
  }

  private anyBehind(): boolean {
    const now = this.now();
    for (const s of this.subscribers) if (s.behind(now)) return true;
    return false;
  }

  private recheck(): void {
    if (!this.relief || this.anyBehind()) return;
    clearInterval(this.relief.timer);
    this.relief.resolve();
    this.relief = undefined;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Adds a subscriber; resolves when its connection closes (the Subscribe call ends then). `first`, when given, is
   * its first reply, queued like any event: sent in the same turn as the registration, nothing falls in between.
   */
  attach(sink: StreamSink, first?: JsonObject): Promise<void> {
    const subscriber = new Subscriber(sink, this.depth, () => this.recheck(), this.now);
    if (first) subscriber.push(first);
    this.subscribers.add(subscriber);
    return new Promise((resolve) => {
      const leave = () => {
        this.subscribers.delete(subscriber);
        this.recheck();
        resolve();
      };
      if (sink.signal.aborted) leave();
      else sink.signal.addEventListener('abort', leave, {once: true});
    });
  }

  broadcast(parameters: JsonObject): void {
    for (const s of this.subscribers) s.push(parameters);
  }
}
