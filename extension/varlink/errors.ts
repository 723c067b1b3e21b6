// Errors of a hub connection itself; error replies are core's VarlinkError.

/** The connection ended (closed by either side, cancelled, or broken by a protocol error) before a call completed. */
export class ConnectionClosedError extends Error {
  constructor(readonly path: string, options?: {cause?: unknown}) {
    super(`varlink connection to ${path} closed`, options);
    this.name = 'ConnectionClosedError';
  }
}

/** The process serving the socket runs as another user: we never talk to it. */
export class PeerUidError extends Error {
  constructor(readonly path: string, readonly peerUid: number, readonly expectedUid: number) {
    super(`hub socket ${path} is served by uid ${peerUid}, expected ${expectedUid}`);
    this.name = 'PeerUidError';
  }
}

/** Who serves the socket cannot be told: we do not talk to it either. */
export class PeerCredentialsError extends Error {
  constructor(readonly path: string, options?: {cause?: unknown}) {
    super(`cannot tell which user serves ${path} (it may run in a PID namespace this shell cannot see)`, options);
    this.name = 'PeerCredentialsError';
  }
}

/** No answer in time: a connect, or a call (whose connection is then closed). */
export class TimeoutError extends Error {
  constructor(what: string, readonly ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}
