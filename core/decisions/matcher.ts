// Which lasting decision answers a block, among thousands: decisions are indexed by exact target and by domain
// suffix, so a lookup costs one map probe per label of the name plus the few candidates found, whatever the count.
//
// Precedence, most specific first, so the narrowest answer an operator gave wins:
//   1. scope: this container, then this project, then every container;
//   2. what: an exact target, then the longest matching *.domain;
//   3. a decision for this port, then one for any port;
//   4. deny before allow (a tie never opens anything); then the decision made last.
import {normaliseName, nameSuffixes} from './target-pattern.js';
import type {Decision} from './decision.js';

/** The facts of a block a decision is matched on. */
export interface BlockFacts {
  readonly container: string;
  /** The dossier's project, "" when none. */
  readonly project: string;
  readonly dest: string;
  readonly domain: string;
  readonly port: number;
}

export interface Match {
  readonly decision: Decision;
  /** Every live decision that covered the block, best first: what `rules check` explains. */
  readonly candidates: readonly Decision[];
}

export class DecisionIndex {
  readonly #exact = new Map<string, Decision[]>();
  readonly #domains = new Map<string, Decision[]>();
  readonly #order = new Map<Decision, number>();

  constructor(decisions: Iterable<Decision>) {
    let n = 0;
    for (const d of decisions) {
      this.#order.set(d, n++);
      const [map, key] = d.pattern.kind === 'exact' ? [this.#exact, d.pattern.target] : [this.#domains, d.pattern.suffix];
      let list = map.get(key);
      if (!list) map.set(key, list = []);
      list.push(d);
    }
  }

  get size(): number {
    return this.#order.size;
  }

  /** The decision that answers `block` at wall-clock `now`, or null: then the operator is asked. */
  match(block: BlockFacts, now: number): Match | null {
    const found: Decision[] = [];
    const name = normaliseName(block.domain);
    const keep = (list: Decision[] | undefined) => {
      for (const d of list ?? []) if (applies(d, block, now)) found.push(d);
    };
    if (name !== '') keep(this.#exact.get(name));
    const dest = normaliseName(block.dest);
    if (dest !== name) keep(this.#exact.get(dest));
    for (const suffix of nameSuffixes(name)) keep(this.#domains.get(suffix));
    if (found.length === 0) return null;
    found.sort((a, b) => rank(b) - rank(a) || this.#order.get(b)! - this.#order.get(a)!);
    return {decision: found[0]!, candidates: found};
  }
}

function applies(d: Decision, block: BlockFacts, now: number): boolean {
  if (d.expires !== null && now >= d.expires) return false;
  if (d.port !== 0 && d.port !== block.port) return false;
  if (d.container !== '') return d.container === block.container;
  if (d.project !== '') return d.project === block.project;
  return true;
}

function rank(d: Decision): number {
  const scope = d.container ? 2 : d.project ? 1 : 0;
  // An exact target outranks any domain; a longer suffix outranks a shorter one (at most 253 characters).
  const what = d.pattern.kind === 'exact' ? 255 : d.pattern.suffix.length;
  return ((scope * 256 + what) * 2 + (d.port ? 1 : 0)) * 2 + (d.action === 'deny' ? 1 : 0);
}
