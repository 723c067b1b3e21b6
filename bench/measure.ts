// Time-bounded measurement loops shared by the bench modules: each loop runs for a fixed wall-clock budget
// (after a short warm-up), so `npm run bench` takes seconds whatever the machine.

export interface LoopBudget {
  warmupMs: number;
  durationMs: number;
}

export const DEFAULT_BUDGET: LoopBudget = {warmupMs: 300, durationMs: 1500};

export interface LatencySample {
  /** Per-operation durations in microseconds, sorted ascending. */
  micros: number[];
  /** Operations per second over the measured window. */
  perSecond: number;
}

const nowNs = () => process.hrtime.bigint();

/** Runs `op` back to back (one at a time) for the budget and records each one's duration. */
export async function latency(op: () => Promise<unknown>, budget = DEFAULT_BUDGET): Promise<LatencySample> {
  const warmupEnd = Date.now() + budget.warmupMs;
  while (Date.now() < warmupEnd) await op();
  const micros: number[] = [];
  const start = nowNs();
  const end = start + BigInt(budget.durationMs) * 1_000_000n;
  for (let t = start; t < end;) {
    await op();
    const after = nowNs();
    micros.push(Number(after - t) / 1000);
    t = after;
  }
  const seconds = Number(nowNs() - start) / 1e9;
  micros.sort((a, b) => a - b);
  return {micros, perSecond: micros.length / seconds};
}

/** Runs `batch` (which processes `itemsPerBatch` items) repeatedly for the budget; returns items per second. */
export async function throughput(batch: () => Promise<unknown>, itemsPerBatch: number, budget = DEFAULT_BUDGET): Promise<number> {
  const warmupEnd = Date.now() + budget.warmupMs;
  while (Date.now() < warmupEnd) await batch();
  let items = 0;
  const start = nowNs();
  const end = start + BigInt(budget.durationMs) * 1_000_000n;
  while (nowNs() < end) {
    await batch();
    items += itemsPerBatch;
  }
  return items / (Number(nowNs() - start) / 1e9);
}

/** The p-th percentile (0..100) of ascending samples, nearest-rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}
