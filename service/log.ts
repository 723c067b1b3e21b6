// Logging for the service side: one line per record on stderr. Under journald (stderr not a tty) each line
// carries an sd-daemon priority prefix so `journalctl -p` filters work; on a tty it is plain, without colour
// codes unless the terminal asks for them.
export type Level = 'error' | 'warning' | 'info' | 'debug';

const PRIORITY: Record<Level, number> = {error: 3, warning: 4, info: 6, debug: 7};
const ORDER: Level[] = ['error', 'warning', 'info', 'debug'];

let threshold: Level = (process.env.TEROK_CLEARANCE_LOG as Level | undefined) ?? 'info';
const journald = !process.stderr.isTTY;

export function setLogLevel(level: Level): void {
  threshold = level;
}

function emit(level: Level, scope: string, message: string): void {
  if (ORDER.indexOf(level) > ORDER.indexOf(threshold)) return;
  const text = `${scope}: ${message}`.replace(/\n/g, ' ');
  process.stderr.write(journald ? `<${PRIORITY[level]}>${text}\n` : `${level === 'info' ? '' : level + ': '}${text}\n`);
}

export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function logger(scope: string): Logger {
  return {
    error: (m) => emit('error', scope, m),
    warning: (m) => emit('warning', scope, m),
    info: (m) => emit('info', scope, m),
    debug: (m) => emit('debug', scope, m),
  };
}
