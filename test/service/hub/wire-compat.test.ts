// Our hub and verdict helper (real processes, private runtime dir) against the varlink peers of the terok ecosystem:
// a python3-asyncvarlink client declaring the original org.terok.Clearance1 with strict dataclass decoding, systemd's
// varlinkctl from the trixie root, and python-varlink's CLI. A missing peer fails the test (run npm run provision).
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, test} from '@jest/globals';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseInterface, type Member} from '../../../core/varlink/idl.js';
import {CLEARANCE_IDL} from '../../../service/hub/clearance-idl.js';
import {sessionPaths, type HubPaths} from '../../../service/paths.js';
import {until} from '../support/example-service.js';
import {chrootArgv, distModule, Peer, pythonPath, rootSocketDir, run, varlinkctl, waitForSocket} from '../support/peers.js';
import {validateServedIdls} from '../support/served-interfaces.js';

const C = 'abc123def456';
// wire.md §4's example line, byte for byte.
const EXAMPLE_LINE = '{"type":"pending","container":"abc123def456","id":"abc123def456:7","dest":"198.51.100.1","port":443,"proto":6,"domain":"registry.example.net","dossier":{"project":"warp","task":"t42","name":"build"},"ts":"2026-11-23T08:00:00.000001+00:00"}';
// A request whose address the simulated shield refuses (exit 2, a malformed IP), so the verdict fails with
// ShieldCliFailed.
const REFUSED_LINE = JSON.stringify({type: 'pending', container: C, id: `${C}:8`, dest: '198.51.100.999', port: 80, proto: 17,
  domain: 'bad_domain!'});
const EXAMPLE_EVENT = {type: 'connection_blocked', container: C, request_id: `${C}:7`, dest: '198.51.100.1', port: 443,
  proto: 6, domain: 'registry.example.net', action: '', ok: false, reason: '',
  dossier: {project: 'warp', task: 't42', name: 'build'}};
// wire.md §2: every event carries exactly these fields, in this order.
const WIRE_FIELDS = ['type', 'container', 'request_id', 'dest', 'port', 'proto', 'domain', 'action', 'ok', 'reason', 'dossier'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENT = new URL('./asyncvarlink_client.py', import.meta.url).pathname;

/** A hub and a verdict helper as `terok-clearance serve` / `serve-verdict`, the shield a recording stand-in. */
class HubStack {
  readonly paths: HubPaths;
  readonly env: NodeJS.ProcessEnv;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'wire-compat-'));
  private readonly record = join(this.scratch, 'shield-calls.jsonl');
  private readonly processes: Peer[] = [];

  constructor(runtime: string) {
    this.env = {...process.env, XDG_RUNTIME_DIR: runtime, TEROK_SIMULATED_SHIELD_RECORD: this.record,
      TEROK_SIMULATED_SHIELD_STATE: join(this.scratch, 'decisions.list')};
    this.paths = sessionPaths(runtime);
  }

  async start(): Promise<void> {
    const shield = join(this.scratch, 'shield');
    writeFileSync(shield, `#!/bin/sh\nexec ${process.execPath} ${distModule('service/verdict/simulated-shield.ts')} "$@"\n`);
    chmodSync(shield, 0o755);
    const cli = distModule('service/cli.ts');
    const verdict = new Peer([process.execPath, cli, 'serve-verdict', '--shield', shield], this.env);
    this.processes.push(verdict);
    await waitForSocket(this.paths.verdict, verdict);
    const hub = new Peer([process.execPath, cli, 'serve'], this.env);
    this.processes.push(hub);
    await waitForSocket(this.paths.hub, hub);
  }

  /** Writes lines into the reader socket as terok-shield's reader does: one connection, NDJSON. */
  write(...lines: string[]): Promise<void> {
    return new Promise((done, fail) => {
      const socket = net.connect({path: this.paths.reader});
      socket.on('error', fail);
      socket.on('connect', () => socket.end(lines.join('\n') + '\n', () => done()));
    });
  }

  /** The argv of every shield run, in order. */
  shieldCalls(): string[][] {
    try {
      return readFileSync(this.record, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
    } catch {
      return [];
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.stop()));
    rmSync(this.scratch, {recursive: true, force: true});
  }
}

