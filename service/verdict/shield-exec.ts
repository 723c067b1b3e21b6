// Runs `terok-shield <action> <container> <dest>` for one verdict (wire.md §3): an argv, never a shell; stdout
// discarded; the first 512 bytes of stderr kept; a deadline after which the whole process group is killed
// (service/process/argv-exec.ts). Every way it can go wrong — missing binary, spawn error, non-zero exit, signal,
// timeout — is an `{ok: false}` result with a reason, never a rejection, so no failure can be mistaken for anything
// but a failed verdict.
import {execArgv} from '../process/argv-exec.js';

export {stderrSnippet, STDERR_CAP_BYTES} from '../process/argv-exec.js';

export const SHIELD_TIMEOUT_MS = 10_000;
/** The real shield on PATH, when configuration names no explicit path. */
export const DEFAULT_SHIELD_COMMAND = 'terok-shield';

export interface ShieldResult {
  ok: boolean;
  stderr: string;
}

/**
 * The shield to run: a path or a name looked up on PATH, or an argv prefix such as
 * [process.execPath, 'simulated-shield.js'] for a stand-in that is not an executable of its own.
 */
export type ShieldCommand = string | readonly [string, ...string[]];

export async function runShield(
  shield: ShieldCommand, action: string, container: string, dest: string, timeoutMs = SHIELD_TIMEOUT_MS,
): Promise<ShieldResult> {
  const [command, ...prefix] = typeof shield === 'string' ? [shield] : shield;
  const result = await execArgv(command, [...prefix, action, container, dest], {timeoutMs});
  switch (result.kind) {
    case 'exited':
      if (result.code === 0) return {ok: true, stderr: result.stderr};
      return {ok: false, stderr: result.stderr || `${command} exited with status ${result.code}`};
    case 'killed':
      return {ok: false, stderr: result.stderr || `${command} killed by ${result.signal}`};
    case 'timeout':
      return {ok: false, stderr: `timed out after ${timeoutMs / 1000} s, killed${result.stderr ? `: ${result.stderr}` : ''}`};
    case 'unstartable':
      return {ok: false, stderr: result.reason};
  }
}
