// The hub set (core/client/hub-set.ts) on Node: the session hub of the runtime directory, discovery by fs.watch,
// and Node hub connections.
import {sessionHub} from '../../core/client/hub-sockets.js';
import {HubSet as CoreHubSet, type HubSetListener} from '../../core/client/hub-set.js';
import type {Backoff} from '../../core/client/backoff.js';
import {runtimeDir} from '../paths.js';
import {HubConnection, type HubConnectionOptions} from './unix-hub-connection.js';
import {HubDiscovery} from './hub-discovery.js';
import {realTime, type Scheduler} from './node-timers.js';

export type {HubSetListener, HubView} from '../../core/client/hub-set.js';

export interface HubSetOptions {
  runtimeDir?: string;
  rescanMs?: number;
  scheduler?: Scheduler;
  /** A fresh back-off per hub (tests pass shorter ones). */
  backoff?: () => Backoff;
  connectTimeoutMs?: number;
  firstReplyTimeoutMs?: number;
  retireAfterMs?: number;
  log?: HubConnectionOptions['log'];
}

export class HubSet extends CoreHubSet {
  constructor(listener: HubSetListener, options: HubSetOptions = {}) {
    const runtime = options.runtimeDir ?? runtimeDir();
    const scheduler = options.scheduler ?? realTime;
    super(listener, {
      session: sessionHub(runtime),
      discovery: (found) => new HubDiscovery(found, {runtimeDir: runtime, rescanMs: options.rescanMs, scheduler,
        log: options.log}),
      connection: (socket, hub) => new HubConnection(socket.path, hub, {scheduler, backoff: options.backoff?.(),
        connectTimeoutMs: options.connectTimeoutMs, firstReplyTimeoutMs: options.firstReplyTimeoutMs,
        retireAfterMs: options.retireAfterMs, log: options.log}),
    });
  }
}
