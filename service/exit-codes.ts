// Exit codes of every terok-clearance command (documented in the README).
export const EXIT = {
  OK: 0,
  /** The operation ran and failed (a verdict the shield refused, a check that found a problem). */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The hub or helper could not be reached. */
  UNREACHABLE: 3,
  /** The request is unknown to the hub (already answered, expired or never emitted). */
  UNKNOWN_REQUEST: 4,
} as const;
