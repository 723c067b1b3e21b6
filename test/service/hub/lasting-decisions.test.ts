// Lasting decisions end to end, with the hub and the verdict helper as the processes systemd runs: rules answer
// blocks without a prompt, grants end on time (also across a restart and a wall-clock jump such as a suspend), a
// broken rules file keeps the last good rules, a failing revocation is retried and alerted, and the decision log
// keeps whole lines through a kill -9.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {VarlinkClient} from '../../../service/varlink/client.js';
import type {JsonObject} from '../../../core/varlink/message.js';
import {eventually, HubRig, pendingCount} from '../support/hub-rig.js';

const C = 'abc123def456';
const I = 'org.terok.Clearance1';

let rig: HubRig;
const clients: VarlinkClient[] = [];

beforeEach(() => {
  rig = new HubRig({shieldPrelude: `[ "$1" = deny ] && [ -e "${'$'}{0%/*}/fail-deny" ] && { echo "nft: resource busy" >&2; exit 1; }`});
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await rig.close();
});

async function connect(): Promise<VarlinkClient> {
  const client = await VarlinkClient.connect(rig.paths.hub);
  clients.push(client);
  return client;
}

function block(n: number, dest: string, domain = '', project = 'warp'): string {
  return JSON.stringify({type: 'pending', container: C, id: `${C}:${n}`, dest, port: 443, proto: 6, domain,
    dossier: {project, task: 't1', name: 'agent'}, ts: '2026-12-05T10:00:00.000001+00:00'});
}

function writeRules(text: string): void {
  mkdirSync(dirname(rig.rulesFile), {recursive: true});
  writeFileSync(rig.rulesFile, text);
}

function logLines(): JsonObject[] {
  if (!existsSync(rig.logFile)) return [];
  return readFileSync(rig.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonObject);
}

/** Everything WatchDecisions streams, collected as it arrives. */
async function watchDecisions(): Promise<JsonObject[]> {
  const stream = (await connect()).stream(`${I}.WatchDecisions`);
  const replies: JsonObject[] = [(await stream.next()).value as JsonObject];
  void (async () => {
    for await (const r of stream) replies.push(r);
  })().catch(() => undefined);
  return replies;
}

/** The shield calls of one verdict on a block with a domain: its address, then the domain (see applyToBlock). */
const onBlock = (action: string, ip: string, domain: string) => [[action, C, ip], [action, C, domain]];

const lastState = (replies: JsonObject[]) => replies.filter((r) => r.state).at(-1)!.state as JsonObject;

async function decide(rpc: VarlinkClient, n: number, dest: string, lasting: string, extra: JsonObject = {}): Promise<JsonObject> {
  return rpc.call(`${I}.Decide`, {container: C, request_id: `${C}:${n}`, dest, action: 'allow', lasting,
    scope: 'container', pattern: '', confirmed: false, ui: 'test', ...extra});
}

