// Command-line parsing shared by every command: node:util's parseArgs, plus --help and usage errors handled the
// same way everywhere (help on stdout, exit 0; a usage error on stderr, exit 2).
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {EXIT} from '../exit-codes.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{options: O; allowPositionals: true; strict: true}>>;

/** The parsed arguments, or the exit code to return at once (help shown, or a usage error reported). */
export function parseCommandArgs<O extends Options>(
  command: string, usage: string, options: O, args: string[],
): Parsed<O> | number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    return EXIT.OK;
  }
  try {
    return parseArgs({args, options, allowPositionals: true, strict: true}) as Parsed<O>;
  } catch (e) {
    process.stderr.write(`terok-clearance ${command}: ${(e as Error).message}\n${usage.trim().split('\n')[0]}\n`);
    return EXIT.USAGE;
  }
}

/** Reports a usage error the same way parseCommandArgs does. */
export function usageError(command: string, message: string, usage: string): number {
  process.stderr.write(`terok-clearance ${command}: ${message}\n${usage.trim().split('\n')[0]}\n`);
  return EXIT.USAGE;
}
