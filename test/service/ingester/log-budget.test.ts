// LogBudget with a hand-driven clock: per-level allowance per second, then one summary line per level.
import {expect, test} from '@jest/globals';
import type {Logger} from '../../../service/log.js';
import {LogBudget} from '../../../service/ingester/log-budget.js';

function setup() {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => { lines.push(`${level} ${m}`); };
  const log: Logger = {error: at('error'), warning: at('warning'), info: at('info'), debug: at('debug')};
  let now = 1000;
  const budget = new LogBudget(log, 'src', 2, () => now);
  return {lines, budget, advance: (ms: number) => { now += ms; }};
}

test('within a second: the allowance, then counting; the next second starts with the summary', () => {
  const {lines, budget, advance} = setup();
  for (let i = 0; i < 5; i++) budget.note('warning', `w${i}`);
  expect(lines).toEqual(['warning src: w0', 'warning src: w1']);
  advance(999);
  budget.note('warning', 'still the same second');
  expect(lines).toHaveLength(2);
  advance(1);
  budget.note('warning', 'next second');
  expect(lines.slice(2)).toEqual([
    'warning src: 4 more warning(s) suppressed (at most 2 a second)',
    'warning src: next second',
  ]);
});

test('debug records have their own allowance and their own summary', () => {
  const {lines, budget} = setup();
  for (let i = 0; i < 4; i++) budget.note('debug', `d${i}`);
  budget.note('warning', 'w');
  budget.flush();
  expect(lines).toEqual([
    'debug src: d0', 'debug src: d1', 'warning src: w',
    'debug src: 2 more debug record(s) suppressed (at most 2 a second)',
  ]);
  budget.flush();
  expect(lines).toHaveLength(4);
});
