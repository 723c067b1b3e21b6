// What the operator types at the watch prompt. Answers need an explicit number or container: there is no default
// target, so a stray Enter answers nothing.
import type {VerdictAction} from '../../core/clearance/verdict.js';
import {isScopeKind, parseLasting, type Lasting, type ScopeKind} from '../../core/decisions/decision.js';

/** How long, where and how wide an answer typed as `a N 1h project domain` lasts. */
export interface TypedLasting {
  readonly lasting: Lasting;
  readonly scope: ScopeKind;
  readonly domain: boolean;
}

export type OperatorCommand =
  /** `lasting` null: this request only. */
  | {kind: 'answer'; action: VerdictAction; number: number; lasting: TypedLasting | null}
  /** y or n to the confirmation last asked for. */
  | {kind: 'confirm'; yes: boolean}
  /** `container` is a number from the list or a container id, as typed. */
  | {kind: 'answer-container'; action: VerdictAction; container: string}
  | {kind: 'list'}
  | {kind: 'help'}
  | {kind: 'quit'}
  | {kind: 'nothing'}
  | {kind: 'invalid'; message: string};

const NUMBER = /^[1-9][0-9]{0,8}$/;
const CONTAINER_REF = /^(?:[1-9][0-9]{0,8}|[0-9a-f]{12})$/;

export const COMMAND_HELP = [
  'a N   allow request [N]',
  'd N   deny request [N]',
  'a N WHEN [SCOPE] [domain]   allow it lastingly: WHEN 15m, 1h, 8h, 1h30m, until-exit or always; SCOPE container',
  '      (default), project or all; domain: the whole *.domain (e.g. a 3 1h, d 3 always project); asks y/n first',
  '      for a whole domain or "always all"',
  'A C   allow every pending request of container C (its number in the list, or its id)',
  'D C   deny every pending request of container C',
  'l     list pending requests, containers, hubs and alerts',
  'h     this help',
  'q     quit (answers nothing: pending requests stay blocked until someone answers them)',
];

export function parseOperatorCommand(line: string): OperatorCommand {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const [word, ...args] = words;
  if (word === undefined) return {kind: 'nothing'};
  switch (word) {
    case 'a': case 'd': {
      const [n, ...rest] = args;
      if (n === undefined || !NUMBER.test(n)) {
        return {kind: 'invalid', message: `usage: ${word} N [WHEN [SCOPE] [domain]], with N the number in brackets (l lists them)`};
      }
      const lasting = rest.length === 0 ? null : typedLasting(rest);
      if (typeof lasting === 'string') return {kind: 'invalid', message: lasting};
      return {kind: 'answer', action: word === 'a' ? 'allow' : 'deny', number: Number(n), lasting};
    }
    case 'y': case 'yes': case 'n': case 'no':
      if (args.length > 0) return {kind: 'invalid', message: `${word} takes no arguments`};
      return {kind: 'confirm', yes: word.startsWith('y')};
    case 'A': case 'D': {
      const [c] = args;
      if (args.length !== 1 || c === undefined || !CONTAINER_REF.test(c)) {
        return {kind: 'invalid', message: `usage: ${word} C, with C a container number from the list or a 12-character container id`};
      }
      return {kind: 'answer-container', action: word === 'A' ? 'allow' : 'deny', container: c};
    }
    case 'l': case 'h': case '?': case 'q':
      if (args.length > 0) return {kind: 'invalid', message: `${word} takes no arguments`};
      return {kind: word === 'l' ? 'list' : word === 'q' ? 'quit' : 'help'};
    default:
      return {kind: 'invalid', message: `unknown command '${word}' (h for help)`};
  }
}

/** `WHEN [SCOPE] [domain]`, or what is wrong with it. */
function typedLasting(words: string[]): TypedLasting | string {
  const [when, ...more] = words;
  const lasting = parseLasting(when!);
  if (!lasting || lasting.kind === 'once') return `'${when}' is not 15m, 1h, 8h, 1h30m, until-exit or always`;
  let scope: ScopeKind = 'container';
  let domain = false;
  for (const w of more) {
    if (isScopeKind(w) && scope === 'container') scope = w;
    else if (w === 'domain' && !domain) domain = true;
    else return `'${w}': expected container, project, all or domain (once each)`;
  }
  return {lasting, scope, domain};
}
