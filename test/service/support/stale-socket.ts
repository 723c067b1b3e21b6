// A stale socket file: bound by a process that exited without unlinking it, so connecting is refused.
import {execFileSync} from 'node:child_process';

export function makeStaleSocket(path: string): void {
  execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
}
