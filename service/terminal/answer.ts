// `terok-clearance allow|deny REQUEST_ID`: answers one request from a script. The hub holding it is found through
// Pending; the verdict carries the container and target bound to the request there, so nothing is guessed.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {identityLabel} from '../../core/clearance/identity.js';
import {resultText} from '../../core/clearance/format.js';
import {bindingTarget, type VerdictAction} from '../../core/clearance/verdict.js';
import {sendVerdict} from '../../core/client/clearance-calls.js';
import {EXIT} from '../exit-codes.js';
import {withHubs} from './hub-query.js';

const help = (action: VerdictAction) => `usage: terok-clearance ${action} REQUEST_ID

${action === 'allow' ? 'Allows' : 'Denies'} the destination of one pending request (ids as terok-clearance pending shows them) at
the hub that holds it: terok-shield ${action}s the target for that container.

exit codes:
  0  applied
  1  the shield (or the hub) refused; the request stays pending
  2  usage error
  3  no hub reachable
  4  unknown request: already answered, expired, or never emitted
`;

export const allow = {
  summary: 'allow one pending request by id (for scripts; see pending)',
  run: (args: string[]) => answer('allow', args),
};

export const deny = {
  summary: 'deny one pending request by id',
  run: (args: string[]) => answer('deny', args),
};

async function answer(action: VerdictAction, args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(help(action));
    return EXIT.OK;
  }
  const [requestId] = args;
  if (args.length !== 1 || !requestId || requestId.startsWith('-')) {
    process.stderr.write(help(action));
    return EXIT.USAGE;
  }
  const fail = (code: number, text: string) => {
    process.stderr.write(escapeTerminal(`terok-clearance ${action}: ${text}`) + '\n');
    return code;
  };
  return withHubs(async ({reached, failed, sessionPath}) => {
    for (const hub of reached) {
      const event = hub.pending?.find((e) => e.request_id === requestId);
      if (!event) continue;
      const target = bindingTarget(event);
      const outcome = await sendVerdict(hub.client, event.container, requestId, target, action);
      const who = identityLabel(event.container, event.dossier);
      switch (outcome.kind) {
        case 'applied':
          process.stdout.write(escapeTerminal(`${resultText({action, ok: true, target, stderr: ''})} (${who})`) + '\n');
          return EXIT.OK;
        case 'failed':
          return fail(EXIT.FAILED, `${resultText({action, ok: false, target, stderr: outcome.detail})} (${who})`);
        case 'unknown-request':
          return fail(EXIT.UNKNOWN_REQUEST, `${requestId} was answered meanwhile (by another client)`);
        case 'unreachable':
          return fail(EXIT.UNREACHABLE, `hub ${hub.label}: ${outcome.detail}`);
      }
    }
    if (reached.length === 0) {
      const why = failed.map((f) => `hub ${f.label}: ${f.reason}`).join('; ');
      return fail(EXIT.UNREACHABLE, `no hub reachable (${why || `none found; the session hub would be at ${sessionPath}`})`);
    }
    const blind = reached.filter((h) => h.pending === null).map((h) => h.label);
    const hint = blind.length > 0
      ? `; hub ${blind.join(', ')} cannot list its requests (an older hub): answer it in terok-clearance watch` : '';
    return fail(EXIT.UNKNOWN_REQUEST, `unknown request ${requestId}: not pending at any hub (already answered, expired or never emitted)${hint}`);
  });
}
