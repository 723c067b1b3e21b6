// Identity labels from outside the wire (on Node: podman and the task metadata file, service/identity/) folded into
// the prompt model, for containers whose events carry no dossier identity (lifecycle events, older shields,
// standalone containers). The prompt is never held back for it: the model shows the container id (or what it knows)
// at once, and the label lands later as an ordinary identity update.
//
// A dossier on the wire wins: once a container's events have named it, nothing resolved here replaces that name.
// Every event of a container asks for a fresh label (so a renamed task shows), but at most one resolution per
// container runs at a time, with one more queued behind it: a burst of blocks costs two lookups, not a hundred.
// Each lookup is told the origin (the hub) of the container's latest event, for a source that asks that hub.
import {isEventType, type ClearanceEvent} from '../clearance/event.js';
import {dossierIdentity} from '../clearance/identity.js';

export interface IdentitySource {
  /**
   * The container's label, or "" when nothing is known about it. `origin` is the hub whose event asked ("" without
   * hubs); a source that looks containers up itself ignores it.
   */
  resolve(container: string, origin: string): Promise<string>;
  /** The container exited: drop whatever is cached about it. */
  forget(container: string): void;
}

interface RunState {
  again: boolean;
  origin: string;
}

/** Containers remembered as named by their dossier; the least recently named are forgotten first. */
const MAX_DOSSIER_NAMED = 4096;

export class IdentityFeed {
  readonly #dossierNamed = new Set<string>();
  /** Per container: the resolution running now, whether another was asked for meanwhile, and from which origin. */
  readonly #running = new Map<string, RunState>();
  #closed = false;

  /** `apply` receives each non-empty label (for the model's setIdentity). */
  constructor(private readonly source: IdentitySource, private readonly apply: (container: string, label: string) => void) {}

  /** Call for every event, after the model has applied it; `origin` is the hub it came from. */
  observe(event: ClearanceEvent, origin = ''): void {
    const {container} = event;
    if (!container || !isEventType(event.type)) return;
    if (event.type === 'container_exited') {
      this.#running.delete(container); // a result still on its way is dropped
      this.#dossierNamed.delete(container);
      this.source.forget(container);
      return;
    }
    if (dossierIdentity(event.dossier)) {
      this.#dossierNamed.delete(container);
      this.#dossierNamed.add(container);
      for (const old of this.#dossierNamed) {
        if (this.#dossierNamed.size <= MAX_DOSSIER_NAMED) break;
        this.#dossierNamed.delete(old);
      }
      return;
    }
    this.refresh(container, origin);
  }

  /** Resolve the container's label again (the operator is answering: the result should name it as it is now). */
  refresh(container: string, origin = ''): void {
    if (this.#closed || !container || this.#dossierNamed.has(container)) return;
    const running = this.#running.get(container);
    if (running) {
      running.again = true;
      running.origin = origin;
      return;
    }
    const state: RunState = {again: false, origin};
    this.#running.set(container, state);
    void this.#run(container, state);
  }

  /** Nothing is applied afterwards. */
  close(): void {
    this.#closed = true;
    this.#running.clear();
  }

  async #run(container: string, state: RunState): Promise<void> {
    try {
      do {
        state.again = false;
        let label = '';
        try {
          label = await this.source.resolve(container, state.origin);
        } catch {
          // A source is meant not to reject; one that does still leaves the id (or the dossier's name) in place.
        }
        if (this.#running.get(container) !== state) return; // forgotten or closed meanwhile
        if (label && !this.#dossierNamed.has(container)) this.apply(container, label);
      } while (state.again);
    } finally {
      if (this.#running.get(container) === state) this.#running.delete(container);
    }
  }
}
