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
