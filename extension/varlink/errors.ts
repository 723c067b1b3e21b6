// Errors of the GJS transport's peer check; connection errors are core's (transport-errors.ts), error replies
// core's VarlinkError.

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