describe('rules', () => {
  test('a rule answers a covered block through the shield with no prompt, and says which rule', async () => {
    writeRules('rules:\n  # npm and its CDN for the warp agents\n  - allow: "*.example.net"\n    project: warp\n');
    await rig.startAll();
    const rpc = await connect();
    const {rules} = await rpc.call(`${I}.Decisions`) as {rules: JsonObject[]};
    expect(rules).toHaveLength(1);
    const watched = await watchDecisions();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net'), block(2, '203.0.113.9', 'other.org'),
      block(3, '198.51.100.8', 'cdn.example.net', 'elsewhere')]);
    await eventually(() => rig.shieldCalls().length === 2 || undefined, 'the rule applied');
    expect(rig.shieldCalls()).toEqual(onBlock('allow', '198.51.100.7', 'registry.example.net'));
    // Only the uncovered blocks prompt: the other domain, and the same domain in another project.
    const pending = await pendingCount(rpc, 2) as JsonObject[];
    expect(pending.map((e) => e.request_id).sort()).toEqual([`${C}:2`, `${C}:3`]);
    const entry = await eventually(() => watched.find((r) => r.entry)?.entry as JsonObject | undefined, 'the log entry');
    expect(entry).toMatchObject({by: 'rule', decision: rules[0]!.id, container: C, request_id: `${C}:1`,
      target: 'registry.example.net', action: 'allow', ok: true, hub: 'session'});
    expect(logLines()).toEqual([entry]);
  });

  test('"always" from a prompt writes a rule with its provenance that answers the next block itself', async () => {
    await rig.startAll();
    const rpc = await connect();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    const reply = await decide(rpc, 1, 'registry.example.net', 'always');
    expect(reply).toMatchObject({ok: true, covered: [], decision: {kind: 'rule', action: 'allow', target: 'registry.example.net'}});
    const text = readFileSync(rig.rulesFile, 'utf8');
    expect(text).toMatch(/allow: registry\.example\.net/);
    expect(text).toMatch(new RegExp(`request: "?${C}:1"?`));
    expect(text).toMatch(/ui: test/);
    await rig.writeLines([block(2, '198.51.100.7', 'registry.example.net')]);
    await eventually(() => rig.shieldCalls().length === 4 || undefined, 'the second block answered by the rule');
    expect(rig.shieldCalls()).toEqual([...onBlock('allow', '198.51.100.7', 'registry.example.net'),
      ...onBlock('allow', '198.51.100.7', 'registry.example.net')]);
    expect((await rpc.call(`${I}.Pending`)).events).toEqual([]);
    await eventually(() => (logLines().length === 2 ? true : undefined), 'the rule\'s log line');
    expect(logLines().map((l) => [l.by, l.request_id, l.lasting])).toEqual([
      ['operator', `${C}:1`, 'always'], ['rule', `${C}:2`, '']]);
  });

  test('a broken rules file is reported with its line, keeps the last good rules, and allows nothing new', async () => {
    writeRules('rules:\n  - allow: a.example.net\n');
    await rig.startAll();
    const rpc = await connect();
    const watched = await watchDecisions();
    writeRules('rules:\n  - allow: a.example.net\n  - allow: b.example.net\n  - allow: c.example.net\n    prot: 443\n');
    const state = await eventually(() => {
      const s = lastState(watched);
      return s.rules_error ? s : undefined;
    }, 'the rules error');
    expect(state.rules_error).toMatch(/^line 5: unknown key "prot"/);
    expect((await rpc.call(`${I}.Decisions`)).rules_error).toBe(state.rules_error);
    await rig.writeLines([block(1, '198.51.100.1', 'b.example.net'), block(2, '198.51.100.2', 'a.example.net')]);
    await eventually(() => rig.shieldCalls().length === 2 || undefined, 'the last good rule applied');
    expect(rig.shieldCalls()).toEqual(onBlock('allow', '198.51.100.2', 'a.example.net'));
    expect(((await pendingCount(rpc, 1)) as JsonObject[]).map((e) => e.domain)).toEqual(['b.example.net']);
    // Nothing is added to a file that does not parse: "always" is refused, the one-time answer still works.
    const refused = await decide(rpc, 1, 'b.example.net', 'always').then(() => null, (e) => e);
    expect(refused?.errorName).toBe(`${I}.RulesFileBroken`);
    expect(await decide(rpc, 1, 'b.example.net', 'once')).toEqual({ok: true, covered: []});
    writeRules('rules:\n  - allow: b.example.net\n');
    await eventually(() => (lastState(watched).rules_error === '' ? true : undefined), 'the repaired file');
  });
});

