// The arm delay: a prompt's Allow/Deny ignore clicks (and keys) until it has been on screen for arm-delay-ms, so a
// prompt that appears under the pointer or during typing cannot be answered by accident. Each surface (the banner,
// the menu) arms on its own: what counts is how long the operator has been able to see it there.
import type Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import type {Lifetime} from '../lifetime.js';

export class Arming {
  readonly #shownAt = new Map<string, number>();
  readonly #timers = new Map<string, () => void>();

  /** `armed` runs once a key shown through `show` has been shown for the delay, to redraw it as answerable. */
  constructor(private readonly lifetime: Lifetime, private readonly settings: Gio.Settings,
    private readonly armed: (key: string) => void) {}

  /** Notes that `key` is on screen (from now, unless it already was) and says whether it is armed. */
  show(key: string): boolean {
    const delay = this.settings.get_uint('arm-delay-ms');
    const now = monotonicMs();
    const since = this.#shownAt.get(key);
    if (since === undefined) {
      this.#shownAt.set(key, now);
      if (delay === 0) return true;
      this.#timers.set(key, this.lifetime.timeout(delay, () => {
        this.#timers.delete(key);
        this.armed(key);
        return false;
      }));
      return false;
    }
    return now - since >= delay;
  }

  isArmed(key: string): boolean {
    const since = this.#shownAt.get(key);
    return since !== undefined && monotonicMs() - since >= this.settings.get_uint('arm-delay-ms');
  }

  /** `key` left the screen: shown again, it waits the delay again. */
  hide(key: string): void {
    this.#shownAt.delete(key);
    this.#timers.get(key)?.();
    this.#timers.delete(key);
  }

  /** Everything left the screen (the menu closed). */
  hideAll(): void {
    for (const key of [...this.#shownAt.keys()]) this.hide(key);
  }
}

function monotonicMs(): number {
  return GLib.get_monotonic_time() / 1000;
}
