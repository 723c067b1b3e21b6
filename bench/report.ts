// What a bench module reports, and the table `npm run bench` prints: each figure next to the same figure of a
// baseline measured in the same run, and their ratio (how many baselines the figure is worth).

export interface Figure {
  /** What was measured, e.g. "call round trip p50". */
  name: string;
  unit: string;
  value: number;
  /** The same measurement of the baseline, in the same unit. */
  baseline: number;
  /** What the baseline is, e.g. "raw unix-socket echo". */
  baselineName: string;
  /** A goal the figure is held to, e.g. "≤ 3× baseline", and whether this run met it. */
  target?: {text: string; met: boolean};
}

/** A bench module: `run()` measures and returns its figures. */
export interface BenchModule {
  run(): Promise<Figure[]>;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function table(rows: Array<{bench: string; figure: Figure}>): string {
  const targets = rows.some(({figure}) => figure.target);
  const header = ['bench', 'figure', 'value', 'baseline', 'ratio', ...(targets ? ['target'] : []), 'baseline is'];
  const lines = rows.map(({bench, figure}) => [
    bench,
    figure.name,
    `${format(figure.value)} ${figure.unit}`,
    `${format(figure.baseline)} ${figure.unit}`,
    `${(figure.value / figure.baseline).toFixed(2)}×`,
    ...(targets ? [figure.target ? `${figure.target.text} ${figure.target.met ? 'met' : 'MISSED'}` : ''] : []),
    figure.baselineName,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const align = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [align(header), align(widths.map((w) => '-'.repeat(w))), ...lines.map(align)].join('\n');
}
