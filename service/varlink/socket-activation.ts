// systemd socket activation (sd_listen_fds(3)): the listening sockets systemd passed us, from fd 3 on.

export interface ListenFd {
  fd: number;
  /** From LISTEN_FDNAMES (`FileDescriptorName=`); systemd's default is "unknown". */
  name: string;
}

const FIRST_FD = 3;

/**
 * The inherited listening fds, or none when LISTEN_PID names another process (the variables were meant for a
 * parent and leaked through exec). The variables are removed so our own children do not take the fds for theirs.
 */
export function listenFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): ListenFd[] {
  const {LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES} = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (LISTEN_PID === undefined || !/^[1-9][0-9]*$/.test(LISTEN_PID) || Number(LISTEN_PID) !== pid) return [];
  if (LISTEN_FDS === undefined || !/^[1-9][0-9]*$/.test(LISTEN_FDS)) return [];
  const names = LISTEN_FDNAMES?.split(':') ?? [];
  return Array.from({length: Number(LISTEN_FDS)}, (_, i) => ({fd: FIRST_FD + i, name: names[i] || 'unknown'}));
}
