// The shield's reader as a child process emitting NDJSON on stdout (the hub-less fallback reads it directly instead
// of through the hub's reader socket). It leads its own process group, so stopping it stops everything it started
// (the reader re-executes itself under nsenter / podman unshare): SIGTERM to the group, SIGKILL to whatever is left
// after a grace period. Lines are capped at 64 KiB like on the reader socket; a longer one is dropped, not the rest.
import {spawn, type ChildProcess} from 'node:child_process';
import {MAX_READER_LINE_BYTES} from '../../core/clearance/reader-line.js';
import {FrameDecoder, FrameTooLargeError} from '../../core/varlink/framing.js';

const NEWLINE = 0x0a;
export const STOP_GRACE_MS = 2000;

export interface ReaderListener {
  /** One line of stdout, without its newline. */
  line(line: string): void;
  /** A stdout line over the cap was dropped. */
  overlong(limit: number): void;
  /** One line of stderr (the reader's own log). */
  stderr(line: string): void;
  /** The reader ended without being asked to (or never started); `how` says how, in words. */
  exited(how: string, failed: boolean): void;
}

/** Splits a byte stream into capped lines; an over-long line is skipped up to its newline. */
class LineSplitter {
  #decoder: FrameDecoder;
  #skipping = false;
  readonly #text = new TextDecoder('utf-8');

  constructor(private readonly limit: number, private readonly onLine: (line: string) => void,
    private readonly onOverlong: () => void) {
    this.#decoder = new FrameDecoder(limit, NEWLINE);
  }

  push(chunk: Buffer): void {
    // Fed up to each newline, so an over-long line costs only itself.
    for (let start = 0; start < chunk.length;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.#feed(chunk.subarray(start, end), newline !== -1);
      start = end;
    }
  }

  #feed(piece: Buffer, complete: boolean): void {
    if (this.#skipping) {
      this.#skipping = !complete;
      return;
    }
    try {
      for (const frame of this.#decoder.push(piece)) this.onLine(this.#text.decode(frame));
    } catch (e) {
      if (!(e instanceof FrameTooLargeError)) throw e;
      this.#decoder = new FrameDecoder(this.limit, NEWLINE);
      this.#skipping = !complete;
      this.onOverlong();
    }
  }
}

export class ReaderProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #stopping = false;
  #ended = false;
  #killTimer: NodeJS.Timeout | undefined;

  private constructor(argv: readonly [string, ...string[]], listener: ReaderListener) {
    const [command, ...args] = argv;
    // detached: a process group (and session) of its own, and no SIGINT from the terminal's Ctrl-C: we stop it.
    this.#child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], detached: true});
    const out = new LineSplitter(MAX_READER_LINE_BYTES, (l) => listener.line(l), () => listener.overlong(MAX_READER_LINE_BYTES));
    const err = new LineSplitter(MAX_READER_LINE_BYTES, (l) => listener.stderr(l), () => {});
    this.#child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    this.#child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    this.#exited = new Promise((resolve) => {
      let reported = false; // a reader that cannot start may report both 'error' and 'close'
      const ended = (how: string, failed: boolean) => {
        if (!reported && !this.#stopping) listener.exited(how, failed);
        reported = true;
        this.#ended = true;
        resolve();
      };
      this.#child.once('error', (e: NodeJS.ErrnoException) => {
        ended(`cannot run ${command}: ${e.code === 'ENOENT' ? 'not found' : e.message}`, true);
      });
      // The reader gone by itself: what it started may still hold its pipes; they get the same grace as in stop().
      this.#child.once('exit', () => {
        if (!this.#stopping) this.#terminateGroup(STOP_GRACE_MS);
      });
      // 'close': stdout is read to its end, so the last lines are delivered before we say it ended.
      this.#child.once('close', (code, signal) => {
        clearTimeout(this.#killTimer);
        this.#killGroup('SIGKILL'); // whatever is left of the group no longer has anyone to talk to
        ended(signal ? `killed by ${signal}` : `exited with status ${code}`, signal !== null || code !== 0);
      });
    });
  }

  /** Starts the reader; a reader that cannot start reports it through `exited`. */
  static start(argv: readonly [string, ...string[]], listener: ReaderListener): ReaderProcess {
    return new ReaderProcess(argv, listener);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it and its output are gone. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.#stopping && !this.#ended) this.#terminateGroup(graceMs);
    this.#stopping = true;
    await this.#exited;
  }

  /** SIGKILL to its process group at once, synchronously (for a process that is exiting). */
  kill(): void {
    this.#stopping = true;
    this.#killGroup('SIGKILL');
  }

  #terminateGroup(graceMs: number): void {
    this.#killGroup('SIGTERM');
    clearTimeout(this.#killTimer);
    this.#killTimer = setTimeout(() => this.#killGroup('SIGKILL'), graceMs);
  }

  #killGroup(signal: NodeJS.Signals): void {
    if (this.#child.pid === undefined) return;
    try {
      process.kill(-this.#child.pid, signal);
    } catch {
      // ESRCH: nothing of the group is left.
    }
  }
}
