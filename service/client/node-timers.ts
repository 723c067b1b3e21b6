// Node's timers for the client side (the Scheduler contract is core's).
import type {Scheduler} from '../../core/client/scheduler.js';

export type {Scheduler};

export const realTime: Scheduler = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
