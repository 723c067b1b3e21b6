// `terok-clearance log [--json] [-n N] [--follow]`: the decision log ($XDG_STATE_HOME/terok-clearance/decisions.jsonl)
// as a person or a script reads it; --follow keeps printing what the hubs append, across a rotation.
import {open, stat} from 'node:fs/promises';
import {escapeTerminal} from '../../core/clearance/escape.js';
import {localClockTime} from '../../core/clearance/format.js';
import {deciderText, logLine, parseLog, type DecisionLogEntry} from '../../core/decisions/decision-log.js';
import {decisionPaths} from '../decisions/decision-paths.js';
import {DecisionLogFile} from '../decisions/decision-log-file.js';
import {EXIT} from '../exit-codes.js';
import {parseCommandArgs, usageError} from './args.js';
import {untilSignal} from './until-signal.js';

export const summary = 'show the decision log: who allowed or denied what, when (--follow: as it happens)';

const HELP = `
usage: terok-clearance log [--json] [-n N] [--follow]

Every verdict that reached the shield, oldest first: the time, who decided (the operator with the UI and uid, a
rule, a grant, a grant's expiry, a container's exit or a revocation), the action, the target, the container and
whether the shield applied it. Read from $XDG_STATE_HOME/terok-clearance/decisions.jsonl (and its rotated .1, .2).
  -n N       the last N decisions (default 20)
  --follow   then keep printing each new decision until interrupted (follows the log's rotation)
  --json     the log's own lines (one JSON object per decision)

exit codes: 0 done (or interrupted while following), 2 usage error
`;

const POLL_MS = 200;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('log', HELP, {
    json: {type: 'boolean'}, n: {type: 'string', short: 'n'}, follow: {type: 'boolean'},
  }, args);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) return usageError('log', `unexpected argument '${escapeTerminal(parsed.positionals[0]!)}'`, HELP);
  const n = parsed.values.n === undefined ? 20 : Number(parsed.values.n);
  if (!Number.isInteger(n) || n < 0 || !/^\d+$/.test(parsed.values.n ?? '20')) return usageError('log', `-n ${parsed.values.n}: not a count`, HELP);
  const path = decisionPaths().log;
  const print = (e: DecisionLogEntry) => process.stdout.write(parsed.values.json ? logLine(e) : `${humanLine(e)}\n`);
  // Where following starts: the file as it is before the tail is read, so nothing appended meanwhile is missed twice.
  const start = parsed.values.follow ? await position(path) : null;
  for (const entry of n > 0 ? await new DecisionLogFile(path).recent(n) : []) print(entry);
  if (start) await follow(path, start, print);
  return EXIT.OK;
}

/** "10:00:01  operator (cli, uid 1000)  allow registry.example.net:443  warp/t1 · agent  ok" */
export function humanLine(e: DecisionLogEntry): string {
  const at = Date.parse(e.at);
  const target = e.port ? `${e.target}:${e.port}` : e.target;
  const who = e.identity ? `${e.identity} (${e.container})` : e.container;
  const result = e.ok ? 'ok' : `failed: ${e.stderr}`;
  const lasting = e.lasting && e.lasting !== 'once' ? ` [${e.lasting}${e.decision ? ` ${e.decision}` : ''}]` : '';
  return escapeTerminal(`${Number.isNaN(at) ? e.at : localClockTime(at)}  ${deciderText(e)}  ${e.action} ${target}${lasting}  ${who}  ${result}`);
}

interface Position {
  ino: number;
  offset: number;
}

async function position(path: string): Promise<Position> {
  try {
    const s = await stat(path);
    return {ino: s.ino, offset: s.size};
  } catch {
    return {ino: -1, offset: 0};
  }
}

/** Prints whole lines appended after `from`; a new file under the name (rotation) is read from its start. */
async function follow(path: string, from: Position, print: (e: DecisionLogEntry) => void): Promise<void> {
  let at = from;
  let partial = '';
  let stopped = false;
  void untilSignal().then(() => {
    stopped = true;
  });
  while (!stopped) {
    const now = await position(path);
    if (now.ino !== at.ino || now.offset < at.offset) {
      at = {ino: now.ino, offset: 0};
      partial = '';
    }
    if (now.offset > at.offset) {
      const text = partial + await readRange(path, at.offset, now.offset);
      at = {ino: at.ino, offset: now.offset};
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      for (const entry of parseLog(text.slice(0, cut))) print(entry);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function readRange(path: string, start: number, end: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const {bytesRead} = await file.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
