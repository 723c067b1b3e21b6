// The demo's stand-in for terok-shield's reader: connects to the hub's reader socket and writes sample blocked
// connections on a timer, as the real reader writes NDJSON lines (reconnecting if the hub restarts).
import net from 'node:net';
import {sampleLine, sampleTarget} from './samples.js';

export interface DemoReader {
  stop(): void;
}

/**
 * Writes `first` lines at once-ish (200 ms apart), then one every `intervalMs`. A sample whose target the shield
 * now allows is skipped, as the real firewall would no longer block it.
 */
export function startDemoReader(
  readerSocket: string, intervalMs: number, allowed: (container: string, target: string) => boolean, first = 3,
): DemoReader {
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
    const {container, target} = sampleTarget(n);
    if (allowed(container, target)) counters.set(container, (counters.get(container) ?? 0) + 1);
    else socket.write(sampleLine(n, counters) + '\n');
    n++;
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
