// One summary of how reachable the hubs are, for a status line (the shell indicator, a status command): "service
// not running" is a normal, explained state; a hub that fails for another reason is named with its reason.
import type {HubState} from './hub-connection.js';
import type {HubLayout} from './hub-sockets.js';

export type HealthLevel = 'connecting' | 'ok' | 'degraded' | 'not-running' | 'unreachable';

export interface HubHealth {
  readonly level: HealthLevel;
  readonly title: string;
  /** One line per hub worth naming: "label: reason". */
  readonly details: string[];
}

export interface HubSummary {
  readonly label: string;
  readonly layout: HubLayout;
  readonly state: HubState;
}

export const SERVICE_NOT_RUNNING = 'Clearance service not running';

export function hubHealth(hubs: readonly HubSummary[]): HubHealth {
  const connected = hubs.filter((h) => h.state.status === 'connected');
  const down = hubs.filter((h) => h.state.status === 'unavailable');
  // A failure other than "not running" is worth naming, and so is a socket the operator listed by path; the session
  // hub not running beside per-container hubs is just that layout.
  const named = down.filter((h) => !h.state.notRunning || h.layout === 'configured')
    .map((h) => `${h.label}: ${h.state.reason}`);
  if (connected.length > 0) {
    const title = connected.length === 1 ? 'Connected to the clearance hub' : `Connected to ${connected.length} clearance hubs`;
    return {level: named.length > 0 ? 'degraded' : 'ok', title, details: named};
  }
  if (hubs.some((h) => h.state.status === 'connecting')) {
    return {level: 'connecting', title: 'Connecting to the clearance service...', details: named};
  }
  if (down.length > 0 && down.every((h) => h.state.notRunning)) {
    const session = down.find((h) => h.layout === 'session');
    return {level: 'not-running', title: SERVICE_NOT_RUNNING, details: session ? [session.state.reason, ...named] : named};
  }
  return {level: 'unreachable', title: 'Clearance service unreachable', details: named};
}
