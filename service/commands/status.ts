// `terok-clearance status`: what runs, which sockets answer, whether the installed units are current.
import {existsSync, lstatSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import {escapeTerminal} from '../../core/clearance/escape.js';
import {EXIT} from '../exit-codes.js';
import {runtimeDir, sessionPaths} from '../paths.js';
import {withHubs} from '../terminal/hub-query.js';
import {currentUnits, installedState, userUnitsDir, type UnitState} from '../units/user-units.js';
import {VarlinkClient} from '../varlink/client.js';
import {parseCommandArgs, usageError} from './args.js';

const USAGE = `
usage: terok-clearance status [--json]
Shows every hub found (session and per-container) and whether it answers, the verdict helpers and reader sockets,
and whether the installed systemd user units match this version.
  --json   the same as one JSON object
exit: 0 all well, 1 a socket that does not answer or an outdated unit, 2 usage, 3 no hub reachable`;

interface SocketStatus {
  path: string;
  answers: boolean;
  detail: string;
}

interface Status {
  hubs: {label: string; path: string; answers: boolean; pending: number | null; detail: string}[];
  verdictHelpers: SocketStatus[];
  readers: {path: string; present: boolean}[];
  units: {file: string; state: UnitState; version?: string}[];
}

const isSocket = (path: string) => {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
};

/** Socket files directly in `dir` (or at `dir/<id>/<name>` when `nested` names the file). */
function socketsIn(dir: string, nested?: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((e) => (nested ? join(dir, e, nested) : join(dir, e))).filter(isSocket).sort();
}

async function probe(path: string): Promise<SocketStatus> {
  try {
    const client = await VarlinkClient.connect(path, {timeoutMs: 2000, callTimeoutMs: 2000});
    try {
      const info = await client.call('org.varlink.service.GetInfo');
      return {path, answers: true, detail: `${info.product} ${info.version}`};
    } finally {
      client.close();
    }
  } catch (e) {
    return {path, answers: false, detail: (e as Error).message};
  }
}

async function gather(): Promise<Status> {
  const runtime = runtimeDir();
  const session = sessionPaths(runtime);
  const hubs = await withHubs(async ({reached, failed}) => [
    ...reached.map((h) => ({label: h.label, path: h.socket.path, answers: true, pending: h.pending?.length ?? null,
      detail: h.pending ? `${h.pending.length} pending` : 'answers (no Pending method: an older hub)'})),
    ...failed.map((f) => ({label: f.label, path: '', answers: false, pending: null, detail: f.reason})),
  ], runtime);
  const verdictPaths = [session.verdict, ...socketsIn(join(runtime, 'terok', 'verdict'))].filter(isSocket);
  const readerPaths = [session.reader, ...socketsIn(join(runtime, 'terok', 'events'), 'ingester.sock'),
    ...socketsIn(join(runtime, 'terok', 'events'))];
  const units = await Promise.all(currentUnits().map(async (u) => ({file: u.file, ...await installedState(userUnitsDir(), u)})));
  return {
    hubs,
    verdictHelpers: await Promise.all(verdictPaths.map(probe)),
    readers: readerPaths.filter((p, i) => i === 0 || isSocket(p)).map((path) => ({path, present: isSocket(path)})),
    units,
  };
}

function render(s: Status): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  if (s.hubs.length === 0) lines.push(`hubs:    none running (the session hub would be at ${sessionPaths().hub})`);
  for (const h of s.hubs) lines.push(`hub      ${mark(h.answers)} ${h.label}: ${h.detail}${h.path ? ` (${h.path})` : ''}`);
  if (s.verdictHelpers.length === 0) lines.push(`verdict: none running (the session helper would be at ${sessionPaths().verdict})`);
  for (const v of s.verdictHelpers) lines.push(`verdict  ${mark(v.answers)} ${v.path}: ${v.detail}`);
  for (const r of s.readers) lines.push(`reader   ${r.present ? 'ok  ' : '--  '} ${r.path}${r.present ? '' : ' (absent)'}`);
  for (const u of s.units) {
    lines.push(`unit     ${u.state === 'outdated' ? 'OLD ' : u.state === 'current' ? 'ok  ' : '--  '} ${u.file}: ${u.state}` +
      (u.state === 'outdated' ? ` (installed ${u.version ?? 'unstamped'}; run terok-clearance install)` : ''));
  }
  return lines.map(escapeTerminal).join('\n') + '\n';
}

export const status = {
  summary: 'show running hubs, helpers, sockets and installed units',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('status', USAGE, {json: {type: 'boolean'}}, args);
    if (typeof parsed === 'number') return parsed;
    if (parsed.positionals.length > 0) return usageError('status', `unexpected argument '${parsed.positionals[0]}'`, USAGE);
    const s = await gather();
    process.stdout.write(parsed.values.json ? JSON.stringify(s) + '\n' : render(s));
    if (!s.hubs.some((h) => h.answers)) return EXIT.UNREACHABLE;
    const problem = s.hubs.some((h) => !h.answers) || s.verdictHelpers.some((v) => !v.answers) ||
      s.units.some((u) => u.state === 'outdated');
    return problem ? EXIT.FAILED : EXIT.OK;
  },
};
