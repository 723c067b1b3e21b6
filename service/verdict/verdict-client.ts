// The hub's client of the verdict helper (wire.md §3). One connection for applies, opened on the first verdict and
// reused; if it breaks, one reconnect and one retry, then "unreachable". Every outcome is {ok, stderr}: no failure
// here can be read as an applied verdict.
//
// Calls are pipelined on the one connection and the helper answers in order, so applies run one after another:
// a slow shield (up to its 10 s timeout) delays the verdicts queued behind it. That suits the firewall, which
// takes a lock per change anyway; the call timeout below is sized for a few such waits in a row.
//
// Identify (who a container is) goes over a second connection of its own, so a podman run never holds up a verdict
// and a slow shield never holds up a name. Its failures are "nothing known" ({}), never an error.
import {isPlainObject} from '../../core/clearance/event.js';
import {VarlinkError} from '../../core/varlink/errors.js';
import type {JsonObject} from '../../core/varlink/message.js';
import {VERDICT_HELPER_INTERFACE, type VerdictAction} from '../../core/clearance/verdict.js';
import {VarlinkClient} from '../varlink/client.js';
import {TimeoutError} from '../../core/varlink/transport-errors.js';
import type {ShieldResult} from './shield-exec.js';

const APPLY = `${VERDICT_HELPER_INTERFACE}.Apply`;
const IDENTIFY = `${VERDICT_HELPER_INTERFACE}.Identify`;

export interface VerdictClientOptions {
  connectTimeoutMs?: number;
  /** How long one Apply may take, queueing behind earlier ones included; default 45 s. */
  callTimeoutMs?: number;
  /**
   * How long an Identify may take before "nothing known" is answered; default 3 s. The hub waits that long with a
   * UI's call connection (and the UI's verdicts behind it), so it is short; the helper finishes the lookup anyway
   * and has it cached for the next ask.
   */
  identifyTimeoutMs?: number;
}

export const DEFAULT_VERDICT_CALL_TIMEOUT_MS = 45_000;
export const DEFAULT_IDENTIFY_TIMEOUT_MS = 3000;

export class VerdictClient {
  private readonly applies: HelperConnection;
  private readonly identities: HelperConnection;
  private closed = false;

  constructor(readonly socketPath: string, options: VerdictClientOptions = {}) {
    const connectTimeout = options.connectTimeoutMs !== undefined ? {timeoutMs: options.connectTimeoutMs} : {};
    this.applies = new HelperConnection(socketPath,
      {...connectTimeout, callTimeoutMs: options.callTimeoutMs ?? DEFAULT_VERDICT_CALL_TIMEOUT_MS});
    this.identities = new HelperConnection(socketPath,
      {...connectTimeout, callTimeoutMs: options.identifyTimeoutMs ?? DEFAULT_IDENTIFY_TIMEOUT_MS});
  }

  async apply(container: string, dest: string, action: VerdictAction): Promise<ShieldResult> {
    let failure = 'client closed';
    for (let attempt = 0; attempt < 2 && !this.closed; attempt++) {
      let connection: Promise<VarlinkClient> | undefined;
      try {
        connection = this.applies.connect();
        const reply = await (await connection).call(APPLY, {container, dest, action});
        return resultOf(reply);
      } catch (e) {
        if (e instanceof VarlinkError) return {ok: false, stderr: `verdict helper refused the call: ${e.message}`};
        // The helper did not answer in time: asking again would only wait as long again.
        if (e instanceof TimeoutError) return {ok: false, stderr: `verdict helper did not answer: ${e.message}`};
        failure = (e as Error).message;
        this.applies.forget(connection);
      }
    }
    return {ok: false, stderr: `verdict helper unreachable: ${failure}`};
  }

  /**
   * The dossier the helper makes of `container` (unsanitised: it is the caller's to sanitise), {} when it knows
   * nothing, is down, did not answer in time, or is an older helper without Identify. No retry: a name is not
   * worth a second wait, and the next event of the container asks again.
   */
  async identify(container: string): Promise<Record<string, unknown>> {
    if (this.closed) return {};
    let connection: Promise<VarlinkClient> | undefined;
    try {
      connection = this.identities.connect();
      const {dossier} = await (await connection).call(IDENTIFY, {container});
      return isPlainObject(dossier) ? dossier : {};
    } catch (e) {
      if (!(e instanceof VarlinkError)) this.identities.forget(connection);
      return {};
    }
  }

  /** Closes the connections; calls still waiting on them, and later ones, fail as described above. */
  close(): void {
    this.closed = true;
    this.applies.close();
    this.identities.close();
  }
}

/** One lazily opened, reused connection to the helper. */
class HelperConnection {
  private connection?: Promise<VarlinkClient>;

  constructor(private readonly socketPath: string, private readonly options: {timeoutMs?: number; callTimeoutMs: number}) {}

  connect(): Promise<VarlinkClient> {
    if (!this.connection) {
      const connection = VarlinkClient.connect(this.socketPath, this.options);
      this.connection = connection;
      // A connection that ends (the helper restarted) is dropped, so the next call reconnects without a retry.
      connection.then((c) => c.closed.then(() => this.forget(connection)), () => this.forget(connection));
    }
    return this.connection;
  }

  /** Drops `connection` if it is still the current one (a concurrent call may already have replaced it). */
  forget(connection: Promise<VarlinkClient> | undefined): void {
    if (connection === undefined || this.connection !== connection) return;
    this.connection = undefined;
    void connection.then((c) => c.close(), () => {});
  }

  close(): void {
    this.forget(this.connection);
  }
}

/** A reply without a boolean ok and a string stderr is a failed apply, never a success by default. */
function resultOf(reply: JsonObject): ShieldResult {
  if (typeof reply.ok !== 'boolean' || typeof reply.stderr !== 'string') {
    return {ok: false, stderr: 'verdict helper sent a malformed reply'};
  }
  return {ok: reply.ok, stderr: reply.stderr};
}
