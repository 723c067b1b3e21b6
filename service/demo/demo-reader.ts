// The demo's stand-in for terok-shield's reader: connects to the hub's reader socket and writes sample blocked
// connections on a timer, as the real reader writes NDJSON lines (reconnecting if the hub restarts).
import net from 'node:net';
import {sampleLine} from './samples.js';

export interface DemoReader {
  stop(): void;
}

/** Writes `first` lines at once-ish (200 ms apart), then one every `intervalMs`. */
export function startDemoReader(readerSocket: string, intervalMs: number, first = 3): DemoReader {
  const counters = new Map<string, number>();
  let n = 0;
  let socket: net.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const schedule = () => {
    if (!stopped) timer = setTimeout(tick, n < first ? 200 : intervalMs);
  };
  const tick = () => {
    if (!socket || socket.destroyed) {
      socket = net.connect({path: readerSocket});
      socket.on('error', () => socket?.destroy());
    }
    socket.write(sampleLine(n++, counters) + '\n');
    schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      socket?.end();
    },
  };
}
