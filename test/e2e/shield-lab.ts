// A laboratory for the real terok-shield (pinned 0.6.37, provisioned into $TEROK_PEERS/terok-shield): a "container"
// network namespace with one long-running process standing for the container, a veth pair to a "server" namespace
// that answers TCP on 198.18.0.0/15 test addresses, and a small `podman` on PATH that answers what the shield asks
// podman (`inspect`, `info`, `unshare`) for that process. Everything else is the real shield: its CLI, its ruleset,
// its NFLOG reader. Needs root. Every command is an argv; close() removes the namespaces and processes.
import {spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Peer, run, type Finished} from '../service/support/peers.js';

const PEERS = process.env.TEROK_PEERS ?? '/var/cache/terok-clearance';

/** The shield's Python source tree (provision copies it there), with the reason when it is missing. */
export function shieldSource(): string {
  const src = join(PEERS, 'terok-shield/src');
  if (!existsSync(join(src, 'terok_shield/cli/main.py'))) {
    throw new Error(`the real terok-shield is missing (${src}): run \`npm run provision\` as root (it copies ` +
      'TEROK_SHIELD_SRC, default ../shared/peers/terok-shield, or pip-installs terok-shield==0.6.37)');
  }
  return src;
}

export const SERVER_IP = '198.19.0.1';
/** Addresses the server namespace answers on besides SERVER_IP (each a destination of its own for the shield). */
export const SERVER_ALIASES = ['198.19.0.2', '198.19.0.3', '198.19.0.4', '198.19.0.5', '198.19.0.6', '198.19.0.7',
  '198.19.0.8'];
export const PRIVATE_IP = '10.99.0.1';
export const PORT = 8080;

async function must(argv: string[]): Promise<Finished> {
  const r = await run(argv, {timeoutMs: 20_000});
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r;
}

