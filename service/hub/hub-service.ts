// A running hub: the varlink server (org.terok.Clearance1), the reader ingester feeding it, and its client of
// the verdict helper. Started as one transaction: if any part fails to start, the parts already started are
// stopped again and the error propagates, so a failed start leaves no socket behind.
import {ReaderIngester, type ListenTarget} from '../ingester/reader-ingester.js';
import {LogBudget} from '../ingester/log-budget.js';
import {decisionPaths, type DecisionPaths} from '../decisions/decision-paths.js';
import {LastingDecisions} from '../decisions/lasting-decisions.js';
import {logger} from '../log.js';
import type {HubPaths} from '../paths.js';
import {VerdictClient} from '../verdict/verdict-client.js';
import {listenFds} from '../varlink/socket-activation.js';
import {VarlinkServer} from '../varlink/server.js';
import {VENDOR, VERSION, URL} from '../version.js';
import type {BindingLimits} from './bindings.js';
import {HUB_SERVER_LIMITS, serveClearance} from './clearance-service.js';
import {ClearanceHub} from './hub.js';

export interface HubServiceOptions {
  paths: HubPaths;
  /** "session", or the container id of the per-container layout: names this hub in the decision log. */
  name?: string;
  /** Where rules, grants and the decision log live (default: the XDG directories of decisionPaths()). */
  decisionPaths?: DecisionPaths;
  limits?: BindingLimits;
  queueDepth?: number;
  /** Take listening sockets from systemd (LISTEN_FDS: names "varlink" and "reader") when it passed them. */
  socketActivation?: boolean;
}

export interface RunningHub {
  readonly hub: ClearanceHub;
  close(): Promise<void>;
}

const log = logger('hub');

/** The listen target for one socket: an inherited fd of that name, else the path. */
function target(path: string, name: string, fds: {fd: number; name: string}[]): ListenTarget {
  const inherited = fds.find((f) => f.name === name);
  return inherited ? {fd: inherited.fd} : {path};
}

export async function startHubService(options: HubServiceOptions): Promise<RunningHub> {
  const fds = options.socketActivation ? listenFds() : [];
  const evictions = new LogBudget(log, 'bindings');
  const verdicts = new VerdictClient(options.paths.verdict);
  const decisions = new LastingDecisions({
    paths: options.decisionPaths ?? decisionPaths(), hub: options.name ?? 'session', applier: verdicts,
    log: logger('decisions'),
  });
  const hub = new ClearanceHub(verdicts, {
    decisions,
    ...(options.limits ? {limits: options.limits} : {}),
    ...(options.queueDepth ? {queueDepth: options.queueDepth} : {}),
    identify: (container) => verdicts.identify(container),
    onEvict: (event, why) => evictions.note('warning',
      `evicted pending request ${event.request_id} of ${event.container} (${why === 'cap' ? 'too many pending' : 'too old'})`),
  });
  const server = new VarlinkServer({vendor: VENDOR, product: 'terok-clearance hub', version: VERSION, url: URL, ...HUB_SERVER_LIMITS});
  serveClearance(server, hub);

  const stops: (() => Promise<void>)[] = [async () => verdicts.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((e) => log.error(`while stopping: ${(e as Error).message}`));
  };
  try {
    await decisions.start();
    stops.push(() => decisions.close());
    // The reader socket first: once the hub socket answers, the whole hub is up.
    const ingester = await ReaderIngester.listen(target(options.paths.reader, 'reader', fds), {
      onEvent: (e) => hub.ingest(e),
      backpressure: () => hub.backpressure(),
    });
    stops.push(() => ingester.close());
    await server.listen(target(options.paths.hub, 'varlink', fds));
    stops.push(() => server.close());
  } catch (e) {
    await stopAll();
    throw e;
  }
  log.info(`hub listening on ${options.paths.hub}, reader socket ${options.paths.reader}, verdicts via ${options.paths.verdict}`);
  return {
    hub,
    async close() {
      await stopAll();
      evictions.flush();
    },
  };
}