describe('grants', () => {
  test('a 2-second grant covers the next block, then is revoked on time and says so', async () => {
    await rig.startAll();
    const rpc = await connect();
    const watched = await watchDecisions();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    const granted = Date.now();
    const reply = await decide(rpc, 1, 'registry.example.net', '2s');
    expect(reply).toMatchObject({ok: true, decision: {kind: 'grant', action: 'allow'}});
    const id = (reply.decision as JsonObject).id;
    expect((await rpc.call(`${I}.Decisions`)).grants).toMatchObject([{id}]);
    await rig.writeLines([block(2, '198.51.100.7', 'registry.example.net')]);
    await eventually(() => rig.shieldCalls().length === 4 || undefined, 'the grant answered the next block');
    await eventually(() => rig.shieldCalls().length === 6 || undefined, 'the revocation', 5000);
    const revokedAfter = Date.now() - granted;
    expect(rig.shieldCalls()).toEqual([...onBlock('allow', '198.51.100.7', 'registry.example.net'),
      ...onBlock('allow', '198.51.100.7', 'registry.example.net'), ...onBlock('deny', '198.51.100.7', 'registry.example.net')]);
    expect(revokedAfter).toBeGreaterThanOrEqual(2000);
    expect(revokedAfter).toBeLessThan(3500);
    expect((await rpc.call(`${I}.Decisions`)).grants).toEqual([]);
    const expiry = await eventually(() => watched.find((r) => (r.entry as JsonObject)?.by === 'expiry')?.entry as JsonObject,
      'the expiry entry');
    expect(expiry).toMatchObject({decision: id, action: 'deny', ok: true, target: 'registry.example.net'});
    expect(logLines().map((l) => l.by)).toEqual(['operator', 'grant', 'expiry']);
  });

  test('a grant that ends while no hub runs is revoked when the hub starts again', async () => {
    const {hub} = await rig.startAll();
    const rpc = await connect();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    await decide(rpc, 1, 'registry.example.net', '2s');
    hub.child.kill('SIGKILL');
    await hub.finished;
    await new Promise((r) => setTimeout(r, 2500));
    expect(rig.shieldCalls()).toEqual(onBlock('allow', '198.51.100.7', 'registry.example.net'));
    await rig.startHub();
    await eventually(() => rig.shieldCalls().length === 4 || undefined, 'the revocation at start');
    // Once: the start's own refresh and the timer it sets never both revoke.
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.shieldCalls().slice(2)).toEqual(onBlock('deny', '198.51.100.7', 'registry.example.net'));
    expect(readdirSync(join(rig.dir, 'state/terok-clearance/grants'))).toEqual([]);
  });

  test('a wall-clock jump (a suspend) ends a 1-hour grant at once: no timer sleeps past it', async () => {
    const clock = join(rig.dir, 'faketime');
    writeFileSync(clock, '+0\n');
    // libfaketime moves the hub's wall clock only; its timers run on the monotonic clock, which a suspend stops.
    await rig.startVerdict();
    await rig.startHub({LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1'});
    const rpc = await connect();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    await decide(rpc, 1, 'registry.example.net', '1h');
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.shieldCalls()).toHaveLength(2);
    writeFileSync(clock, '+3601\n');
    const jumped = Date.now();
    await eventually(() => rig.shieldCalls().length === 4 || undefined, 'the revocation after the jump', 3000);
    expect(Date.now() - jumped).toBeLessThan(2000);
    expect(rig.shieldCalls().slice(2)).toEqual(onBlock('deny', '198.51.100.7', 'registry.example.net'));
  });

  test('a revocation the shield refuses is retried with back-off and alerted until it succeeds', async () => {
    await rig.startAll();
    const rpc = await connect();
    const watched = await watchDecisions();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    const id = ((await decide(rpc, 1, 'registry.example.net', '2s')).decision as JsonObject).id;
    writeFileSync(join(rig.dir, 'fail-deny'), '');
    const failing = await eventually(() => {
      const f = lastState(watched).failing as JsonObject[];
      return f.length > 0 && (f[0]!.attempts as number) >= 2 ? f : undefined;
    }, 'two failed attempts', 8000);
    expect(failing).toMatchObject([{decision: id, container: C, target: 'registry.example.net',
      stderr: expect.stringMatching(/resource busy/)}]);
    // The grant is over: it covers nothing while its revocation fails.
    await rig.writeLines([block(2, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    rmSync(join(rig.dir, 'fail-deny'));
    await eventually(() => ((lastState(watched).failing as unknown[]).length === 0 ? true : undefined),
      'the retry that succeeds', 8000);
    // The refused tries never reached the simulated shield (the prelude failed them): one deny went through.
    expect(rig.shieldCalls().filter((c) => c[0] === 'deny')).toEqual(onBlock('deny', '198.51.100.7', 'registry.example.net'));
    // One log line for the first failure, one for the success: retries in between are state, not decisions.
    expect(logLines().filter((l) => l.by === 'expiry').map((l) => l.ok)).toEqual([false, true]);
  }, 20_000);
});

describe('ending and removing', () => {
  test('"until the container exits" ends on container_exited; Revoke ends a grant now', async () => {
    await rig.startAll();
    const rpc = await connect();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net'), block(2, '203.0.113.5', 'pkg.example.org')]);
    await pendingCount(rpc, 2);
    await decide(rpc, 1, 'registry.example.net', 'until-exit');
    const timed = ((await decide(rpc, 2, 'pkg.example.org', '8h')).decision as JsonObject).id;
    expect(await rpc.call(`${I}.Revoke`, {id: timed})).toEqual({results: [{container: C, target: 'pkg.example.org',
      ok: true, stderr: ''}]});
    expect(rig.shieldCalls().slice(4)).toEqual(onBlock('deny', '203.0.113.5', 'pkg.example.org'));
    const unknown = await rpc.call(`${I}.Revoke`, {id: timed}).then(() => null, (e) => e);
    expect(unknown?.errorName).toBe(`${I}.UnknownDecision`);
    await rig.writeLines([JSON.stringify({type: 'container_exited', container: C, reason: 'stopped'})]);
    await eventually(() => rig.shieldCalls().length === 8 || undefined, 'the until-exit revocation');
    expect(rig.shieldCalls().slice(6)).toEqual(onBlock('deny', '198.51.100.7', 'registry.example.net'));
    expect((await rpc.call(`${I}.Decisions`)).grants).toEqual([]);
    // The log line follows the shield run.
    await eventually(() => (logLines().length === 4 ? true : undefined), 'the exit\'s log line');
    expect(logLines().map((l) => l.by)).toEqual(['operator', 'operator', 'revoke', 'exit']);
  });

  test('a wildcard needs confirmation (the request stays answerable); RemoveRule takes a rule out of the file', async () => {
    writeRules('rules:\n  # kept: a comment of the operator\n  - deny: tracker.example.com\n');
    await rig.startAll();
    const rpc = await connect();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(rpc, 1);
    const wildcard = {pattern: '*.example.net'};
    const refused = await decide(rpc, 1, 'registry.example.net', 'always', wildcard).then(() => null, (e) => e);
    expect(refused?.errorName).toBe(`${I}.ConfirmationRequired`);
    expect(rig.shieldCalls()).toEqual([]);
    await pendingCount(rpc, 1);
    const made = await decide(rpc, 1, 'registry.example.net', 'always', {...wildcard, confirmed: true});
    expect(made.decision).toMatchObject({kind: 'rule', target: '*.example.net'});
    const {rules} = await rpc.call(`${I}.Decisions`) as {rules: JsonObject[]};
    expect(rules.map((r) => r.target)).toEqual(['tracker.example.com', '*.example.net']);
    expect(await rpc.call(`${I}.RemoveRule`, {id: rules[0]!.id})).toMatchObject({rule: {target: 'tracker.example.com'}});
    const text = readFileSync(rig.rulesFile, 'utf8');
    expect(text).toMatch(/# kept: a comment of the operator/);
    expect(text).not.toMatch(/tracker/);
    expect((await rpc.call(`${I}.Decisions`)).rules).toMatchObject([{target: '*.example.net'}]);
  });
});

describe('decision log', () => {
  test('one whole line per decision, also when the hub is killed mid-burst', async () => {
    writeRules('rules:\n  - allow: "*.example.net"\n');
    const {hub} = await rig.startAll();
    await rig.writeLines(Array.from({length: 3000}, (_, i) => block(i + 1, '198.51.100.7', 'registry.example.net')));
    await eventually(() => (logLines().length >= 100 ? true : undefined), 'a hundred lines logged');
    hub.child.kill('SIGKILL');
    await hub.finished;
    const text = readFileSync(rig.logFile, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonObject);
    expect(lines.length).toBeGreaterThanOrEqual(100);
    expect(lines.length).toBeLessThan(3000);
    expect(new Set(lines.map((l) => l.request_id)).size).toBe(lines.length);
    expect(lines.every((l) => l.by === 'rule' && l.ok === true)).toBe(true);
  }, 20_000);
});

/** libfaketime's preload library (Debian's faketime package, installed by `npm run provision`). */
function libfaketime(): string {
  for (const dir of readdirSync('/usr/lib')) {
    const path = join('/usr/lib', dir, 'faketime/libfaketime.so.1');
    if (existsSync(path)) return path;
  }
  throw new Error('libfaketime is missing: run `npm run provision` (as root; it installs Debian\'s faketime)');
}