export class ShieldLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'shield-lab-'));
  readonly container: string;
  readonly stateDir: string;
  readonly shield = join(this.dir, 'terok-shield');
  readonly env: NodeJS.ProcessEnv;
  private readonly ns: {container: string; server: string};
  private readonly processes: ChildProcess[] = [];
  private readonly peers: Peer[] = [];
  pid = 0;

  /** `base`: the environment of the hub it serves (its XDG_RUNTIME_DIR is where the reader and the CLI write). */
  constructor(container: string, base: NodeJS.ProcessEnv) {
    this.container = container;
    this.stateDir = join(this.dir, 'state', container);
    const tag = `${process.pid % 100000}`;
    this.ns = {container: `tcl-c${tag}`, server: `tcl-s${tag}`};
    this.env = {...base, PATH: `${join(this.dir, 'bin')}:${base.PATH}`, PYTHONPATH: shieldSource()};
    mkdirSync(base.XDG_RUNTIME_DIR!, {recursive: true, mode: 0o700});
  }

  /** Builds the namespaces, the container process, the server and the stand-in podman; does not raise the shield. */
  async build(): Promise<void> {
    const {container: c, server: s} = this.ns;
    await must(['ip', 'netns', 'add', c]);
    await must(['ip', 'netns', 'add', s]);
    const [vc, vs] = [`${c}v`, `${s}v`];
    await must(['ip', 'link', 'add', vc, 'type', 'veth', 'peer', 'name', vs]);
    await must(['ip', 'link', 'set', vc, 'netns', c]);
    await must(['ip', 'link', 'set', vs, 'netns', s]);
    await must(['ip', '-n', c, 'addr', 'add', '198.18.0.2/24', 'dev', vc]);
    await must(['ip', '-n', s, 'addr', 'add', '198.18.0.1/24', 'dev', vs]);
    for (const [ns, dev] of [[c, vc], [s, vs], [c, 'lo'], [s, 'lo']] as const) await must(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    for (const ip of [SERVER_IP, ...SERVER_ALIASES, PRIVATE_IP]) await must(['ip', '-n', s, 'addr', 'add', `${ip}/32`, 'dev', 'lo']);
    await must(['ip', '-n', c, 'route', 'add', 'default', 'via', '198.18.0.1']);
    // The server: every connection gets "hello" and is closed.
    this.keep(spawn('ip', ['netns', 'exec', s, process.execPath, '-e',
      `require('net').createServer((c) => c.end('hello\\n')).listen(${PORT}, '0.0.0.0')`], {stdio: 'ignore'}));
    const sleeper = this.keep(spawn('ip', ['netns', 'exec', c, 'sleep', 'infinity'], {stdio: 'ignore'}));
    this.pid = sleeper.pid!;
    await this.standInPodman();
    // The CLI needs pydantic 2 and PyYAML (provision checks); the reader is stdlib only.
    const python = process.env.TEROK_SHIELD_PYTHON ?? 'python3';
    writeFileSync(this.shield, `#!/bin/sh\nexec '${python.replace(/'/g, `'\\''`)}' -c 'import sys; ` +
      `from terok_shield.cli.main import main; sys.argv[0] = "terok-shield"; main()' "$@"\n`);
    chmodSync(this.shield, 0o755);
    mkdirSync(this.stateDir, {recursive: true, mode: 0o700});
    for (let i = 0; i < 100 && !this.inContainerNamespace(); i++) await new Promise((r) => setTimeout(r, 20));
  }

  /** Whether the container process is inside the container namespace (and so not in the host's). */
  inContainerNamespace(): boolean {
    try {
      const ns = readlinkSync(`/proc/${this.pid}/ns/net`);
      return ns === `net:[${statSync(`/run/netns/${this.ns.container}`).ino}]` && ns !== readlinkSync('/proc/self/ns/net');
    } catch {
      return false;
    }
  }

  /** While `forgotten` is true, the stand-in podman knows no container (as when it was not launched by the shield). */
  set forgotten(value: boolean) {
    const flag = join(this.dir, 'podman-forgets');
    if (value) writeFileSync(flag, '');
    else rmSync(flag, {force: true});
  }

  private async standInPodman(): Promise<void> {
    mkdirSync(join(this.dir, 'bin'));
    const inspect = JSON.stringify([{Id: this.container.padEnd(64, '0'), Name: 'agent',
      Config: {Annotations: {'terok.shield.state_dir': this.stateDir}}, State: {Pid: this.pid}}]);
    const info = JSON.stringify({host: {rootlessNetworkCmd: 'pasta'}, version: {Version: '5.4.0'}});
    const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    writeFileSync(join(this.dir, 'bin/podman'), `#!/bin/sh
# Stand-in podman for the shield lab: what terok-shield asks of podman, for one container process.
case "$1" in
inspect)
  shift; fmt=""; name=""
  while [ $# -gt 0 ]; do
    case "$1" in --format=*) fmt="\${1#--format=}";; --format) shift; fmt="$1";; --) ;; *) name="$1";; esac; shift
  done
  if [ "$name" != ${q(this.container)} ] || [ -e ${q(join(this.dir, 'podman-forgets'))} ]; then
    echo "Error: no such object: \\"$name\\"" >&2; exit 125
  fi
  case "$fmt" in
  json) printf '%s\\n' ${q(inspect)};;
  *State.Pid*) echo ${this.pid};;
  *) echo "stand-in podman: unsupported inspect format $fmt" >&2; exit 125;;
  esac;;
info) printf '%s\\n' ${q(info)};;
unshare) shift; exec "$@";;
*) echo "stand-in podman: unsupported: $*" >&2; exit 125;;
esac
`);
    chmodSync(join(this.dir, 'bin/podman'), 0o755);
  }

  /** `terok-shield ARGS` (the real CLI) with the lab's environment. */
  shieldCli(...args: string[]): Promise<Finished> {
    return run([this.shield, ...args], {env: this.env, timeoutMs: 20_000});
  }

  /** The shield's NFLOG reader for the container, writing to $XDG_RUNTIME_DIR/terok-shield-events.sock. */
  startReader(dossier: Record<string, string>): Peer {
    const reader = new Peer(['python3', join(shieldSource(), 'terok_shield/resources/nflog_reader.py'), this.stateDir,
      this.container, '--emit=socket', `--annotations=${JSON.stringify(dossier)}`], this.env);
    this.peers.push(reader);
    return reader;
  }

  /** Stops the reader as the shield's OCI hook does at poststop: SIGTERM to it (and its re-exec inside the namespace). */
  async stopReader(): Promise<void> {
    await run(['pkill', '-TERM', '-f', `nflog_reader.py ${this.stateDir} `]);
    await Promise.all(this.peers.map((p) => p.finished));
  }

  /** One TCP connection from inside the container: "ok" when the server answered, else the error code. */
  async connect(ip: string): Promise<string> {
    const r = await run(['ip', 'netns', 'exec', this.ns.container, process.execPath, '-e', `
      const s = require('net').connect({host: '${ip}', port: ${PORT}, timeout: 1500});
      s.on('data', (d) => { if (d.toString() === 'hello\\n') { console.log('ok'); process.exit(0); } });
      s.on('timeout', () => { console.log('ETIMEDOUT'); process.exit(1); });
      s.on('error', (e) => { console.log(e.code); process.exit(1); });`], {timeoutMs: 10_000});
    return r.stdout.trim();
  }

  /** `nft list set inet terok_shield NAME` inside the container: the addresses in it. */
  async nftSet(name: string): Promise<string[]> {
    const r = await must(['ip', 'netns', 'exec', this.ns.container, 'nft', 'list', 'set', 'inet', 'terok_shield', name]);
    return [...r.stdout.matchAll(/elements = \{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((e) => e.trim()));
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.splice(0).map((p) => p.stop()));
    for (const p of this.processes.splice(0)) p.kill('SIGKILL');
    for (const ns of [this.ns.container, this.ns.server]) await run(['ip', 'netns', 'del', ns]);
    rmSync(this.dir, {recursive: true, force: true});
  }

  private keep(child: ChildProcess): ChildProcess {
    this.processes.push(child);
    return child;
  }
}

/** The host's own nftables tables: a test compares them before and after, so the lab never touches the host. */
export async function hostTables(): Promise<string> {
  return (await must(['nft', 'list', 'tables'])).stdout;
}
