// The verdict vocabulary of org.terok.Clearance1 (wire.md §2): actions, the bound target, and the hub's errors.
import type {ClearanceEvent} from './event.js';

export const CLEARANCE_INTERFACE = 'org.terok.Clearance1';
export const VERDICT_HELPER_INTERFACE = 'org.terok.ClearanceVerdict1';

export const VERDICT_ACTIONS = ['allow', 'deny'] as const;
export type VerdictAction = (typeof VERDICT_ACTIONS)[number];

export function isVerdictAction(x: unknown): x is VerdictAction {
  return x === 'allow' || x === 'deny';
}

/** What a verdict is bound to and what `terok-shield` acts on: the domain when the reader knew one, else the IP. */
export function bindingTarget(event: Pick<ClearanceEvent, 'domain' | 'dest'>): string {
  return event.domain || event.dest;
}

/** Applies a verdict to the firewall (the verdict helper client). Never throws: failure is `ok: false`. */
export interface ShieldApplier {
  apply(container: string, dest: string, action: VerdictAction): Promise<{ok: boolean; stderr: string}>;
}

/**
 * Tells the shield a verdict on a block: the blocked address first, then the domain when the reader knew one.
 * `terok-shield allow DOMAIN` resolves the name again itself, and where DNS answers other addresses than the one the
 * container used (CDNs, round robin) or none, the domain alone would leave the retried connection refused while
 * "Allowed" is shown. The address is the promise, so it decides `ok`; the domain widens the answer to the name's
 * other addresses, and its failure is reported in `stderr` without undoing what was applied.
 */
export async function applyToBlock(shield: ShieldApplier, container: string,
  block: Pick<ClearanceEvent, 'domain' | 'dest'>, action: VerdictAction): Promise<{ok: boolean; stderr: string}> {
  const address = await shield.apply(container, block.dest, action);
  if (!address.ok || !block.domain || block.domain === block.dest) return address;
  const name = await shield.apply(container, block.domain, action);
  if (name.ok) return address;
  return {ok: true, stderr: `${block.dest} ${action === 'allow' ? 'allowed' : 'denied'}; ${block.domain}: ${name.stderr}`};
}

export const UNKNOWN_REQUEST = 'org.terok.Clearance1.UnknownRequest';
export const VERDICT_TUPLE_MISMATCH = 'org.terok.Clearance1.VerdictTupleMismatch';
export const INVALID_ACTION = 'org.terok.Clearance1.InvalidAction';
export const SHIELD_CLI_FAILED = 'org.terok.Clearance1.ShieldCliFailed';

export const HUB_ERRORS = [UNKNOWN_REQUEST, VERDICT_TUPLE_MISMATCH, INVALID_ACTION, SHIELD_CLI_FAILED] as const;

/**
 * How a UI treats a Verdict call that did not succeed: `UnknownRequest` means someone else already took the request
 * (another click, another UI) and is shown as "already answered"; anything else is a failure the operator may retry.
 */
export type VerdictRejection = 'unknown-request' | 'failed';

export function rejectionOf(errorName: string): VerdictRejection {
  return errorName === UNKNOWN_REQUEST ? 'unknown-request' : 'failed';
}
