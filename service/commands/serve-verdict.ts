// `terok-clearance serve-verdict`: the verdict helper. Runs until SIGTERM/SIGINT, then closes its socket.
import {containerPaths, sessionPaths} from '../paths.js';
import {DEFAULT_SHIELD_COMMAND, SHIELD_TIMEOUT_MS} from '../verdict/shield-exec.js';
import {startVerdictService} from '../verdict/verdict-service.js';
import {listenFds} from '../varlink/socket-activation.js';
import {parseCommandArgs, usageError} from './args.js';
import {serveUntilSignal} from './until-signal.js';

const USAGE = `
usage: terok-clearance serve-verdict [--container ID] [--shield PATH] [--timeout SECONDS]
Runs the verdict helper (org.terok.ClearanceVerdict1): each Apply runs "SHIELD allow|deny CONTAINER TARGET" as an
argv (never a shell) and answers {ok, stderr}. Without --container it serves the session socket
($XDG_RUNTIME_DIR/terok-clearance-verdict.sock); with --container ID, terok/verdict/ID.sock. Under systemd socket
activation the first socket passed is taken.
  --shield PATH        the terok-shield command (default: ${DEFAULT_SHIELD_COMMAND} on PATH; env TEROK_SHIELD)
  --timeout SECONDS    kill a shield run after this long (default ${SHIELD_TIMEOUT_MS / 1000})
exit: 0 stopped by a signal, 1 could not start, 2 usage`;

export const serveVerdict = {
  summary: 'run the verdict helper (org.terok.ClearanceVerdict1) that runs terok-shield',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('serve-verdict', USAGE, {
      container: {type: 'string'}, shield: {type: 'string'}, timeout: {type: 'string'},
    }, args);
    if (typeof parsed === 'number') return parsed;
    const {values: v} = parsed;
    if (parsed.positionals.length > 0) return usageError('serve-verdict', `unexpected argument '${parsed.positionals[0]}'`, USAGE);
    if (v.timeout !== undefined && !/^[1-9][0-9]{0,5}$/.test(v.timeout)) {
      return usageError('serve-verdict', '--timeout must be a whole number of seconds', USAGE);
    }
    let path: string;
    try {
      path = v.container === undefined ? sessionPaths().verdict : containerPaths(v.container).verdict;
    } catch (e) {
      return usageError('serve-verdict', (e as Error).message, USAGE);
    }
    const [inherited] = listenFds();
    return serveUntilSignal('verdict', () => startVerdictService(inherited ? {fd: inherited.fd} : {path}, {
      shieldCommand: v.shield ?? process.env.TEROK_SHIELD ?? DEFAULT_SHIELD_COMMAND,
      ...(v.timeout ? {timeoutMs: Number(v.timeout) * 1000} : {}),
    }));
  },
};
