// The client core's timers as GLib sources owned by a Lifetime: whatever is still pending when the extension is
// disabled is removed with it.
import GLib from 'gi://GLib';
import type {Scheduler} from '../../core/client/scheduler.js';
import type {Lifetime} from '../lifetime.js';

export function lifetimeScheduler(lifetime: Lifetime): Scheduler {
  return {
    after: (ms, fn) => lifetime.timeout(ms, () => {
      fn();
      return false;
    }),
    now: () => GLib.get_monotonic_time() / 1000,
  };
}
