// A varlink server on a unix socket: interfaces declared from IDL, org.varlink.service built in, parameters
// checked against the IDL before a handler runs, limits on connections, message size and queued output. Only our
// own uid is served (SO_PEERCRED, checked before a byte is read); at the connection cap the longest-idle
// connection makes room, never a busy one.
import {once} from 'node:events';
import net from 'node:net';
import {DEFAULT_MAX_MESSAGE_BYTES, encodeFrame} from '../../core/varlink/framing.js';
import {makeErrorReply, makeReply} from '../../core/varlink/message.js';
import type {Call, JsonObject} from '../../core/varlink/message.js';
import {StandardError, VarlinkError} from '../../core/varlink/errors.js';
import {checkFields} from '../../core/varlink/typecheck.js';
import {logger} from '../log.js';
import {PeerGuard, type PeerCheck} from '../peercred/peer-guard.js';
import {bindUnixSocket, LISTEN_BACKLOG} from './bind.js';
import type {BoundSocket} from './bind.js';
import {DEFAULT_FIRST_MESSAGE_TIMEOUT_MS, longestIdle} from './idle-eviction.js';
import {InterfaceRegistry} from './interface-registry.js';
import type {CallContext, MethodHandler, ResolvedMethod} from './interface-registry.js';
import {ServerConnection} from './server-connection.js';
import type {ReplyChannel} from './server-connection.js';
import {SERVICE_IDL} from './service-interface.js';

export type {CallContext, MethodHandler} from './interface-registry.js';

export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_QUEUED_OUTPUT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_OUTPUT_HIGH_WATER_BYTES = 64 * 1024;

/**
 * The error reply for a handler that failed with something other than a VarlinkError. org.varlink.service
 * declares no error for "the service itself failed", and every standard name would blame the caller or claim
 * something false; this is the name libvarlink (C++) and zlink use for the same case. Details go to our log only.
 */
export const INTERNAL_ERROR = 'org.varlink.service.InternalError';

export interface ServerInfo {
  vendor: string;
  product: string;
  version: string;
  url: string;
}

export interface ServerOptions extends ServerInfo {
  /** Open connections; one more closes the longest-idle one (or, when all are busy, is itself closed at once). */
  maxConnections?: number;
  /** A connection that completes no message within this is closed. */
  firstMessageTimeoutMs?: number;
  /** How peers are identified; the SO_PEERCRED addon unless a test says otherwise. */
  peerCheck?: PeerCheck;
  /** One message, or the unfinished part of one; a peer passing it is disconnected. */
  maxMessageBytes?: number;
  /** Output queued for one peer; a peer that lets it grow past this (it does not read) is disconnected. */
  maxQueuedOutputBytes?: number;
  /** Queued output above which CallContext.send() returns false, so producers can hold back or drop. */
  outputHighWaterBytes?: number;
}

export type ListenTarget = {path: string} | {fd: number};

/** Wraps a handler of a method that only makes sense as a stream: a call without `more` gets ExpectedMore. */
export function requireMore(handler: MethodHandler): MethodHandler {
  return (ctx) => {
    if (!ctx.more) throw new VarlinkError(StandardError.ExpectedMore);
    return handler(ctx);
  };
}

const log = logger('varlink');

// A streamed reply is often fanned out: one parameters object sent on many connections. It is checked and encoded
// once, then the same bytes are written to each.
const encodedStreamReplies = new WeakMap<JsonObject, Uint8Array>();

export class VarlinkServer {
  private readonly registry = new InterfaceRegistry();
  private readonly connections = new Set<ServerConnection>();
  private readonly limits: {maxConnections: number; maxMessageBytes: number; maxQueuedOutputBytes: number;
    outputHighWaterBytes: number; firstMessageTimeoutMs: number};
  private server?: net.Server;
  private guard?: PeerGuard;
  private bound?: BoundSocket;
  private endpoint = '';
  private nextConnectionId = 1;
  private warnedFull = false;

  constructor(private readonly info: ServerOptions) {
    this.limits = {
      maxConnections: info.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxMessageBytes: info.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      maxQueuedOutputBytes: info.maxQueuedOutputBytes ?? DEFAULT_MAX_QUEUED_OUTPUT_BYTES,
      outputHighWaterBytes: info.outputHighWaterBytes ?? DEFAULT_OUTPUT_HIGH_WATER_BYTES,
      firstMessageTimeoutMs: info.firstMessageTimeoutMs ?? DEFAULT_FIRST_MESSAGE_TIMEOUT_MS,
    };
    this.registry.add(SERVICE_IDL, {
      GetInfo: () => ({
        vendor: this.info.vendor,
        product: this.info.product,
        version: this.info.version,
        url: this.info.url,
        interfaces: this.registry.names(),
      }),
      GetInterfaceDescription: ({parameters}) => {
        const name = parameters.interface as string;
        const description = this.registry.description(name);
        if (description === undefined) throw new VarlinkError(StandardError.InterfaceNotFound, {interface: name});
        return {description};
      },
    });
  }

