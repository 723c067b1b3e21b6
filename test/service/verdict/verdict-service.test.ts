// The verdict helper over a real socket: our varlink client, systemd's varlinkctl, real shield processes.
import {afterAll, afterEach, expect, test} from '@jest/globals';
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {VarlinkError} from '../../../core/varlink/errors.js';
import type {Logger} from '../../../service/log.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {refusalOf, startVerdictService} from '../../../service/verdict/verdict-service.js';
import {VERDICT_IDL} from '../../../service/verdict/verdict-idl.js';
import {distModule, rootSocketDir, varlinkctl} from '../support/peers.js';

const APPLY = 'org.terok.ClearanceVerdict1.Apply';
const dir = mkdtempSync(join(tmpdir(), 'verdict-service-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const running: {close(): unknown}[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

let count = 0;
/** A shield that records its argv (one JSON line per run) and then runs `body`. */
function recordingShield(body = 'exit 0'): {command: string; runs(): string[][]} {
  const n = ++count;
  const record = join(dir, `runs-${n}.ndjson`);
  const command = join(dir, `shield-${n}.sh`);
  writeFileSync(command, `#!/bin/sh\n'${process.execPath}' -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@" >> '${record}'\n${body}\n`);
  chmodSync(command, 0o755);
  return {command, runs: () => existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []};
}

async function helper(options: Parameters<typeof startVerdictService>[1] = {}, path = join(dir, `verdict-${++count}.sock`)) {
  const logs: string[] = [];
  const at = (level: string) => (m: string) => { logs.push(`${level}: ${m}`); };
  const log: Logger = {error: at('error'), warning: at('warning'), info: at('info'), debug: at('debug')};
  const service = await startVerdictService({path}, {log, ...options});
  running.push(service);
  const client = await VarlinkClient.connect(path);
  running.push(client);
  return {service, client, logs, path};
}

test('a successful apply runs the shield once with exactly [action, container, dest]', async () => {
  const shield = recordingShield();
  const {client, logs} = await helper({shieldCommand: shield.command});
  expect(await client.call(APPLY, {container: 'abc123def456', dest: 'registry.example.net', action: 'allow'}))
    .toEqual({ok: true, stderr: ''});
  expect(shield.runs()).toEqual([['allow', 'abc123def456', 'registry.example.net']]);
  expect(logs).toEqual(['info: applied "allow" "registry.example.net" for "abc123def456"']);
});

test('with the simulated shield, end to end', async () => {
  const state = join(dir, 'simulated-state.list');
  const command = join(dir, 'simulated.sh');
  writeFileSync(command, `#!/bin/sh\nTEROK_SIMULATED_SHIELD_STATE='${state}' exec '${process.execPath}' '${distModule('service/verdict/simulated-shield.ts')}' "$@"\n`);
  chmodSync(command, 0o755);
  const {client} = await helper({shieldCommand: command});
  expect(await client.call(APPLY, {container: 'abc123def456', dest: '198.51.100.0/24', action: 'deny'})).toEqual({ok: true, stderr: ''});
  const bad = await client.call(APPLY, {container: 'abc123def456', dest: '198.51.100.1:443', action: 'deny'});
  expect(bad).toEqual({ok: false, stderr: expect.stringMatching(/never a port/)});
  expect(readFileSync(state, 'utf8')).toBe('deny abc123def456 198.51.100.0/24\n');
});

test('a failing shield is a reply with ok false and its stderr, never an error reply', async () => {
  const {client, logs} = await helper({shieldCommand: recordingShield('echo "Error: No IPs allowed for c" >&2; exit 1').command});
  expect(await client.call(APPLY, {container: 'c', dest: 'example.com', action: 'allow'}))
    .toEqual({ok: false, stderr: 'Error: No IPs allowed for c'});
  expect(logs.at(-1)).toMatch(/^warning: .* failed to apply "allow" "example.com" for "c": Error: No IPs allowed/);
});

test('a missing shield binary is a reply with ok false', async () => {
  const {client} = await helper({shieldCommand: join(dir, 'no-such-shield')});
  expect(await client.call(APPLY, {container: 'c', dest: 'example.com', action: 'deny'}))
    .toEqual({ok: false, stderr: `cannot run ${join(dir, 'no-such-shield')}: not found`});
});

test('a shield past the deadline is killed and reported', async () => {
  const {client} = await helper({shieldCommand: recordingShield('sleep 30').command, timeoutMs: 300});
  expect(await client.call(APPLY, {container: 'c', dest: 'example.com', action: 'allow'}))
    .toEqual({ok: false, stderr: 'timed out after 0.3 s, killed'});
});

test.each([
  [{container: 'c', dest: 'example.com', action: 'permit'}, 'invalid action "permit": expected allow or deny'],
  [{container: 'c', dest: 'example.com', action: ''}, 'invalid action "": expected allow or deny'],
  [{container: '', dest: 'example.com', action: 'allow'}, 'container is empty'],
  [{container: 'c', dest: '', action: 'allow'}, 'dest is empty'],
  [{container: 'c', dest: '--all', action: 'allow'}, 'dest "--all" starts with "-"; terok-shield would read it as an option'],
  [{container: '-h', dest: 'example.com', action: 'deny'}, 'container "-h" starts with "-"; terok-shield would read it as an option'],
])('a request that cannot be an apply is refused as ok false, and nothing runs: %j', async (parameters, reason) => {
  const shield = recordingShield();
  const {client, logs} = await helper({shieldCommand: shield.command});
  expect(await client.call(APPLY, parameters)).toEqual({ok: false, stderr: reason});
  expect(shield.runs()).toEqual([]);
  expect(logs).toEqual([expect.stringMatching(/^warning: refused /)]);
});

test('malformed parameters are the IDL check\'s InvalidParameter, before any handler', async () => {
  const shield = recordingShield();
  const {client} = await helper({shieldCommand: shield.command});
  await expect(client.call(APPLY, {container: 'c', dest: 'example.com'})).rejects.toMatchObject(
    {errorName: 'org.varlink.service.InvalidParameter', parameters: {parameter: 'action'}});
  await expect(client.call(APPLY, {container: 'c', dest: 5, action: 'allow'})).rejects.toBeInstanceOf(VarlinkError);
  expect(shield.runs()).toEqual([]);
});

test('applies on different connections run side by side; on one connection, in order', async () => {
  const shield = recordingShield('sleep 0.3');
  const {client, path} = await helper({shieldCommand: shield.command});
  const other = await VarlinkClient.connect(path);
  running.push(other);
  let started = Date.now();
  await Promise.all([client, other].map((c) => c.call(APPLY, {container: 'c', dest: 'example.com', action: 'allow'})));
  expect(Date.now() - started).toBeLessThan(550);
  started = Date.now();
  await Promise.all([1, 2].map(() => client.call(APPLY, {container: 'c', dest: 'example.com', action: 'allow'})));
  expect(Date.now() - started).toBeGreaterThanOrEqual(600);
});

test('GetInfo and GetInterfaceDescription describe the interface', async () => {
  const {client} = await helper({shieldCommand: recordingShield().command});
  const info = await client.call('org.varlink.service.GetInfo');
  expect(info).toMatchObject({vendor: 'terok', product: 'terok-clearance verdict helper',
    interfaces: ['org.varlink.service', 'org.terok.ClearanceVerdict1']});
  const {description} = await client.call('org.varlink.service.GetInterfaceDescription', {interface: 'org.terok.ClearanceVerdict1'});
  expect(description).toBe(VERDICT_IDL);
});

test('systemd varlinkctl introspects the helper and calls Apply', async () => {
  const shield = recordingShield();
  const sockets = rootSocketDir();
  running.push({close: () => sockets.remove()});
  await helper({shieldCommand: shield.command}, sockets.hostPath('verdict.sock'));
  const address = `unix:${sockets.inRoot('verdict.sock')}`;
  const introspect = await varlinkctl('introspect', address, 'org.terok.ClearanceVerdict1');
  expect(introspect).toMatchObject({code: 0, stderr: ''});
  expect(introspect.stdout).toMatch(/method Apply\(\s*container: string,\s*dest: string,\s*action: string\s*\) -> \(\s*ok: bool,\s*stderr: string\s*\)/);
  const call = await varlinkctl('call', address, APPLY,
    JSON.stringify({container: 'abc123def456', dest: '198.51.100.1', action: 'deny'}));
  expect(call.code).toBe(0);
  expect(JSON.parse(call.stdout)).toEqual({ok: true, stderr: ''});
  expect(shield.runs()).toEqual([['deny', 'abc123def456', '198.51.100.1']]);
});

test('refusalOf accepts what the shield should decide on', () => {
  expect(refusalOf('abc123def456', '198.51.100.1', 'allow')).toBeNull();
  expect(refusalOf('abc123def456', 'a-b.example', 'deny')).toBeNull();
});
