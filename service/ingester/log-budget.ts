// A cap on how fast one source may make us log. A hostile or broken writer can send thousands of bad lines a
// second; each deserves a look, but journald should see a handful and a count, not the flood.
import type {Logger} from '../log.js';

export const DEFAULT_RECORDS_PER_SECOND = 5;

const WINDOW_MS = 1000;

type BudgetLevel = 'warning' | 'debug';

export class LogBudget {
  private windowStart = -Infinity;
  // Separate counts per level, so a flood of debug-level records cannot crowd out the warnings.
  private used = {warning: 0, debug: 0};
  private suppressed = {warning: 0, debug: 0};

  constructor(
    private readonly log: Logger,
    private readonly scope: string,
    private readonly perSecond = DEFAULT_RECORDS_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` if this second's budget for its level allows, else counts it for the next summary. */
  note(level: BudgetLevel, message: string): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.used = {warning: 0, debug: 0};
    }
    if (this.used[level] < this.perSecond) {
      this.used[level]++;
      this.log[level](`${this.scope}: ${message}`);
    } else {
      this.suppressed[level]++;
    }
  }

  /** Logs how many records were held back since the last summary, if any (on a new second and at the end). */
  flush(): void {
    const {warning, debug} = this.suppressed;
    if (warning > 0) this.log.warning(`${this.scope}: ${warning} more warning(s) suppressed (at most ${this.perSecond} a second)`);
    if (debug > 0) this.log.debug(`${this.scope}: ${debug} more debug record(s) suppressed (at most ${this.perSecond} a second)`);
    this.suppressed = {warning: 0, debug: 0};
  }
}
