// `terok-clearance demo`: the whole loop on a machine without terok-shield. A private runtime directory holds a
// hub, a verdict helper running the simulated shield, and a simulated reader writing sample blocks; the terminal
// client answers them. Nothing outside that directory is touched, and it is removed on exit.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {startDemoReader} from '../demo/demo-reader.js';
import {EXIT} from '../exit-codes.js';
import {startHubService} from '../hub/hub-service.js';
import {setLogLevel} from '../log.js';
import {sessionPaths} from '../paths.js';
import {simulatedShieldCommand} from '../verdict/simulated-shield.js';
import {startVerdictService} from '../verdict/verdict-service.js';
import {parseCommandArgs, usageError} from './args.js';

const USAGE = `
usage: terok-clearance demo [--interval SECONDS] [--json]
Runs a demo hub, verdict helper and simulated terok-shield in a private temporary directory, feeds them sample
blocked connections (three at once, then one every --interval seconds, default 8) and opens the terminal client
(terok-clearance watch) on them: answer with "a N" / "d N", list with "l", quit with "q". On quit it prints what the
simulated shield was asked to do. --json streams the events instead of prompting (until Ctrl-C).
exit: 0 on quit, 1 could not start, 2 usage`;

export const demo = {
  summary: 'run a self-contained demo: hub, verdict helper, simulated shield and terminal prompt',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('demo', USAGE, {interval: {type: 'string'}, json: {type: 'boolean'}}, args);
    if (typeof parsed === 'number') return parsed;
    const interval = parsed.values.interval ?? '8';
    if (!/^[1-9][0-9]{0,4}$/.test(interval)) return usageError('demo', '--interval must be a whole number of seconds', USAGE);

    const dir = mkdtempSync(join(tmpdir(), 'terok-clearance-demo-'));
    const runtime = join(dir, 'run');
    const decisions = join(dir, 'simulated-shield.list');
    // The demo's hub, helper and client all find each other under the private runtime directory.
    process.env.XDG_RUNTIME_DIR = runtime;
    process.env.TEROK_SIMULATED_SHIELD_STATE = decisions;
    // Its rules, grants and decision log too: the demo leaves the operator's own untouched.
    process.env.XDG_CONFIG_HOME = join(dir, 'config');
    process.env.XDG_STATE_HOME = join(dir, 'state');
    setLogLevel('warning');
    const paths = sessionPaths(runtime);
    const stops: (() => Promise<void> | void)[] = [() => rmSync(dir, {recursive: true, force: true})];
    try {
      const verdicts = await startVerdictService({path: paths.verdict}, {shieldCommand: simulatedShieldCommand()});
      stops.push(() => verdicts.close());
      const hub = await startHubService({paths});
      stops.push(() => hub.close());
      const reader = startDemoReader(paths.reader, Number(interval) * 1000, (c, t) => decisionsOf(decisions).get(`${c} ${t}`) === 'allow');
      stops.push(() => reader.stop());
      if (!parsed.values.json) {
        process.stdout.write(`demo: hub, verdict helper and simulated shield running in ${runtime}\n` +
          'demo: sample blocked connections arrive below; type h for help, q to quit\n');
      }
      const watch = await import('../terminal/watch.js');
      const code = await watch.run(parsed.values.json ? ['--json'] : []);
      if (!parsed.values.json) process.stdout.write(simulatedShieldReport(decisions));
      return code;
    } catch (e) {
      process.stderr.write(`terok-clearance demo: ${(e as Error).message}\n`);
      return EXIT.FAILED;
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
};

/** The simulated shield's decision file: "ACTION CONTAINER TARGET" lines, appended; the last per target holds. */
function decisionLines(decisions: string): string[] {
  try {
    return readFileSync(decisions, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function decisionsOf(decisions: string): Map<string, string> {
  const inForce = new Map<string, string>();
  for (const line of decisionLines(decisions)) {
    const [action, container, target] = line.split(' ');
    inForce.set(`${container} ${target}`, action!);
  }
  return inForce;
}

function simulatedShieldReport(decisions: string): string {
  const lines = decisionLines(decisions);
  if (lines.length === 0) return 'demo: the simulated shield was not asked to change anything\n';
  return `demo: the simulated shield applied:\n${lines.map((l) => `  terok-shield ${l}`).join('\n')}\n`;
}
