// `npm run bench`: runs each bench module in turn (one at a time, so they do not compete for the CPU) and
// prints every figure with its ratio to a baseline measured in the same process. Not a test: nothing fails on
// a slow figure. Add a bench by listing its module here.
import {table} from './report.js';
import type {BenchModule, Figure} from './report.js';

const BENCHES: Record<string, () => Promise<BenchModule>> = {
  varlink: () => import('./varlink.js'),
  hub: () => import('./hub.js'),
  decisions: () => import('./decisions.js'),
};

const rows: Array<{bench: string; figure: Figure}> = [];
for (const [bench, load] of Object.entries(BENCHES)) {
  process.stderr.write(`bench ${bench}…\n`);
  for (const figure of await (await load()).run()) rows.push({bench, figure});
}
process.stdout.write(`${table(rows)}\n`);
