// The interfaces a server serves: their parsed IDL, their text as written (for GetInterfaceDescription) and the
// handlers of their methods; resolves a qualified method name to all three or to the standard error.
import {parseInterface} from '../../core/varlink/idl.js';
import type {InterfaceDef, MethodDef} from '../../core/varlink/idl.js';
import {StandardError, VarlinkError} from '../../core/varlink/errors.js';
import {splitQualifiedName} from '../../core/varlink/message.js';
import type {JsonObject} from '../../core/varlink/message.js';

/** What a method handler gets for one call. */
export interface CallContext {
  /** The qualified method name as called. */
  readonly method: string;
  /** Validated against the method's input. */
  readonly parameters: JsonObject;
  readonly more: boolean;
  readonly oneway: boolean;
  /** Aborted when the peer is gone (and, for a `more` call, when the peer stops sending): stop, nobody listens. */
  readonly signal: AbortSignal;
  /**
   * Sends one reply with `continues: true` (only for `more` calls). Returns false when the peer's output queue
   * is above its high-water mark (the reply is queued all the same), or when the call is over and nothing was sent.
   */
  send(parameters: JsonObject): boolean;
  /** Resolves once the peer's output queue is below its high-water mark; rejects if the connection closes. */
  drained(): Promise<void>;
  readonly connectionId: number;
  /** The caller's uid (SO_PEERCRED), -1 when unknown: provenance for what it decides. */
  readonly peerUid: number;
}

/**
 * Handles one call. The return value is the final reply; a thrown VarlinkError is the error reply; anything else
 * thrown is logged and answered with a generic error. Nothing is sent for `oneway` calls.
 */
export type MethodHandler = (ctx: CallContext) => Promise<JsonObject | void> | JsonObject | void;

export interface ResolvedMethod {
  iface: InterfaceDef;
  method: MethodDef;
  handler: MethodHandler;
}

interface Served {
  def: InterfaceDef;
  description: string;
  handlers: ReadonlyMap<string, MethodHandler>;
}

export class InterfaceRegistry {
  private readonly served = new Map<string, Served>();

  /** Adds an interface from its IDL; throws on a duplicate or on a handler for a method the IDL lacks. */
  add(idl: string, handlers: Record<string, MethodHandler>): InterfaceDef {
    const def = parseInterface(idl);
    if (this.served.has(def.name)) throw new Error(`interface ${def.name} is already served`);
    for (const name of Object.keys(handlers))
      if (!def.methods.has(name)) throw new Error(`interface ${def.name} declares no method ${name}`);
    this.served.set(def.name, {def, description: idl, handlers: new Map(Object.entries(handlers))});
    return def;
  }

  /** Interface names in the order they were added. */
  names(): string[] {
    return [...this.served.keys()];
  }

  /** The IDL text of an interface, as it was added. */
  description(name: string): string | undefined {
    return this.served.get(name)?.description;
  }

  /** Throws the standard error when the interface, the method or its handler is missing. */
  resolve(qualifiedMethod: string): ResolvedMethod {
    const {interface: ifaceName, member} = splitQualifiedName(qualifiedMethod);
    const served = this.served.get(ifaceName);
    if (!served) throw new VarlinkError(StandardError.InterfaceNotFound, {interface: ifaceName});
    const method = served.def.methods.get(member);
    if (!method) throw new VarlinkError(StandardError.MethodNotFound, {method: qualifiedMethod});
    const handler = served.handlers.get(member);
    if (!handler) throw new VarlinkError(StandardError.MethodNotImplemented, {method: qualifiedMethod});
    return {iface: served.def, method, handler};
  }
}
