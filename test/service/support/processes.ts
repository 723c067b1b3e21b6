// What is still running, read from /proc: tests that promise "no children left" check it here. A zombie does not
// count (it runs nothing, and PID 1 in a container may never reap it).
import {readdirSync, readFileSync} from 'node:fs';

interface Stat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const [state, ppid, pgid, sid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {pid, state: state!, ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid)};
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z';
}

/** Live processes of a process group. */
export function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).map(Number)
    .map(stat).filter((s): s is Stat => s !== null && s.state !== 'Z' && s.pgid === pgid).map((s) => s.pid);
}

/** Live processes of a session (everything a program and its detached children started from one terminal). */
export function sessionMembers(sid: number): number[] {
  return readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).map(Number)
    .map(stat).filter((s): s is Stat => s !== null && s.state !== 'Z' && s.sid === sid).map((s) => s.pid);
}
