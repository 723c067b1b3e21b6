// What the operator types at the watch prompt. Answers need an explicit number or container: there is no default
// target, so a stray Enter answers nothing.
import type {VerdictAction} from '../../core/clearance/verdict.js';

export type OperatorCommand =
  | {kind: 'answer'; action: VerdictAction; number: number}
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
      const [n] = args;
      if (args.length !== 1 || n === undefined || !NUMBER.test(n)) {
        return {kind: 'invalid', message: `usage: ${word} N, with N the number in brackets (l lists them)`};
      }
      return {kind: 'answer', action: word === 'a' ? 'allow' : 'deny', number: Number(n)};
    }
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
