// Who gives way at a connection cap. Refusing the newcomer lets anyone who opens enough idle connections lock the
// operator's own clients (and a real reader's next event) out; instead the connection that has been doing nothing
// the longest goes, preferring one that never completed a message. A busy one (a call or stream in flight, a message
// half read) is never chosen; only when every connection is busy is the newcomer refused.

/** A connection as the cap sees it. */
export interface IdleCandidate {
  /** performance.now() of its last completed message (of its connect, if none); null while it is busy. */
  idleSince(): number | null;
  /** Whether it ever completed a message. */
  readonly productive: boolean;
}

/** The connection to drop for a newcomer, or undefined when every one is busy. */
export function longestIdle<T extends IdleCandidate>(connections: Iterable<T>): T | undefined {
  let best: T | undefined;
  let bestSince = Infinity;
  for (const connection of connections) {
    const since = connection.idleSince();
    if (since === null) continue;
    const better = best === undefined
      || (best.productive && !connection.productive)
      || (best.productive === connection.productive && since < bestSince);
    if (better) {
      best = connection;
      bestSince = since;
    }
  }
  return best;
}

/**
 * How long a new varlink connection may take to complete its first message before it is closed. Generous: a client
 * may open a connection a moment before its first call (the cap's eviction is what stops a flood).
 */
export const DEFAULT_FIRST_MESSAGE_TIMEOUT_MS = 30_000;

/** The same for a reader connection: terok-shield's reader connects only to write a line at once. */
export const DEFAULT_FIRST_LINE_TIMEOUT_MS = 10_000;
