// The hub's client of the verdict helper (wire.md §3). One connection, opened on the first verdict and reused;
// if it breaks, one reconnect and one retry, then "unreachable". Every outcome is {ok, stderr}: no failure here
// can be read as an applied verdict.
//
// Calls are pipelined on the one connection and the helper answers in order, so applies run one after another:
// a slow shield (up to its 10 s timeout) delays the verdicts queued behind it. That suits the firewall, which
// takes a lock per change anyway; the call timeout below is sized for a few such waits in a row.
import {VarlinkError} from '../../core/varlink/errors.js';
import type {JsonObject} from '../../core/varlink/message.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import {VarlinkClient} from '../varlink/client.js';
import {TimeoutError} from '../../core/varlink/transport-errors.js';
import type {ShieldResult} from './shield-exec.js';

const APPLY = 'org.terok.ClearanceVerdict1.Apply';

export interface VerdictClientOptions {
  connectTimeoutMs?: number;
  /** How long one Apply may take, queueing behind earlier ones included; default 45 s. */
  callTimeoutMs?: number;
}

export const DEFAULT_VERDICT_CALL_TIMEOUT_MS = 45_000;

export class VerdictClient {
  private connection?: Promise<VarlinkClient>;
  private closed = false;

  constructor(readonly socketPath: string, private readonly options: VerdictClientOptions = {}) {}

  async apply(container: string, dest: string, action: VerdictAction): Promise<ShieldResult> {
    let failure = 'client closed';
    for (let attempt = 0; attempt < 2 && !this.closed; attempt++) {
      let connection: Promise<VarlinkClient> | undefined;
      try {
        connection = this.connect();
        const reply = await (await connection).call(APPLY, {container, dest, action});
        return resultOf(reply);
      } catch (e) {
        if (e instanceof VarlinkError) return {ok: false, stderr: `verdict helper refused the call: ${e.message}`};
        // The helper did not answer in time: asking again would only wait as long again.
        if (e instanceof TimeoutError) return {ok: false, stderr: `verdict helper did not answer: ${e.message}`};
        failure = (e as Error).message;
        this.forget(connection);
      }
    }
    return {ok: false, stderr: `verdict helper unreachable: ${failure}`};
  }

  /** Closes the connection; applies still waiting on it, and later ones, return ok: false. */
  close(): void {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    void connection?.then((c) => c.close(), () => {});
  }

  private connect(): Promise<VarlinkClient> {
    if (!this.connection) {
      const connection = VarlinkClient.connect(this.socketPath, {
        ...(this.options.connectTimeoutMs !== undefined ? {timeoutMs: this.options.connectTimeoutMs} : {}),
        callTimeoutMs: this.options.callTimeoutMs ?? DEFAULT_VERDICT_CALL_TIMEOUT_MS,
      });
      this.connection = connection;
      // A connection that ends (the helper restarted) is dropped, so the next apply reconnects without a retry.
      connection.then((c) => c.closed.then(() => this.forget(connection)), () => this.forget(connection));
    }
    return this.connection;
  }

  /** Drops `connection` if it is still the current one (a concurrent apply may already have replaced it). */
  private forget(connection: Promise<VarlinkClient> | undefined): void {
    if (connection === undefined || this.connection !== connection) return;
    this.connection = undefined;
    void connection.then((c) => c.close(), () => {});
  }
}

/** A reply without a boolean ok and a string stderr is a failed apply, never a success by default. */
function resultOf(reply: JsonObject): ShieldResult {
  if (typeof reply.ok !== 'boolean' || typeof reply.stderr !== 'string') {
    return {ok: false, stderr: 'verdict helper sent a malformed reply'};
  }
  return {ok: reply.ok, stderr: reply.stderr};
}