/** One JSON object per stdout line, as the Python client prints its facts. */
function facts(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function pick<T>(all: Record<string, unknown>[], key: string): T[] {
  return all.filter((f) => key in f).map((f) => f[key] as T);
}

/** An IDL member without its doc comments: what a peer can and cannot call. */
const shape = (member: Member | undefined) => JSON.parse(JSON.stringify(member ?? null, (k, v) => (k === 'doc' ? undefined : v)));

describe('a python3-asyncvarlink client written like the terok ecosystem\'s', () => {
  let runtime: string;
  let stack: HubStack;

  beforeEach(async () => {
    runtime = mkdtempSync(join(tmpdir(), 'wire-compat-run-'));
    stack = new HubStack(join(runtime, 'run'));
    await stack.start();
  });

  afterEach(async () => {
    await stack.stop();
    rmSync(runtime, {recursive: true, force: true});
  });

  test('subscribes, decodes every event strictly, gives verdicts and gets the typed errors of wire.md', async () => {
    const client = new Peer(['python3', CLIENT, stack.paths.hub, '2'], {...process.env, PYTHONPATH: pythonPath()});
    const killer = setTimeout(() => client.child.kill('SIGKILL'), 15_000);
    try {
      await until(() => client.output.includes('"subscribed": true') || !client.running, 10_000, 'the client subscribed');
      await stack.write(EXAMPLE_LINE, REFUSED_LINE);
      const finished = await client.finished;
      expect({code: finished.code, stderr: finished.stderr}).toEqual({code: 0, stderr: ''});
      const all = facts(finished.stdout);

      // asyncvarlink's dataclass conversion is strict by itself: the client adds no key check of its own.
      const [strict] = pick<Record<string, string>>(all, 'strict');
      expect(strict).toEqual({
        extra: 'rejected: unexpected dataclass fields severity',
        missing: 'rejected: missing object key dossier',
        port_as_string: 'rejected: expected int, but got a str',
      });

      // The original interface, as asyncvarlink renders the client's declaration, is contained in ours unchanged.
      const original = parseInterface(pick<string>(all, 'idl')[0]!);
      const served = parseInterface(pick<string>(all, 'served')[0]!);
      expect(served).toEqual(parseInterface(CLEARANCE_IDL));
      expect(original.members.map((m) => `${m.kind} ${m.name}`)).toEqual(['type ClearanceEvent', 'method Subscribe',
        'method Verdict', 'error UnknownRequest', 'error VerdictTupleMismatch', 'error InvalidAction', 'error ShieldCliFailed']);
      for (const member of original.members) {
        const ours = served.types.get(member.name) ?? served.methods.get(member.name) ?? served.errors.get(member.name);
        expect(shape(ours)).toEqual(shape(member));
      }

      const events = pick<Record<string, unknown>>(all, 'event');
      expect(events.every((e) => e.decoded_as === 'ClearanceEvent')).toBe(true);
      // Per request in stream order (the second block may arrive before the first one's verdict_applied).
      const byRequest = events.map(({decoded_as: _, ...e}) => e).sort((a, b) => String(a.request_id).localeCompare(String(b.request_id)));
      expect(byRequest).toEqual([
        EXAMPLE_EVENT,
        {...EXAMPLE_EVENT, type: 'verdict_applied', request_id: `${C}:7`, dest: '', port: 0, proto: 0, domain: '',
          action: 'allow', ok: true, dossier: {}},
        {...EXAMPLE_EVENT, request_id: `${C}:8`, dest: '198.51.100.999', port: 80, proto: 17, domain: 'bad_domain!', dossier: {}},
        {...EXAMPLE_EVENT, type: 'verdict_applied', request_id: `${C}:8`, dest: '', port: 0, proto: 0, domain: '',
          action: 'allow', ok: false, reason: expect.stringMatching(/invalid target "198\.51\.100\.999"/), dossier: {}},
      ]);
      expect(pick(all, 'verdict')).toEqual([{ok: true}]);
      expect(stack.shieldCalls()).toEqual([['allow', C, '198.51.100.1'], ['allow', C, 'registry.example.net'],
        ['allow', C, '198.51.100.999']]);

      const mismatch = (request: string, expected: string) => ({class: 'VerdictTupleMismatch',
        name: 'org.terok.Clearance1.VerdictTupleMismatch', parameters: {expected_container: C, expected_dest: expected,
          got_container: C, got_dest: '203.0.113.99'}});
      const invalid = {class: 'InvalidAction', name: 'org.terok.Clearance1.InvalidAction', parameters: {action: 'maybe'}};
      expect(pick(all, 'error')).toEqual([
        {class: 'UnknownRequest', name: 'org.terok.Clearance1.UnknownRequest', parameters: {request_id: `${C}:999`}},
        invalid, mismatch(`${C}:7`, 'registry.example.net'),
        invalid, mismatch(`${C}:8`, 'bad_domain!'),
        {class: 'ShieldCliFailed', name: 'org.terok.Clearance1.ShieldCliFailed',
          parameters: {action: 'allow', stderr: expect.stringMatching(/invalid target "198\.51\.100\.999"/)}},
      ]);

      // The bytes as they arrived: replies omit continues when false, every event has the 11 fields in wire order.
      const wire = pick<{connection: string; raw: string}>(all, 'wire');
      const streamed = wire.filter((w) => w.connection === 'subscribe').map((w) => JSON.parse(w.raw));
      expect(streamed).toHaveLength(4);
      for (const reply of streamed) {
        expect(Object.keys(reply).sort()).toEqual(['continues', 'parameters']);
        expect(reply.continues).toBe(true);
        expect(Object.keys(reply.parameters)).toEqual(['event']);
        expect(Object.keys(reply.parameters.event)).toEqual(WIRE_FIELDS);
      }
      const rpc = wire.filter((w) => w.connection === 'rpc').map((w) => w.raw);
      expect(rpc).toContain('{"parameters":{"ok":true}}');
      expect(rpc).toContain(`{"error":"org.terok.Clearance1.UnknownRequest","parameters":{"request_id":"${C}:999"}}`);
      expect(rpc).toContain('{"error":"org.terok.Clearance1.InvalidAction","parameters":{"action":"maybe"}}');
    } finally {
      clearTimeout(killer);
      await client.stop();
    }
  });
});

describe('systemd varlinkctl (trixie root) and python-varlink\'s CLI', () => {
  let dir: ReturnType<typeof rootSocketDir>;
  let stack: HubStack;
  let hub: string;
  let verdict: string;

  // One hub for these calls: each test leaves it as it found it, or says what it added.
  beforeAll(async () => {
    dir = rootSocketDir();
    stack = new HubStack(dir.hostPath('run'));
    await stack.start();
    hub = `unix:${dir.inRoot('run/terok-clearance.sock')}`;
    verdict = `unix:${dir.inRoot('run/terok-clearance-verdict.sock')}`;
  });

  afterAll(async () => {
    await stack?.stop();
    dir?.remove();
  });

  test('info and introspect: systemd reads our interface exactly as we wrote it', async () => {
    const info = await varlinkctl('info', hub);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Vendor: terok\n/);
    expect(info.stdout).toMatch(/Interfaces: org\.terok\.Clearance1\n\s+org\.varlink\.service\n/);
    const introspected = await varlinkctl('introspect', hub, 'org.terok.Clearance1');
    expect(introspected.code).toBe(0);
    expect(parseInterface(introspected.stdout)).toEqual(parseInterface(CLEARANCE_IDL));
  });

  test('validate-idl accepts every interface the hub and the verdict helper serve', async () => {
    for (const socket of [stack.paths.hub, stack.paths.verdict]) {
      const checks = await validateServedIdls(socket);
      expect(checks.map((c) => c.interface).sort()).toEqual(socket === stack.paths.hub
        ? ['org.terok.Clearance1', 'org.varlink.service'] : ['org.terok.ClearanceVerdict1', 'org.varlink.service']);
      for (const check of checks) expect(check).toMatchObject({ok: true});
    }
  });

  test('call --more Subscribe streams an event written to the reader socket; without --more it is ExpectedMore', async () => {
    const refused = await varlinkctl('call', hub, 'org.terok.Clearance1.Subscribe', '{}');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/org\.varlink\.service\.ExpectedMore/);

    const subscriber = new Peer(chrootArgv('varlinkctl', 'call', '--more', '--json=short', '--timeout=20', hub,
      'org.terok.Clearance1.Subscribe', '{}'));
    try {
      // No reply confirms a subscription, so harmless events go out until one shows up: from then on it listens.
      for (const deadline = Date.now() + 10_000; !subscriber.output.includes('container_started');) {
        if (Date.now() > deadline || !subscriber.running) throw new Error(`varlinkctl did not subscribe\n${subscriber.output}`);
        await stack.write(JSON.stringify({type: 'container_started', container: C}));
        await sleep(100);
      }
      await stack.write(EXAMPLE_LINE);
      await until(() => subscriber.output.includes('connection_blocked'), 5000, 'the event reached varlinkctl');
    } finally {
      await subscriber.stop();
    }
    const {stdout} = await subscriber.finished;
    // With --more varlinkctl prints JSON text sequences (RFC 7464): each reply is RS, the JSON, LF.
    const replies = stdout.split('\x1e').filter((r) => r !== '').map((r) => JSON.parse(r) as {event: Record<string, unknown>});
    const blocked = replies.find((r) => r.event.type === 'connection_blocked');
    expect(blocked).toEqual({event: EXAMPLE_EVENT});
    expect(Object.keys(blocked!.event)).toEqual(WIRE_FIELDS);
    expect(replies.filter((r) => r.event.type === 'container_started')[0]).toEqual({event: {...EXAMPLE_EVENT,
      type: 'container_started', request_id: '', dest: '', port: 0, proto: 0, domain: '', dossier: {}}});
  });

  test('call Pending lists the waiting request; a Verdict with a bad action is InvalidAction, as varlinkctl prints it', async () => {
    await stack.write(JSON.stringify({type: 'pending', container: C, id: `${C}:21`, dest: '192.0.2.21', port: 443, proto: 6}));
    let pending: {events: Record<string, unknown>[]};
    for (const deadline = Date.now() + 5000; ; await sleep(50)) {
      const listed = await varlinkctl('call', hub, 'org.terok.Clearance1.Pending', '{}');
      expect(listed.code).toBe(0);
      pending = JSON.parse(listed.stdout);
      if (pending.events.some((e) => e.request_id === `${C}:21`) || Date.now() > deadline) break;
    }
    expect(pending.events.find((e) => e.request_id === `${C}:21`)).toEqual({...EXAMPLE_EVENT, request_id: `${C}:21`,
      dest: '192.0.2.21', domain: '', dossier: {}});

    const bad = await varlinkctl('call', hub, 'org.terok.Clearance1.Verdict',
      JSON.stringify({container: C, request_id: `${C}:21`, dest: '192.0.2.21', action: 'maybe'}));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Method call org\.terok\.Clearance1\.Verdict\(\) failed: org\.terok\.Clearance1\.InvalidAction$/m);
    expect(JSON.parse(bad.stdout)).toEqual({action: 'maybe'});
    expect(stack.shieldCalls()).toEqual([]);
  });

  test('the verdict helper: info, and Apply answers {ok, stderr}, a refused target included', async () => {
    const info = await varlinkctl('info', verdict);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Interfaces: org\.terok\.ClearanceVerdict1\n\s+org\.varlink\.service\n/);
    const apply = (dest: string) => varlinkctl('call', verdict, 'org.terok.ClearanceVerdict1.Apply',
      JSON.stringify({container: C, dest, action: 'deny'}));
    const ok = await apply('192.0.2.50');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ok: true, stderr: ''});
    const refused = await apply('192.0.2.50:443');
    expect(refused.code).toBe(0);
    expect(JSON.parse(refused.stdout)).toEqual({ok: false, stderr: expect.stringMatching(/never a port/)});
    expect(stack.shieldCalls().slice(-2)).toEqual([['deny', C, '192.0.2.50'], ['deny', C, '192.0.2.50:443']]);
  });

  test('python-varlink\'s CLI: info, help and call', async () => {
    const cli = (...args: string[]) => run(['python3', '-m', 'varlink.cli', ...args],
      {env: {...process.env, PYTHONPATH: pythonPath()}, timeoutMs: 10_000});
    const address = `unix:${stack.paths.hub}`;
    const info = await cli('info', address);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Product: terok-clearance hub\n/);
    expect(info.stdout).toMatch(/Interfaces:\n(\s+org\.varlink\.service\n\s+org\.terok\.Clearance1|\s+org\.terok\.Clearance1\n\s+org\.varlink\.service)\n/);
    const help = await cli('help', `${address}/org.terok.Clearance1`);
    expect(help.code).toBe(0);
    expect(parseInterface(help.stdout)).toEqual(parseInterface(CLEARANCE_IDL));
    const pending = await cli('call', `${address}/org.terok.Clearance1.Pending`, '{}');
    expect(pending.code).toBe(0);
    expect(JSON.parse(pending.stdout)).toHaveProperty('events');
  });
});
