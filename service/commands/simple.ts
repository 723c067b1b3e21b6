// `terok-clearance simple CONTAINER --state-dir DIR`: blocked connections of one container answered at a terminal,
// with no hub: the shield's reader runs as our child and prints JSON lines, and a/d run terok-shield directly.
import {existsSync, statSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {CONTAINER_ID} from '../../core/client/hub-sockets.js';
import {escapeTerminal} from '../../core/clearance/escape.js';
import {EXIT} from '../exit-codes.js';
import {identityResolverFromEnv, PODMAN_ENV} from '../identity/identity-config.js';
import type {IdentityResolver} from '../identity/identity-resolver.js';
import {runtimeDir} from '../paths.js';
import {answeringHub, guardedHubs, refusal} from '../simple/hub-guard.js';
import {ReaderProcess} from '../simple/reader-process.js';
import {SimpleClearance} from '../simple/simple-clearance.js';
import {paintFor} from '../terminal/paint.js';
import {PromptLine} from '../terminal/prompt-line.js';
import {DEFAULT_SHIELD_COMMAND} from '../verdict/shield-exec.js';
import {parseCommandArgs, usageError} from './args.js';

export const summary = 'answer one container\'s blocked connections at a terminal without a hub (runs its reader)';

/** Where terok-shield installs its reader (terok_shield.paths.reader_script_path), run as an executable. */
export function defaultReaderCommand(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME ?? '', '.local', 'share');
  return join(dataHome, 'terok', 'shield', 'nflog-reader.py');
}

const USAGE = `
usage: terok-clearance simple CONTAINER --state-dir DIR [--reader-command PATH] [--shield PATH]
For hosts without a hub: runs the shield's reader for one container and asks at this terminal about each
connection it blocks. The oldest request is asked about first; later ones wait their turn, and repeats of a waiting
destination are counted, not asked again.
  a, allow / d, deny   answer the request asked about: runs "SHIELD allow|deny CONTAINER TARGET" (TARGET is the
                       domain when the reader knows it, else the IP); a failed run keeps the request to try again
  l / h / q            list what is waiting / help / quit (quitting, Ctrl-C or end of input answers nothing)
  --state-dir DIR        the container's shield state directory (passed to the reader)
  --reader-command PATH  the reader, run as "PATH DIR CONTAINER --emit=json" (JSON lines on stdout). Default: the
                         reader script as terok-shield installs it, $XDG_DATA_HOME/terok/shield/nflog-reader.py
                         (XDG_DATA_HOME defaulting to ~/.local/share); the assumed interface is that script's
  --shield PATH          the terok-shield command (default: ${DEFAULT_SHIELD_COMMAND} on PATH; env TEROK_SHIELD)
Refuses to start while a hub that serves this container answers (the session hub, or the container's own): both
would apply verdicts. Container names are told from podman when it is on PATH (${PODMAN_ENV}=off: never).
exit: 0 quit, interrupted or input ended, 1 could not start (a hub answering, no reader) or the reader failed,
      2 usage`;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// What terok-shield takes as a container: no separators, and nothing that reads as an option.
const CONTAINER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('simple', USAGE, {
    'state-dir': {type: 'string'}, 'reader-command': {type: 'string'}, shield: {type: 'string'},
  }, args);
  if (typeof parsed === 'number') return parsed;
  const {values: v, positionals} = parsed;
  const [container, extra] = positionals;
  if (container === undefined) return usageError('simple', 'CONTAINER is missing', USAGE);
  if (extra !== undefined) return usageError('simple', `unexpected argument '${escapeTerminal(extra)}'`, USAGE);
  if (!CONTAINER.test(container)) return usageError('simple', `not a container name or id: '${escapeTerminal(container)}'`, USAGE);
  if (v['state-dir'] === undefined) return usageError('simple', '--state-dir is required', USAGE);
  const stateDir = resolve(v['state-dir']);
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) {
    return usageError('simple', `--state-dir ${escapeTerminal(stateDir)} is not a directory`, USAGE);
  }
  const identity = identityResolverFromEnv();
  const id = await containerId(container, identity);
  if ('problem' in id) {
    process.stderr.write(`terok-clearance simple: cannot tell the id of ${container} (${escapeTerminal(id.problem)}): `
      + 'only the session hub is checked for one that serves it\n');
  }
  const guarded = guardedHubs(runtimeDir(), 'id' in id ? id.id : null);
  const hub = await answeringHub(guarded);
  if (hub) {
    process.stderr.write(`terok-clearance simple: ${refusal(hub)}\n`);
    return EXIT.FAILED;
  }
  const reader = v['reader-command'] ?? defaultReaderCommand();
  return interactive({
    container, identity, readerArgv: [reader, stateDir, container, '--emit=json'],
    shield: v.shield ?? process.env.TEROK_SHIELD ?? DEFAULT_SHIELD_COMMAND,
  });
}

/** The 12-character id the per-container hub sockets are named by: from the argument, else from podman. */
async function containerId(container: string, identity: IdentityResolver): Promise<{id: string} | {problem: string}> {
  if (/^[0-9a-f]{12}(?:[0-9a-f]{52})?$/.test(container)) return {id: container.slice(0, 12)};
  const inspection = await identity.inspector.inspect(container);
  if ('problem' in inspection) return inspection;
  const id = inspection.info.id.slice(0, 12);
  return CONTAINER_ID.test(id) ? {id} : {problem: `podman gave the id ${JSON.stringify(inspection.info.id)}`};
}

interface Session {
  container: string;
  identity: IdentityResolver;
  readerArgv: [string, ...string[]];
  shield: string;
}

async function interactive(session: Session): Promise<number> {
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  const promptLine = new PromptLine('simple> ', {
    line: (line) => {
      if (clearance.input(line) === 'quit') stop(EXIT.OK);
    },
    end: () => stop(EXIT.OK),
  });
  const print = (lines: string[]) => promptLine.print(lines);
  const clearance = new SimpleClearance({
    container: session.container, shield: session.shield, identity: session.identity, paint: paintFor(process.stdout), print,
  });

  const onSignal = () => stop(EXIT.OK);
  // SIGHUP: the terminal went away; the reader must not outlive us.
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);

  clearance.message('info', `terok-clearance simple: watching ${session.container} (a allow, d deny, l list, h help, q quit)`);
  const reader = ReaderProcess.start(session.readerArgv, {
    line: (line) => clearance.readerLine(line),
    overlong: (limit) => clearance.message('error', `reader: a line over ${limit} bytes was dropped`),
    stderr: (line) => clearance.message('info', `reader: ${line}`),
    exited: (how, failed) => {
      clearance.message(failed ? 'error' : 'info', `the reader ${how}; stopping`);
      stop(failed ? EXIT.FAILED : EXIT.OK);
    },
  });
  // Should this process end without stopping the reader after all, its group still goes with it.
  const killReader = () => reader.kill();
  process.once('exit', killReader);
  const code = await stopped;
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  await reader.stop();
  await clearance.settled(); // a verdict already running gets its outcome shown
  const waiting = clearance.model.prompts().length;
  if (waiting > 0) clearance.message('info', `${waiting} request${waiting === 1 ? '' : 's'} left unanswered: still blocked`);
  clearance.close();
  promptLine.close();
  process.off('exit', killReader);
  return code;
}
