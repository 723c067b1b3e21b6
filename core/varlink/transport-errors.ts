// Errors of a varlink connection itself (as opposed to error replies, which are VarlinkError), the same for the
// Node client and the GJS transport.

/** The connection closed (by either side, or because of a protocol error) before the operation completed. */
export class ConnectionClosedError extends Error {
  constructor(readonly path: string, options?: {cause?: unknown}) {
    super(`varlink connection to ${path} closed`, options);
    this.name = 'ConnectionClosedError';
  }
}

/** A connect or a call did not complete in time. */
export class TimeoutError extends Error {
  constructor(what: string, readonly timeoutMs: number) {
    super(`${what} timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}
