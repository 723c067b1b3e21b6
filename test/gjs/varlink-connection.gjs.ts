// The GJS varlink transport under real gjs against real sockets served by the jest side: the Node
// VarlinkServer (example interface) and raw servers that misbehave on purpose.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import {VarlinkError} from '../../core/varlink/errors.js';
import {ProtocolError} from '../../core/varlink/message.js';
import type {JsonObject} from '../../core/varlink/message.js';
import {VarlinkConnection} from '../../extension/varlink/connection.js';
import {ConnectionClosedError, TimeoutError} from '../../core/varlink/transport-errors.js';
import {PeerUidError} from '../../extension/varlink/errors.js';
import {delay, plan, runCases} from './cases.gjs.js';
import type {Plan} from './varlink-connection.plan.js';

const sockets = plan<Plan>();
const T = 'org.example.test.';

/** What a test needs to know about an error: its class, varlink name or Gio code, and its cause's class. */
function describeError(e: unknown): JsonObject {
  if (e instanceof VarlinkError) return {type: 'VarlinkError', errorName: e.errorName, parameters: e.parameters};
  if (e instanceof ConnectionClosedError) return {type: 'ConnectionClosedError', cause: describeCause(e.cause)};
  if (e instanceof ProtocolError) return {type: 'ProtocolError', message: e.message};
  if (e instanceof TimeoutError) return {type: 'TimeoutError', ms: e.timeoutMs};
  if (e instanceof PeerUidError) return {type: 'PeerUidError', message: e.message, peerUid: e.peerUid, expectedUid: e.expectedUid};
  if (e instanceof GLib.Error) return {type: 'GLib.Error', ...gioCode(e)};
  return {type: 'unexpected', message: String(e)};
}

function describeCause(cause: unknown): JsonObject | null {
  return cause === undefined ? null : describeError(cause);
}

function gioCode(e: GLib.Error): JsonObject {
  for (const [name, code] of Object.entries({NOT_FOUND: Gio.IOErrorEnum.NOT_FOUND,
    CONNECTION_REFUSED: Gio.IOErrorEnum.CONNECTION_REFUSED, CANCELLED: Gio.IOErrorEnum.CANCELLED}))
    if (e.matches(Gio.IOErrorEnum, code)) return {gio: name};
  return {message: e.message};
}

async function failure(promise: Promise<unknown>): Promise<JsonObject> {
  try {
    return {resolved: (await promise) as JsonObject};
  } catch (e) {
    return describeError(e);
  }
}

runCases({
  async call() {
    const c = await VarlinkConnection.connect(sockets.example);
    const reply = await c.call(`${T}Add`, {a: 2, b: 3});
    c.close();
    return {reply, closed: (await c.closed) ?? null};
  },

  async pipelined() {
    const c = await VarlinkConnection.connect(sockets.example);
    const order: string[] = [];
    const replies = await Promise.all([
      c.call(`${T}Sleep`, {ms: 100, tag: 'slow'}).then((r) => (order.push('slow'), r)),
      c.call(`${T}Add`, {a: 1, b: 1}).then((r) => (order.push('add'), r)),
    ]);
    c.close();
    return {replies, order};
  },

  async stream() {
    const c = await VarlinkConnection.connect(sockets.example);
    const got: JsonObject[] = [];
    await c.stream(`${T}Count`, {n: 5}, (p) => got.push(p));
    const after = await c.call(`${T}Add`, {a: 20, b: 22});
    c.close();
    return {got, after};
  },

  async 'large messages'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const text = 'ü'.repeat(600_000); // 1.2 MB each way: many reads, possibly partial writes
    const reply = await c.call(`${T}Echo`, {text});
    c.close();
    return {same: reply.text === text, length: (reply.text as string).length};
  },

  async 'error reply'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const error = await failure(c.call(`${T}Fail`, {kind: 'varlink'}));
    const after = await c.call(`${T}Add`, {a: 1, b: 2});
    c.close();
    return {error, after};
  },

  async 'error in a stream'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const got: JsonObject[] = [];
    const error = await failure(c.stream(`${T}Fail`, {kind: 'later'}, (p) => got.push(p)));
    c.close();
    return {got, error};
  },

  async 'stream method called without more'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const error = await failure(c.call(`${T}Count`, {n: 3}));
    c.close();
    return error;
  },

  async 'close ends a stream'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const ticks = c.stream(`${T}Ticks`, {}, () => {});
    await delay(200);
    c.close();
    return {stream: await failure(ticks), closed: (await c.closed) ?? null, late: await failure(c.call(`${T}Add`, {a: 1, b: 1}))};
  },

  async 'cancelling the owner cancellable closes the connection'() {
    const cancellable = new Gio.Cancellable();
    const c = await VarlinkConnection.connect(sockets.example, {cancellable});
    const sleeping = failure(c.call(`${T}Sleep`, {ms: 5000, tag: 'cancelled'}));
    await delay(50);
    const started = Date.now();
    cancellable.cancel();
    const error = await sleeping;
    return {error, ms: Date.now() - started, closed: describeCause(await c.closed)};
  },

  async 'cancelled connect'() {
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    return failure(VarlinkConnection.connect(sockets.example, {cancellable}));
  },

  async 'a call timeout fails the call and closes the connection'() {
    const c = await VarlinkConnection.connect(sockets.example);
    const fast = await c.call(`${T}Add`, {a: 1, b: 1}, {timeoutMs: 2000});
    const slow = await failure(c.call(`${T}Sleep`, {ms: 3000, tag: 'slow'}, {timeoutMs: 100}));
    return {fast, slow, after: await failure(c.call(`${T}Add`, {a: 1, b: 1})), closed: describeCause(await c.closed)};
  },

  async 'missing socket'() {
    return failure(VarlinkConnection.connect(sockets.missing));
  },

  async 'garbage reply'() {
    const c = await VarlinkConnection.connect(sockets.garbage);
    const [first, second] = await Promise.all([failure(c.call(`${T}Add`, {a: 1, b: 1})), failure(c.call(`${T}Add`, {a: 2, b: 2}))]);
    return {first, second, closed: describeCause(await c.closed)};
  },

  async 'peer hangs up'() {
    const c = await VarlinkConnection.connect(sockets.hangup);
    const error = await failure(c.call(`${T}Add`, {a: 1, b: 1}));
    return {error, closed: (await c.closed) ?? null};
  },

  async 'socket served by another uid'() {
    return failure(VarlinkConnection.connect(sockets.foreign));
  },
});
