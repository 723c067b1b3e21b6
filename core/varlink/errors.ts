// The standard errors of org.varlink.service, and the error type both sides use for an error reply.
import type {JsonObject} from './message.js';

export const StandardError = {
  InterfaceNotFound: 'org.varlink.service.InterfaceNotFound',
  MethodNotFound: 'org.varlink.service.MethodNotFound',
  MethodNotImplemented: 'org.varlink.service.MethodNotImplemented',
  InvalidParameter: 'org.varlink.service.InvalidParameter',
  PermissionDenied: 'org.varlink.service.PermissionDenied',
  ExpectedMore: 'org.varlink.service.ExpectedMore',
} as const;

/** A varlink error reply: thrown by method handlers to answer with `name`, raised by clients on receipt. */
export class VarlinkError extends Error {
  constructor(readonly errorName: string, readonly parameters: JsonObject = {}) {
    super(Object.keys(parameters).length ? `${errorName} ${JSON.stringify(parameters)}` : errorName);
    this.name = 'VarlinkError';
  }
}

/**
 * True when a reply says the method does not exist: peers disagree on the name (systemd answers MethodNotFound
 * for an unknown interface, others InterfaceNotFound), so callers probing optional methods accept both.
 */
export function isNotFound(error: unknown): boolean {
  return error instanceof VarlinkError &&
    (error.errorName === StandardError.MethodNotFound || error.errorName === StandardError.InterfaceNotFound ||
     error.errorName === StandardError.MethodNotImplemented);
}
