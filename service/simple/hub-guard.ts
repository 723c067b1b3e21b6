// The hub-less fallback must not run beside a hub that serves the same container: both would apply verdicts for the
// same blocks and race. A hub counts when something accepts a connection on its socket (a stale socket file, where
// nobody accepts, does not); GetInfo, asked with a short deadline, names what answered. Which hubs: the session hub,
// and the container's own hub in both per-container layouts when its id is known.
import {hubSearchRoots, perContainerHub} from '../../core/client/hub-sockets.js';
import {VarlinkClient} from '../varlink/client.js';

export const GUARD_TIMEOUT_MS = 1000;

export interface GuardedHub {
  readonly path: string;
  readonly kind: 'session' | 'container';
}

export interface AnsweringHub extends GuardedHub {
  /** "terok-clearance 0.1.0", or why GetInfo told nothing. */
  readonly answer: string;
}

/** The hub sockets that would serve `containerId` (12 hex characters), or only the session's when it is unknown. */
export function guardedHubs(runtime: string, containerId: string | null): GuardedHub[] {
  const {session, perContainerDir} = hubSearchRoots(runtime);
  const hubs: GuardedHub[] = [{path: session, kind: 'session'}];
  if (containerId) {
    for (const entry of [containerId, `${containerId}.sock`]) {
      const hub = perContainerHub(perContainerDir, entry);
      if (hub) hubs.push({path: hub.path, kind: 'container'});
    }
  }
  return hubs;
}

/** The first of `hubs` that accepts a connection, or null. */
export async function answeringHub(hubs: readonly GuardedHub[], timeoutMs = GUARD_TIMEOUT_MS): Promise<AnsweringHub | null> {
  const answers = await Promise.all(hubs.map((hub) => ask(hub, timeoutMs)));
  return answers.find((a) => a !== null) ?? null;
}

async function ask(hub: GuardedHub, timeoutMs: number): Promise<AnsweringHub | null> {
  let client: VarlinkClient;
  try {
    client = await VarlinkClient.connect(hub.path, {timeoutMs});
  } catch {
    return null; // absent, stale, or not ours to reach: no hub there
  }
  try {
    const info = await client.call('org.varlink.service.GetInfo', {}, {timeoutMs});
    const product = typeof info.product === 'string' ? info.product : 'a varlink service';
    return {...hub, answer: typeof info.version === 'string' ? `${product} ${info.version}` : product};
  } catch (e) {
    // Listening but not answering (stuck, or busy): it may still apply verdicts, so it counts.
    return {...hub, answer: `accepts connections but did not answer GetInfo: ${(e as Error).message}`};
  } finally {
    client.close();
  }
}

/** What the operator reads when the fallback refuses to start. */
export function refusal(hub: AnsweringHub): string {
  const what = hub.kind === 'session' ? 'the session hub' : "the container's hub";
  const stop = hub.kind === 'session'
    ? 'systemctl --user stop terok-clearance-hub.service'
    : 'stop the supervisor that serves this container (terok-sandbox runs one per container), or its task';
  return [
    `${what} is answering on ${hub.path} (${hub.answer}).`,
    'It applies verdicts for this container already; two paths applying verdicts would race.',
    'Answer there instead (terok-clearance watch, or the desktop prompts), or stop it first:',
    `  ${stop}`,
  ].join('\n');
}
