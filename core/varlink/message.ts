// Varlink call and reply objects: strict decoding of received frames and canonical encoding of what we send.
// What we send has no unknown top-level keys (systemd closes on them), no `"parameters": null`, and omits false
// flags and empty parameters (python-varlink compares whole call objects).

export type JsonObject = {[key: string]: unknown};

export interface Call {
  method: string;
  parameters: JsonObject;
  more: boolean;
  oneway: boolean;
  upgrade: boolean;
}

export interface Reply {
  parameters: JsonObject;
  continues: boolean;
  error?: string;
}

/** A frame that is not a well-formed varlink message. `field` names the offending member, if one. */
export class ProtocolError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const decoder = new TextDecoder('utf-8', {fatal: true});

// Interface names: dot-separated labels of letters (either case, as python-varlink and systemd accept them:
// io.systemd.Credentials, org.terok.Clearance1) and digits, '-' only inside a label. Members: CamelCase.
const INTERFACE_NAME = '[A-Za-z]([-]*[A-Za-z0-9])*(\\.[A-Za-z0-9]([-]*[A-Za-z0-9])*)+';
const MEMBER_NAME = '[A-Z][A-Za-z0-9]*';
const IS_INTERFACE = new RegExp(`^${INTERFACE_NAME}$`);
const IS_MEMBER = new RegExp(`^${MEMBER_NAME}$`);
const IS_QUALIFIED = new RegExp(`^${INTERFACE_NAME}\\.${MEMBER_NAME}$`);

export function isInterfaceName(name: string): boolean {
  return IS_INTERFACE.test(name);
}

export function isMemberName(name: string): boolean {
  return IS_MEMBER.test(name);
}

/** Fully qualified member name: `interface.Member`. */
export function isQualifiedName(name: string): boolean {
  return IS_QUALIFIED.test(name);
}

/** Splits `iface.Method` into its interface and member parts. */
export function splitQualifiedName(name: string): {interface: string; member: string} {
  const dot = name.lastIndexOf('.');
  return {interface: name.slice(0, dot), member: name.slice(dot + 1)};
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeObject(frame: Uint8Array): JsonObject {
  let text: string;
  try {
    text = decoder.decode(frame);
  } catch {
    throw new ProtocolError('message is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError(`message is not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(value)) throw new ProtocolError('message is not a JSON object');
  return value;
}

function flag(obj: JsonObject, key: string): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ProtocolError(`"${key}" must be a boolean`, key);
  return value;
}

function parametersOf(obj: JsonObject): JsonObject {
  const value = obj.parameters;
  // `null` is treated as absent on receive (some peers send it); we never send it.
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw new ProtocolError('"parameters" must be an object', 'parameters');
  return value;
}

/** Decodes a call. Throws ProtocolError for anything that is not a well-formed call. */
export function decodeCall(frame: Uint8Array): Call {
  const obj = decodeObject(frame);
  if (typeof obj.method !== 'string') throw new ProtocolError('"method" must be a string', 'method');
  if (!isQualifiedName(obj.method)) throw new ProtocolError(`"${obj.method}" is not a qualified method name`, 'method');
  const call: Call = {
    method: obj.method,
    parameters: parametersOf(obj),
    more: flag(obj, 'more'),
    oneway: flag(obj, 'oneway'),
    upgrade: flag(obj, 'upgrade'),
  };
  if (call.oneway && call.more) throw new ProtocolError('"oneway" and "more" cannot be combined', 'more');
  return call;
}

/** Decodes a reply. Throws ProtocolError for anything that is not a well-formed reply. */
export function decodeReply(frame: Uint8Array): Reply {
  const obj = decodeObject(frame);
  const reply: Reply = {parameters: parametersOf(obj), continues: flag(obj, 'continues')};
  if (obj.error !== undefined && obj.error !== null) {
    if (typeof obj.error !== 'string' || !isQualifiedName(obj.error))
      throw new ProtocolError('"error" must be a qualified error name', 'error');
    reply.error = obj.error;
  }
  return reply;
}

export interface CallOptions {
  more?: boolean;
  oneway?: boolean;
  upgrade?: boolean;
}

/** The canonical call object for `method(parameters)`. */
export function makeCall(method: string, parameters: JsonObject = {}, options: CallOptions = {}): JsonObject {
  const call: JsonObject = {method};
  if (Object.keys(parameters).length > 0) call.parameters = parameters;
  if (options.more) call.more = true;
  if (options.oneway) call.oneway = true;
  if (options.upgrade) call.upgrade = true;
  return call;
}

/** The canonical reply object. */
export function makeReply(parameters: JsonObject = {}, continues = false): JsonObject {
  const reply: JsonObject = {};
  if (Object.keys(parameters).length > 0) reply.parameters = parameters;
  if (continues) reply.continues = true;
  return reply;
}

/** The canonical error reply object. */
export function makeErrorReply(error: string, parameters: JsonObject = {}): JsonObject {
  const reply: JsonObject = {error};
  if (Object.keys(parameters).length > 0) reply.parameters = parameters;
  return reply;
}
