// How long a lasting answer holds: durations as the operator types them ("15m", "1h30m", "8h", "2d") and the time
// left as a UI shows it. Wall-clock milliseconds throughout: a grant ends at a moment, not after an amount of uptime.

const UNIT_MS: Readonly<Record<string, number>> = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000};

/** The longest grant: beyond a year, "always" (a rule in the rules file) says what is meant. */
export const MAX_DURATION_MS = 366 * UNIT_MS.d!;

/**
 * Milliseconds of a duration such as "90s", "15m", "1h30m", "8h", "2d" (units s, m, h, d, each at most once, largest
 * first), or null when the text is not one, is zero, or is longer than MAX_DURATION_MS.
 */
export function parseDuration(text: string): number | null {
  const match = /^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/.exec(text.trim().toLowerCase());
  if (!match || text.trim() === '') return null;
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  const ms = Number(d) * UNIT_MS.d! + Number(h) * UNIT_MS.h! + Number(m) * UNIT_MS.m! + Number(s) * UNIT_MS.s!;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** The canonical spelling of a duration, largest units first ("1h30m"); what parseDuration reads back. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  let text = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text || '0s';
}

/** Time left as a person reads it: "45 s", "12 min", "7 h 59 min", "3 d 4 h"; "expired" at or past the end. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}
