// Time-bounded measurement loops shared by the bench modules. Each loop runs for a fixed wall-clock budget after
// a short warm-up, so `npm run bench` takes seconds whatever the machine. Results accumulate over several rounds:
// a bench alternates rounds of the figure and of its baseline, so both see the same share of a busy machine.

export interface LoopBudget {
  warmupMs: number;
  durationMs: number;
}

export const ROUND_BUDGET: LoopBudget = {warmupMs: 100, durationMs: 500};

const nowNs = () => process.hrtime.bigint();

/** Durations of one operation, made one at a time, over any number of rounds. */
export class Latencies {
  private readonly micros: number[] = [];
  private seconds = 0;
  private sorted = true;

  add(micros: number[], seconds: number): void {
    for (const m of micros) this.micros.push(m);
    this.seconds += seconds;
    this.sorted = false;
  }

  /** Operations per second over the measured time. */
  get perSecond(): number {
    return this.micros.length / this.seconds;
  }

  /** The p-th percentile (0..100) in microseconds, nearest-rank. */
  percentile(p: number): number {
    if (!this.sorted) {
      this.micros.sort((a, b) => a - b);
      this.sorted = true;
    }
    if (this.micros.length === 0) return NaN;
    const rank = Math.min(this.micros.length, Math.max(1, Math.ceil((p / 100) * this.micros.length)));
    return this.micros[rank - 1] as number;
  }
}

/** Items processed over any number of rounds. */
export class Rate {
  private items = 0;
  private seconds = 0;

  add(items: number, seconds: number): void {
    this.items += items;
    this.seconds += seconds;
  }

  get perSecond(): number {
    return this.items / this.seconds;
  }
}

async function warmUp(op: () => Promise<unknown>, budget: LoopBudget): Promise<void> {
  const end = Date.now() + budget.warmupMs;
  while (Date.now() < end) await op();
}

/** One round of `op` back to back, each duration recorded into `into`. */
export async function timeEach(op: () => Promise<unknown>, into: Latencies, budget = ROUND_BUDGET): Promise<void> {
  await warmUp(op, budget);
  const micros: number[] = [];
  const start = nowNs();
  const end = start + BigInt(budget.durationMs) * 1_000_000n;
  for (let t = start; t < end;) {
    await op();
    const after = nowNs();
    micros.push(Number(after - t) / 1000);
    t = after;
  }
  into.add(micros, Number(nowNs() - start) / 1e9);
}

/** One round of `batch` (which processes `itemsPerBatch` items) repeated, counted into `into`. */
export async function timeBatches(batch: () => Promise<unknown>, itemsPerBatch: number, into: Rate, budget = ROUND_BUDGET): Promise<void> {
  await warmUp(batch, budget);
  let items = 0;
  const start = nowNs();
  const end = start + BigInt(budget.durationMs) * 1_000_000n;
  while (nowNs() < end) {
    await batch();
    items += itemsPerBatch;
  }
  into.add(items, Number(nowNs() - start) / 1e9);
}
