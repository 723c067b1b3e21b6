// Running a real peer as another uid (nobody), for the tests of the peer-uid checks. Needs root to setuid the child;
// the tests that use it are skipped otherwise (CI runs them as root).
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export const FOREIGN_UID = 65534;
export const canSwitchUid = process.getuid?.() === 0;

/**
 * A directory a foreign uid can reach a socket in (0711: traversable, not listable). Test-only: real sockets live
 * in a 0700 directory, which is exactly what keeps foreign writers out when the addon is missing.
 */
export function reachableDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/**
 * Starts `node -e script` as uid/gid 65534 with `args` in process.argv[1...]. The script runs as an ES module
 * (`--input-type=module`), so it may use top-level await and `import`.
 */
export function spawnAsForeignUid(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    uid: FOREIGN_UID, gid: FOREIGN_UID, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code and the stderr text of a child once it has exited. */
export function exited(child: ChildProcess): Promise<{code: number | null; stderr: string}> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({code, stderr})));
}
