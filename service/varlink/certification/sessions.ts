// Per-client state of the certification server: which step each client_id must call next. Like the Python
// reference, calls out of order are refused; unlike it, the table is bounded (a cap on clients, oldest evicted
// first, and an age limit), so clients that never reach End cannot grow it without limit.
import {VarlinkError} from '../../../core/varlink/errors.js';
import {CERTIFICATION_INTERFACE, CertificationErrors} from './interface.js';
import {nextStep} from './expected.js';
import type {Step} from './expected.js';

export interface SessionOptions {
  /** Makes a fresh, unguessable client_id. */
  newId: () => string;
  maxClients?: number;
  maxAgeMs?: number;
  now?: () => number;
}

interface Session {
  next: Step;
  startedAt: number;
  /** Set once a step failed: the next call hears it (so a failed oneway Test11 is reported by End). */
  failure?: VarlinkError;
}

export function certificationError(wants: unknown, got: unknown): VarlinkError {
  return new VarlinkError(CertificationErrors.CertificationError, {wants, got});
}

const methodOf = (step: Step) => ({method: `${CERTIFICATION_INTERFACE}.${step}`});

export class CertificationSessions {
  private readonly sessions = new Map<string, Session>(); // insertion order = age order
  private readonly newId: () => string;
  private readonly now: () => number;
  readonly maxClients: number;
  readonly maxAgeMs: number;

  constructor(options: SessionOptions) {
    this.newId = options.newId;
    this.now = options.now ?? Date.now;
    this.maxClients = options.maxClients ?? 100;
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Opens a session (Start succeeded) and returns its client_id; the next step is Test01. */
  start(): string {
    this.expire();
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size < this.maxClients) break;
      this.sessions.delete(oldest);
    }
    const id = this.newId();
    this.sessions.set(id, {next: 'Test01', startedAt: this.now()});
    return id;
  }

  /**
   * Admits `step` for `clientId` and moves the client on. Throws ClientIdError for an unknown or expired id,
   * the recorded failure of an earlier step, or CertificationError when `step` is not the one due.
   */
  enter(clientId: string, step: Step): void {
    this.expire();
    const session = this.sessions.get(clientId);
    if (!session) throw new VarlinkError(CertificationErrors.ClientIdError);
    if (session.failure) {
      this.sessions.delete(clientId);
      throw session.failure;
    }
    if (session.next !== step) throw certificationError(methodOf(session.next), methodOf(step));
    if (step === 'End') this.sessions.delete(clientId);
    else session.next = nextStep(step);
  }

  /** Ends the client's run with `failure`, which its next call receives. */
  fail(clientId: string, failure: VarlinkError): void {
    const session = this.sessions.get(clientId);
    if (session) session.failure = failure;
  }

  private expire(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [id, session] of this.sessions) {
      if (session.startedAt > cutoff) break;
      this.sessions.delete(id);
    }
  }
}
