// The JSON lines of `watch --json` and `pending --json`: the hub's event exactly as it came on the wire (all eleven
// fields), tagged with the hub's socket path; `catch_up` marks events from the hub's Pending list rather than live.
import type {ClearanceEvent} from '../../core/clearance/event.js';

export function eventLine(hub: string, event: ClearanceEvent, catchUp = false): string {
  return JSON.stringify(catchUp ? {hub, catch_up: true, event} : {hub, event}) + '\n';
}

/** A hub's status: connecting, connected, unavailable (with the reason), or removed (its socket is gone). */
export function hubStatusLine(hub: string, status: string, reason: string): string {
  return JSON.stringify({hub, status, reason}) + '\n';
}
