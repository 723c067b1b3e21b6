// `terok-clearance` entry point: dispatches to one module per command. Each command module exports
// `run(args) => Promise<number>` (the exit code) and a one-line `summary` for the top-level help.
import {EXIT} from './exit-codes.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  install: async () => (await import('./commands/install.js')).install,
  uninstall: async () => (await import('./commands/install.js')).uninstall,
  status: async () => (await import('./commands/status.js')).status,
  serve: async () => (await import('./commands/serve.js')).serve,
  'serve-verdict': async () => (await import('./commands/serve-verdict.js')).serveVerdict,
  'route-readers': async () => (await import('./commands/route-readers.js')).routeReaders,
  demo: async () => (await import('./commands/demo.js')).demo,
  notify: () => import('./commands/notify.js'),
  notifier: () => import('./commands/notifier.js'),
  watch: () => import('./terminal/watch.js'),
  pending: () => import('./terminal/pending.js'),
  allow: async () => (await import('./terminal/answer.js')).allow,
  deny: async () => (await import('./terminal/answer.js')).deny,
  rules: () => import('./commands/rules.js'),
  grants: () => import('./terminal/grants.js'),
  log: () => import('./commands/log.js'),
  simple: () => import('./commands/simple.js'),
};

function usage(): string {
  const lines = ['usage: terok-clearance COMMAND [ARGS...]   (terok-clearance COMMAND --help for details)', '', 'commands:'];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const out = [usage()];
    for (const [cmd, load] of Object.entries(COMMANDS)) out.push(`  ${cmd.padEnd(16)}${(await load()).summary}`);
    process.stdout.write(out.join('\n') + '\n');
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`terok-clearance: unknown command '${name}' (see terok-clearance --help)\n`);
    return EXIT.USAGE;
  }
  return (await load()).run(rest);
}

process.exitCode = await main(process.argv.slice(2));