  /** Serves the interface declared by `idl`; `handlers` are keyed by method name. Throws on an invalid IDL. */
  addInterface(idl: string, handlers: Record<string, MethodHandler>): void {
    this.registry.add(idl, handlers);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts accepting on a path (bound per wire.md §5) or on an inherited listening fd (socket activation). */
  async listen(target: ListenTarget): Promise<void> {
    if (this.server) throw new Error(`varlink server already listening on ${this.endpoint}`);
    // pauseOnConnect: nothing is read from a connection until its peer has been checked.
    const server = net.createServer({allowHalfOpen: true, pauseOnConnect: true,
      highWaterMark: this.limits.outputHighWaterBytes}, (socket) => this.accept(socket));
    server.on('error', (e) => log.error(`${this.endpoint}: ${e.message}`));
    if ('path' in target) {
      this.bound = await bindUnixSocket(target.path, server);
      this.endpoint = target.path;
    } else {
      const listening = once(server, 'listening');
      server.listen({fd: target.fd, backlog: LISTEN_BACKLOG});
      await listening;
      this.endpoint = `fd ${target.fd}`;
    }
    this.guard = new PeerGuard(this.endpoint, log, this.info.peerCheck);
    this.server = server;
  }

  /** Stops accepting, closes every connection (running calls see their signal aborted), unlinks our socket. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const bound = this.bound;
    this.bound = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      // First, so no new client finds the path of a server that is going away.
      await bound?.release();
    } finally {
      for (const connection of this.connections) connection.destroy();
      await closed;
    }
  }

  private accept(socket: net.Socket): void {
    const id = this.nextConnectionId++;
    const admission = this.guard!.admit(socket, `connection ${id}`);
    if (!admission.admitted) return;
    if (this.connections.size >= this.limits.maxConnections && !this.makeRoom()) {
      log.warning(`${this.endpoint}: ${this.connections.size} connections open (the limit), all busy; refusing one more`);
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(id, admission.peer?.uid ?? -1, socket, this.endpoint,
      (call, channel, signal) => this.dispatch(call, channel, signal), this.limits, log);
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
    socket.resume();
  }

  /** Closes the longest-idle connection for a newcomer; false when every connection is busy. */
  private makeRoom(): boolean {
    const idle = longestIdle(this.connections);
    if (!idle) return false;
    const message = `${this.endpoint}: at the limit of ${this.limits.maxConnections} connections; closing the longest-idle one`;
    // Once a warning (a flood repeats this for every newcomer), then debug lines.
    if (this.warnedFull) log.debug(`${message} (${idle.connectionId})`);
    else log.warning(`${message} (${idle.connectionId}); later ones are logged at debug level`);
    this.warnedFull = true;
    idle.destroy();
    this.connections.delete(idle);
    return true;
  }

  private async dispatch(call: Call, channel: ReplyChannel, signal: AbortSignal): Promise<void> {
    let finished = false;
    try {
      const resolved = this.registry.resolve(call.method);
      if (call.upgrade) throw new VarlinkError(StandardError.InvalidParameter, {parameter: 'upgrade'});
      const bad = checkFields(resolved.method.input, call.parameters, resolved.iface);
      if (bad !== null) throw new VarlinkError(StandardError.InvalidParameter, {parameter: bad});
      const ctx: CallContext = {
        method: call.method,
        parameters: call.parameters,
        more: call.more,
        oneway: call.oneway,
        signal,
        connectionId: channel.connectionId,
        peerUid: channel.peerUid,
        send: (parameters) => {
          if (!call.more) throw new Error(`${call.method}: send() is only for calls with "more"`);
          if (finished || signal.aborted) return false;
          let frame = encodedStreamReplies.get(parameters);
          if (!frame) {
            checkReply(resolved, parameters);
            frame = encodeFrame(makeReply(parameters, true));
            encodedStreamReplies.set(parameters, frame);
          }
          return channel.writeFrame(frame);
        },
        drained: () => channel.drained(),
      };
      const result = (await resolved.handler(ctx)) ?? {};
      if (call.oneway || signal.aborted) return;
      checkReply(resolved, result);
      channel.write(makeReply(result));
    } catch (e) {
      let error: VarlinkError;
      if (e instanceof VarlinkError) {
        error = e;
      } else {
        log.error(`${call.method} failed: ${(e as Error)?.stack ?? String(e)}`);
        error = new VarlinkError(INTERNAL_ERROR);
      }
      if (!call.oneway && !signal.aborted) channel.write(makeErrorReply(error.errorName, error.parameters));
    } finally {
      finished = true;
    }
  }
}

/**
 * A reply that breaks the IDL is our bug, not the peer's: log it so tests and operators see it, and send it
 * anyway (as sd-varlink does) rather than replace a stream element or a result the peer may still use.
 */
function checkReply({iface, method}: ResolvedMethod, parameters: JsonObject): void {
  const bad = checkFields(method.output, parameters, iface);
  if (bad !== null) log.error(`${iface.name}.${method.name}: reply does not match the IDL at "${bad}"`);
}
