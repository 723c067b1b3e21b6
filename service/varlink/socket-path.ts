// Where the user's sockets live (wire.md §5).
import {isAbsolute} from 'node:path';

/** `$XDG_RUNTIME_DIR` when set to an absolute path, else `/run/user/<uid>`. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.XDG_RUNTIME_DIR;
  return dir && isAbsolute(dir) ? dir : `/run/user/${process.getuid!()}`;
}
