// `terok-clearance serve`: the hub. Runs until SIGTERM/SIGINT, then closes its sockets and exits 0.
import {DEFAULT_BINDING_LIMITS} from '../hub/bindings.js';
import {startHubService} from '../hub/hub-service.js';
import {containerPaths, sessionPaths} from '../paths.js';
import {parseCommandArgs, usageError} from './args.js';
import {serveUntilSignal} from './until-signal.js';

const USAGE = `
usage: terok-clearance serve [--container ID] [--max-pending N] [--max-pending-age SECONDS] [--queue-depth N]
Runs the hub (org.terok.Clearance1) and its reader socket. Without --container it is the session hub
($XDG_RUNTIME_DIR/terok-clearance.sock, reader terok-shield-events.sock); with --container ID it serves that
container's layout (terok/clearance/ID/hub.sock, reader terok/events/ID/ingester.sock). Verdicts go to the verdict
helper of the same layout (terok-clearance serve-verdict). Under systemd socket activation the sockets named
"varlink" and "reader" are taken as passed.
  --max-pending N            pending requests kept at most; the oldest is dropped beyond (default ${DEFAULT_BINDING_LIMITS.maxBindings})
  --max-pending-age SECONDS  pending requests older than this are dropped (default ${DEFAULT_BINDING_LIMITS.maxAgeMs / 1000})
  --queue-depth N            events queued per subscriber that stops reading; the oldest are dropped beyond (default 128)
exit: 0 stopped by a signal, 1 could not start (a socket in use, an unsafe directory), 2 usage`;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new Error(`${name} must be a positive integer`);
  return Number(value);
}

export const serve = {
  summary: 'run the hub (org.terok.Clearance1) and its reader socket',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('serve', USAGE, {
      container: {type: 'string'}, 'max-pending': {type: 'string'}, 'max-pending-age': {type: 'string'},
      'queue-depth': {type: 'string'},
    }, args);
    if (typeof parsed === 'number') return parsed;
    const {values: v} = parsed;
    if (parsed.positionals.length > 0) return usageError('serve', `unexpected argument '${parsed.positionals[0]}'`, USAGE);
    let options;
    try {
      const maxAge = positiveInt(v['max-pending-age'], '--max-pending-age');
      const queueDepth = positiveInt(v['queue-depth'], '--queue-depth');
      options = {
        paths: v.container === undefined ? sessionPaths() : containerPaths(v.container),
        name: v.container ?? 'session',
        socketActivation: true,
        limits: {
          maxBindings: positiveInt(v['max-pending'], '--max-pending') ?? DEFAULT_BINDING_LIMITS.maxBindings,
          maxAgeMs: maxAge !== undefined ? maxAge * 1000 : DEFAULT_BINDING_LIMITS.maxAgeMs,
        },
        ...(queueDepth !== undefined ? {queueDepth} : {}),
      };
    } catch (e) {
      return usageError('serve', (e as Error).message, USAGE);
    }
    return serveUntilSignal('hub', () => startHubService(options));
  },
};
