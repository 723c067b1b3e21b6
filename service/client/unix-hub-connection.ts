// The hub client (core/client/hub-connection.ts) on Node's unix sockets: VarlinkClient connections, errno-worded
// connect failures, and Node's timers and logger by default.
import {existsSync} from 'node:fs';
import {
  HubConnection as CoreHubConnection, errorMessage,
  type ConnectFailure, type HubConnectionOptions as CoreOptions, type HubListener, type HubPeer, type HubTransport,
} from '../../core/client/hub-connection.js';
import {logger, type Logger} from '../log.js';
import {VarlinkClient} from '../varlink/client.js';
import {realTime} from './node-timers.js';

export {STABLE_CONNECTION_MS} from '../../core/client/hub-connection.js';
export type {HubCapabilities, HubListener, HubState, HubStatus} from '../../core/client/hub-connection.js';

export interface HubConnectionOptions extends Partial<Omit<CoreOptions, 'transport' | 'log'>> {
  log?: Logger;
}

/** Why a connect failed, worded for the operator; "not running" when nobody listens at the path. */
export function connectFailure(path: string, e: unknown): ConnectFailure {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return {reason: `not running (no socket at ${path})`, notRunning: true};
  if (code === 'ECONNREFUSED') return {reason: `not running (nothing accepts on ${path})`, notRunning: true};
  if (code === 'EACCES') return {reason: `permission denied on ${path}`, notRunning: false};
  return {reason: errorMessage(e), notRunning: false};
}

export const nodeTransport: HubTransport = {
  async connect(path, timeoutMs): Promise<HubPeer> {
    const client = await VarlinkClient.connect(path, {timeoutMs});
    return {
      call: (method, parameters, options) => client.call(method, parameters, options),
      async stream(method, parameters, onReply) {
        for await (const reply of client.stream(method, parameters)) onReply(reply);
      },
      close: () => client.close(),
      closed: client.closed,
    };
  },
  connectFailure,
  socketExists: (path) => Promise.resolve(existsSync(path)),
};

export class HubConnection extends CoreHubConnection {
  constructor(path: string, listener: HubListener, options: HubConnectionOptions = {}) {
    super(path, listener, {
      ...options,
      transport: nodeTransport,
      scheduler: options.scheduler ?? realTime,
      log: options.log ?? logger('hub-client'),
    });
  }
}
