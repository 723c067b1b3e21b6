// One owner for everything the extension creates while enabled. Every piece registers its undo step here
// as it creates something, and disable() ends the lifetime in one call, so cleanup is structural rather
// than remembered per field. Only gi:// imports: it runs under plain gjs in tests.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

type Undo = () => void;

/** A GObject's signal API (structural: the @girs packages ship more than one GObject declaration). */
interface SignalSource {
  connect(signal: string, handler: (...args: never[]) => unknown): number;
  disconnect(id: number): void;
}

export class Lifetime {
  #undo = new Set<Undo>();
  #ended = false;

  /**
   * Registers an undo step. After end() it runs at once: async work that completes late cannot leak. The returned
   * function forgets the step, for a thing undone earlier by its own owner.
   */
  defer(undo: Undo): () => void {
    if (this.#ended) undo();
    else this.#undo.add(undo);
    return () => this.#undo.delete(undo);
  }

  /** Whether end() has begun: what is undone then has no UI left to redraw. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Destroys an actor, menu item or any other object with destroy() when the lifetime ends. */
  own<T extends {destroy(): void}>(thing: T): T {
    this.defer(() => thing.destroy());
    return thing;
  }

  connect(object: SignalSource, signal: string, handler: (...args: never[]) => unknown): void {
    const id = object.connect(signal, handler);
    this.defer(() => object.disconnect(id));
  }

  /**
   * Runs `tick` after `ms`, again every `ms` while it returns true, until the lifetime ends or the returned
   * function cancels it. A finished source is forgotten, so nothing ever removes an id GLib may since have given
   * to someone else.
   */
  timeout(ms: number, tick: () => boolean): () => void {
    let id = 0;
    let ticking = false; // cancelled from inside tick(): the callback's return removes the source
    const undo = (): void => {
      if (id && !ticking) GLib.Source.remove(id);
      id = 0;
    };
    id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
      let again: boolean;
      ticking = true;
      try {
        again = tick();
      } finally {
        ticking = false;
      }
      if (again && id) return GLib.SOURCE_CONTINUE;
      id = 0;
      this.#undo.delete(undo);
      return GLib.SOURCE_REMOVE;
    });
    this.defer(undo);
    return () => {
      undo();
      this.#undo.delete(undo);
    };
  }

  /** A cancellable for async I/O that is cancelled when the lifetime ends. */
  cancellable(): Gio.Cancellable {
    const cancellable = new Gio.Cancellable();
    this.defer(() => cancellable.cancel());
    return cancellable;
  }

  /** Owns a well-known name on the session bus until the lifetime ends. */
  ownBusName(name: string): void {
    const id = Gio.bus_own_name(Gio.BusType.SESSION, name, Gio.BusNameOwnerFlags.NONE, null, null, null);
    this.defer(() => Gio.bus_unown_name(id));
  }

  /** Undoes everything in reverse order of creation; one failing step does not stop the others. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const steps = [...this.#undo].reverse();
    this.#undo.clear();
    for (const undo of steps) {
      try {
        undo();
      } catch (error) {
        console.error('terok-clearance: cleanup step failed:', error);
      }
    }
  }
}
