// A stand-in for `terok-shield allow|deny CONTAINER TARGET` (wire.md §3) for the demo and the tests, on machines
// without the real firewall. It checks its arguments as strictly as the real one (so a helper that passes a port
// or a bad action fails here too), records each decision in a state file instead of nftables, prints nothing on
// success and exits 0; 1 when the decision cannot be recorded; 2 with a message on stderr for bad arguments.
//
//   TEROK_SIMULATED_SHIELD_STATE   the decision file (default: <runtime dir>/terok-clearance-simulated-shield.list).
//                                  One line per decision, "<action> <container> <target>", appended: the last line
//                                  for a container and target is the one in force. Appending (one write per line)
//                                  keeps concurrent invocations from losing each other's decisions.
//   TEROK_SIMULATED_SHIELD_RECORD  when set, each invocation first appends its argv as a JSON array line to this
//                                  file, valid or not, so tests see exactly what the helper ran.
import {appendFileSync, mkdirSync, realpathSync} from 'node:fs';
import {isIP} from 'node:net';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {runtimeDir} from '../paths.js';

const BUILT = fileURLToPath(new URL('./simulated-shield.js', import.meta.url));

/** The argv prefix that runs the built simulated shield (the demo's shieldCommand). */
export function simulatedShieldCommand(): [string, string] {
  return [process.execPath, BUILT];
}

const USAGE = 'usage: simulated-shield allow|deny CONTAINER TARGET';

// terok-shield's own rule for a container name or id: no separators, no leading dash or dot.
const CONTAINER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_DOMAIN = 253;

function containerProblem(container: string): string | null {
  return CONTAINER.test(container) ? null : `invalid container ${JSON.stringify(container)}: expected a container name or id`;
}

function targetProblem(target: string): string | null {
  const quoted = JSON.stringify(target);
  if (target.includes('/')) return isCidr(target) ? null : `invalid CIDR ${quoted}`;
  if (isPlainIp(target)) return null;
  if (/:[0-9]+$/.test(target)) return `invalid target ${quoted}: an IP, a CIDR or a domain, never a port`;
  if (isDomain(target)) return null;
  return `invalid target ${quoted}: expected an IP, a CIDR or a domain`;
}

// A zone id (fe80::1%eth0) names an interface of the host, not a destination.
function isPlainIp(text: string): boolean {
  return isIP(text) !== 0 && !text.includes('%');
}

function isCidr(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
  if (!isPlainIp(address)) return false;
  return Number(prefix) <= (isIP(address) === 4 ? 32 : 128);
}

function isDomain(text: string): boolean {
  const labels = text.split('.');
  // An all-digit last label would make "1.2.3.999" a domain; it is a malformed IP.
  return text.length <= MAX_DOMAIN && labels.every((l) => LABEL.test(l)) && !/^[0-9]+$/.test(labels.at(-1) ?? '');
}

function usageProblem(argv: string[]): string | null {
  if (argv.length !== 3) return `expected 3 arguments, got ${argv.length}`;
  const [action, container, target] = argv as [string, string, string];
  if (action !== 'allow' && action !== 'deny') return `invalid action ${JSON.stringify(action)}: expected allow or deny`;
  return containerProblem(container) ?? targetProblem(target);
}

// Only the last component: a recursive mkdir could be led a long way by a mistyped path (and loops under /proc).
function makeParent(path: string): void {
  try {
    mkdirSync(dirname(path), {mode: 0o700});
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

function main(argv: string[]): number {
  const record = process.env.TEROK_SIMULATED_SHIELD_RECORD;
  const state = process.env.TEROK_SIMULATED_SHIELD_STATE || join(runtimeDir(), 'terok-clearance-simulated-shield.list');
  try {
    if (record) appendFileSync(record, JSON.stringify(argv) + '\n', {mode: 0o600});
    if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const problem = usageProblem(argv);
    if (problem) {
      process.stderr.write(`${USAGE}\nsimulated-shield: error: ${problem}\n`);
      return 2;
    }
    makeParent(state);
    appendFileSync(state, `${argv.join(' ')}\n`, {mode: 0o600});
    return 0;
  } catch (e) {
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    return 1;
  }
}

// Run as a program, not when imported for simulatedShieldCommand(). Compared as real paths: node keeps a symlinked
// script's path as given, while import.meta.url is resolved.
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = main(process.argv.slice(2));
