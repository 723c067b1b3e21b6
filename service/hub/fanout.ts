// Fan-out of hub events to subscribers. Each subscriber has its own bounded queue in front of its connection:
// while the connection accepts writes, events go straight through; once the peer stops reading and the
// connection's output passes its high-water mark, events wait in the queue, and when the queue is full the oldest
// is dropped — for that subscriber only. Nothing here ever waits on a subscriber, so a stuck one cannot delay the
// others or the ingester.
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

export class Subscriber {
  private readonly queue: JsonObject[] = [];
  private head = 0;
  private waiting = false;
  /** Events dropped for this subscriber because its queue was full. */
  dropped = 0;

  constructor(private readonly sink: StreamSink, private readonly depth: number) {}

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(parameters: JsonObject): void {
    if (this.sink.signal.aborted) return;
    if (!this.waiting && this.queued === 0) {
      if (!this.sink.send(parameters)) this.waitForDrain();
      return;
    }
    if (this.queued >= this.depth) {
      this.head++;
      this.dropped++;
    }
    this.queue.push(parameters);
    this.compact();
  }

  private waitForDrain(): void {
    this.waiting = true;
    this.sink.drained().then(() => {
      this.waiting = false;
      this.flush();
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

  constructor(private readonly depth = DEFAULT_QUEUE_DEPTH) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Adds a subscriber; resolves when its connection closes (the Subscribe call ends then). */
  attach(sink: StreamSink): Promise<void> {
    const subscriber = new Subscriber(sink, this.depth);
    this.subscribers.add(subscriber);
    return new Promise((resolve) => {
      const leave = () => {
        this.subscribers.delete(subscriber);
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
