// Runs `terok-shield <action> <container> <dest>` for one verdict (wire.md §3): an argv, never a shell; stdout
// discarded; the first 512 bytes of stderr kept; a deadline after which the whole process group is killed. Every
// way it can go wrong — missing binary, spawn error, non-zero exit, signal, timeout — is an `{ok: false}` result
// with a reason, never a rejection, so no failure can be mistaken for anything but a failed verdict.
import {spawn} from 'node:child_process';

export const SHIELD_TIMEOUT_MS = 10_000;
export const STDERR_CAP_BYTES = 512;
const STDERR_GRACE_MS = 200;
/** The real shield on PATH, when configuration names no explicit path. */
export const DEFAULT_SHIELD_COMMAND = 'terok-shield';

export interface ShieldResult {
  ok: boolean;
  stderr: string;
}

/** What the operator sees of stderr: at most 512 bytes, UTF-8 with replacement characters, trimmed. */
export function stderrSnippet(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, STDERR_CAP_BYTES)).trim();
}

/**
 * The shield to run: a path or a name looked up on PATH, or an argv prefix such as
 * [process.execPath, 'simulated-shield.js'] for a stand-in that is not an executable of its own.
 */
export type ShieldCommand = string | readonly [string, ...string[]];

export function runShield(
  shield: ShieldCommand, action: string, container: string, dest: string, timeoutMs = SHIELD_TIMEOUT_MS,
): Promise<ShieldResult> {
  const [command, ...prefix] = typeof shield === 'string' ? [shield] : shield;
  return new Promise((resolve) => {
    try {
      run(command, [...prefix, action, container, dest], timeoutMs, resolve);
    } catch (e) {
      // spawn() throws synchronously for arguments it cannot pass at all (a NUL byte).
      resolve({ok: false, stderr: `cannot run ${command}: ${(e as Error).message}`});
    }
  });
}

function run(command: string, args: string[], timeoutMs: number, resolve: (r: ShieldResult) => void): void {
  // detached: the shield leads its own process group, so a timeout kills whatever it started (nft, podman
  // unshare) along with it instead of leaving them holding the firewall lock.
  const child = spawn(command, args, {stdio: ['ignore', 'ignore', 'pipe'], detached: true});
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let settled = false;
  const finish = (result: ShieldResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    resolve(result);
  };
  const snippet = () => stderrSnippet(Buffer.concat(kept));

  // Read past the cap and drop the rest: a shield blocked on a full pipe would only hit the deadline.
  child.stderr.on('data', (chunk: Buffer) => {
    if (keptBytes < STDERR_CAP_BYTES) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
  });
  child.stderr.on('error', () => {}); // destroyed on timeout; the outcome is decided elsewhere

  const timer = setTimeout(() => {
    killGroup(child.pid);
    child.stderr.destroy();
    const partial = snippet();
    finish({ok: false, stderr: `timed out after ${timeoutMs / 1000} s, killed${partial ? `: ${partial}` : ''}`});
  }, timeoutMs);

  child.on('error', (e: NodeJS.ErrnoException) => {
    killGroup(child.pid);
    finish({ok: false, stderr: `cannot run ${command}: ${e.code === 'ENOENT' ? 'not found' : e.message}`});
  });
  // The verdict is decided by the shield's own exit, but 'close' (all of stderr read) comes after it only when
  // nothing the shield left running still holds the pipe: give stragglers a moment, then stop listening to them.
  child.on('exit', () => setTimeout(() => child.stderr.destroy(), STDERR_GRACE_MS).unref());
  child.on('close', (code, signal) => {
    const text = snippet();
    if (code === 0) return finish({ok: true, stderr: text});
    const status = signal ? `killed by ${signal}` : `exited with status ${code}`;
    finish({ok: false, stderr: text || `${command} ${status}`});
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
