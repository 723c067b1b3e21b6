// `terok-clearance pending [--json]`: what every hub holds right now, for scripts and quick looks.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {hostPort} from '../../core/clearance/format.js';
import {identityLabel, protoLabel} from '../../core/clearance/identity.js';
import {bindingTarget} from '../../core/clearance/verdict.js';
import {EXIT} from '../exit-codes.js';
import {eventLine} from './event-json.js';
import {withHubs} from './hub-query.js';

export const summary = 'list the requests waiting at every hub (--json: one JSON line per request)';

const HELP = `usage: terok-clearance pending [--json]

Lists the blocked connections waiting for a verdict at every hub found (the session hub and the per-container
hubs), one per line: request id, target, protocol, who, hub. Answer one with terok-clearance allow|deny REQUEST_ID.

  --json   one line per request: {"hub": SOCKET_PATH, "event": CLEARANCE_EVENT}

An older hub without the Pending method cannot list what it holds; it is named on stderr.

exit codes: 0 listed (possibly nothing), 2 usage error, 3 no hub reachable
`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  const json = args.includes('--json');
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`terok-clearance pending: unexpected argument '${escapeTerminal(unknown[0]!)}'\n${HELP}`);
    return EXIT.USAGE;
  }
  return withHubs(async ({reached, failed, sessionPath}) => {
    for (const {label, reason} of failed) process.stderr.write(escapeTerminal(`hub ${label}: ${reason}`) + '\n');
    if (reached.length === 0) {
      if (failed.length === 0) process.stderr.write(escapeTerminal(`no hub is running (none found; the session hub would be at ${sessionPath})`) + '\n');
      return EXIT.UNREACHABLE;
    }
    const rows: string[][] = [];
    for (const hub of reached) {
      if (hub.pending === null) {
        process.stderr.write(escapeTerminal(`hub ${hub.label}: an older hub that cannot list its pending requests`) + '\n');
        continue;
      }
      for (const event of hub.pending) {
        if (json) {
          process.stdout.write(eventLine(hub.socket.path, event));
          continue;
        }
        rows.push([event.request_id, hostPort(bindingTarget(event), event.port), protoLabel(event.proto),
          identityLabel(event.container, event.dossier), `hub ${hub.label}`].map(escapeTerminal));
      }
    }
    if (!json) process.stdout.write(rows.length === 0 ? 'No pending requests.\n' : table(rows));
    return EXIT.OK;
  });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows.map((r) => r.map((cell, i) => i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length)).join('  '))
    .join('\n') + '\n';
}
