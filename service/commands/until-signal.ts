// Long-running commands stop on SIGTERM (systemd) or SIGINT (Ctrl-C) and then clean up in their own order.
import {EXIT} from '../exit-codes.js';
import {logger} from '../log.js';

export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Starts a service, runs it until a stop signal, then closes it: exit 0, or 1 when it could not start. */
export async function serveUntilSignal(scope: string, start: () => Promise<{close(): Promise<void>}>): Promise<number> {
  // Listening before the sockets are: a stop signal that arrives while they come up must still unlink them.
  const stopped = untilSignal();
  let running;
  try {
    running = await start();
  } catch (e) {
    logger(scope).error(`cannot start: ${(e as Error).message}`);
    return EXIT.FAILED;
  }
  await stopped;
  await running.close();
  return EXIT.OK;
}
