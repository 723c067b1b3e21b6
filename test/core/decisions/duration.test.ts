import {expect, test} from '@jest/globals';
import {formatDuration, formatRemaining, MAX_DURATION_MS, parseDuration} from '../../../core/decisions/duration.js';

test('durations as the operator types them', () => {
  expect(parseDuration('15m')).toBe(900_000);
  expect(parseDuration('1h')).toBe(3_600_000);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration(' 8H ')).toBe(28_800_000);
  expect(parseDuration('2d')).toBe(172_800_000);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('366d')).toBe(MAX_DURATION_MS);
});

test('anything else is not a duration', () => {
  for (const bad of ['', '0s', '0m', '1', 'h', '30m1h', '1h1h', '-1h', '1.5h', '367d', 'forever', '1 h', '1w']) {
    expect(parseDuration(bad)).toBeNull();
  }
});

test('canonical spelling reads back', () => {
  for (const text of ['15m', '1h', '1h30m', '8h', '2d', '90s', '1d2h3m4s']) {
    expect(parseDuration(formatDuration(parseDuration(text)!))).toBe(parseDuration(text));
  }
  expect(formatDuration(5_400_000)).toBe('1h30m');
});

test('time left', () => {
  expect(formatRemaining(0)).toBe('expired');
  expect(formatRemaining(-5)).toBe('expired');
  expect(formatRemaining(1)).toBe('1 s');
  expect(formatRemaining(59_000)).toBe('59 s');
  expect(formatRemaining(60_000)).toBe('1 min');
  expect(formatRemaining(61_000)).toBe('2 min');
  expect(formatRemaining(3_600_000)).toBe('1 h');
  expect(formatRemaining(3_600_000 * 8 - 60_000)).toBe('7 h 59 min');
  expect(formatRemaining(86_400_000 * 3 + 3_600_000 * 4)).toBe('3 d 4 h');
});
