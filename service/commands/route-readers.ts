// `terok-clearance route-readers`: the reader router of the per-container layout (service/ingester/reader-router.ts).
import {ReaderRouter} from '../ingester/reader-router.js';
import {runtimeDir, sessionPaths} from '../paths.js';
import {listenFds} from '../varlink/socket-activation.js';
import {parseCommandArgs, usageError} from './args.js';
import {serveUntilSignal} from './until-signal.js';

const USAGE = `
usage: terok-clearance route-readers
For the per-container layout: owns the session reader socket ($XDG_RUNTIME_DIR/terok-shield-events.sock), where
terok-shield's readers and CLI write every container's events, and passes each line on to the reader socket of that
container's hub (terok/events/ID/ingester.sock, served by terok-clearance serve --container ID). A container with
no hub gets nothing: its blocks stay blocked, and the router logs it. Not for the session layout, whose hub owns the
same socket. Under systemd socket activation the socket named "reader" is taken as passed.
exit: 0 stopped by a signal, 1 could not start (the socket in use, an unsafe directory), 2 usage`;

export const routeReaders = {
  summary: 'per-container layout: pass the shield\'s reader lines to each container\'s hub',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('route-readers', USAGE, {}, args);
    if (typeof parsed === 'number') return parsed;
    if (parsed.positionals.length > 0) {
      return usageError('route-readers', `unexpected argument '${parsed.positionals[0]}'`, USAGE);
    }
    const inherited = listenFds().find((f) => f.name === 'reader');
    return serveUntilSignal('router', () => ReaderRouter.listen(inherited ? {fd: inherited.fd} : {path: sessionPaths().reader},
      {runtimeDir: runtimeDir()}));
  },
};
