// Runs one program as an argv (never a shell) with a deadline, for callers that must never hang or throw: the
// shield for a verdict, podman for a container's identity. stdin is closed; stderr is kept up to 512 bytes and
// stdout (when asked for) up to a cap; the program leads its own process group, so the deadline kills whatever it
// started along with it. Every outcome is a value.
import {spawn} from 'node:child_process';

export const STDERR_CAP_BYTES = 512;
const PIPE_GRACE_MS = 200;

export interface ExecOptions {
  timeoutMs: number;
  /** Bytes of stdout kept; 0 (the default) discards stdout. */
  stdoutCapBytes?: number;
}

export type ExecResult =
  /** `stdoutTruncated`: the program wrote more than the cap; what is kept is only its beginning. */
  | {kind: 'exited'; code: number; stdout: Buffer; stdoutTruncated: boolean; stderr: string}
  | {kind: 'killed'; signal: NodeJS.Signals; stderr: string}
  /** The deadline passed and the process group was killed; `stderr` is what it had written so far. */
  | {kind: 'timeout'; stderr: string}
  /** It never ran: not found, not executable, an argument no exec can carry. */
  | {kind: 'unstartable'; reason: string};

/** What the operator sees of stderr: at most 512 bytes, UTF-8 with replacement characters, trimmed. */
export function stderrSnippet(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, STDERR_CAP_BYTES)).trim();
}

export function execArgv(command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    try {
      run(command, args, options, resolve);
    } catch (e) {
      // spawn() throws synchronously for arguments it cannot pass at all (a NUL byte).
      resolve({kind: 'unstartable', reason: `cannot run ${command}: ${(e as Error).message}`});
    }
  });
}

/** Keeps the first `cap` bytes of a stream and reads (and drops) the rest, so the writer never blocks on a full pipe. */
class Capture {
  readonly #kept: Buffer[] = [];
  #bytes = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    const room = this.cap - this.#bytes;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#kept.push(part);
    this.#bytes += part.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#kept);
  }
}

function run(command: string, args: readonly string[], options: ExecOptions, resolve: (r: ExecResult) => void): void {
  const stdoutCap = options.stdoutCapBytes ?? 0;
  // detached: the program leads its own process group, so a timeout kills whatever it started (nft, podman
  // unshare, conmon) along with it instead of leaving them holding a lock.
  const child = spawn(command, args, {stdio: ['ignore', stdoutCap > 0 ? 'pipe' : 'ignore', 'pipe'], detached: true});
  const pipes = [child.stderr, child.stdout].filter((p) => p !== null);
  const stderr = new Capture(STDERR_CAP_BYTES);
  const stdout = new Capture(stdoutCap);
  let settled = false;
  const finish = (result: ExecResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolve(result);
  };
  const snippet = () => stderrSnippet(stderr.bytes());

  child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
  child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
  for (const pipe of pipes) pipe.on('error', () => {}); // destroyed on timeout; the outcome is decided elsewhere

  const timer = setTimeout(() => {
    killGroup(child.pid);
    for (const pipe of pipes) pipe.destroy();
    finish({kind: 'timeout', stderr: snippet()});
  }, options.timeoutMs);

  child.on('error', (e: NodeJS.ErrnoException) => {
    killGroup(child.pid);
    finish({kind: 'unstartable', reason: `cannot run ${command}: ${e.code === 'ENOENT' ? 'not found' : e.message}`});
  });
  // The outcome is decided by the program's own exit, but 'close' (all output read) comes after it only when
  // nothing it left running still holds the pipes: give stragglers a moment, then stop listening to them.
  child.on('exit', () => setTimeout(() => {
    for (const pipe of pipes) pipe.destroy();
  }, PIPE_GRACE_MS).unref());
  child.on('close', (code, signal) => {
    if (signal) return finish({kind: 'killed', signal, stderr: snippet()});
    finish({kind: 'exited', code: code ?? 0, stdout: stdout.bytes(), stdoutTruncated: stdout.truncated, stderr: snippet()});
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}
