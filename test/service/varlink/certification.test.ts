// Our certification server and client over a real unix socket: a full run, and each way a client can get the
// protocol wrong (order, values, flags), as the Python reference server refuses them. Plus the CLI's edges.
import {afterEach, describe, expect, test} from '@jest/globals';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {VarlinkServer} from '../../../service/varlink/server.js';
import {VarlinkError} from '../../../core/varlink/errors.js';
import {certificationServer} from '../../../service/varlink/certification/server.js';
import {CertificationFailure, certify} from '../../../service/varlink/certification/client.js';
import {STEPS, expectedCall} from '../../../service/varlink/certification/expected.js';
import type {Step} from '../../../service/varlink/certification/expected.js';
import {CertificationSessions} from '../../../service/varlink/certification/sessions.js';
import {distModule, run, socketDir, startServer} from '../support/peers.js';

const CERT = 'org.varlink.certification';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(sessions?: CertificationSessions) {
  const {dir, remove} = socketDir('vt-cert-');
  cleanups.push(remove);
  const server = certificationServer(sessions);
  const path = join(dir, 'cert.sock');
  await server.listen({path});
  cleanups.push(() => server.close());
  const client = await VarlinkClient.connect(path, {timeoutMs: 5000});
  cleanups.push(() => client.close());
  return {server, client, path};
}

/** A varlink server with nothing but org.varlink.service; returns its socket path. */
async function plainServer(): Promise<string> {
  const {dir, remove} = socketDir('vt-cert-');
  cleanups.push(remove);
  const server = new VarlinkServer({vendor: 'test', product: 'plain', version: '0', url: ''});
  await server.listen({path: join(dir, 'plain.sock')});
  cleanups.push(() => server.close());
  return join(dir, 'plain.sock');
}

/** Makes every call up to (not including) `until` correctly, returning the client_id. */
async function walk(client: VarlinkClient, until: Step): Promise<string> {
  const {client_id: id} = await client.call(`${CERT}.Start`);
  for (const step of STEPS.slice(1, STEPS.indexOf(until))) {
    const {parameters, more, oneway} = expectedCall(step, id as string);
    if (more) for await (const _ of client.stream(`${CERT}.${step}`, parameters));
    else if (oneway) client.oneway(`${CERT}.${step}`, parameters);
    else await client.call(`${CERT}.${step}`, parameters);
  }
  return id as string;
}

async function refusal(promise: Promise<unknown>): Promise<VarlinkError> {
  const outcome = await promise.then(() => 'resolved', (e: unknown) => e);
  if (!(outcome instanceof VarlinkError)) throw new Error(`expected a VarlinkError, got ${String(outcome)}`);
  return outcome;
}

describe('our client against our server', () => {
  test('certifies, reporting every reply (ten for Test10, none for Test11)', async () => {
    const {client} = await started();
    const seen: Step[] = [];
    await certify(client, (step) => seen.push(step));
    expect(seen).toEqual([...STEPS.slice(0, 10), ...Array(10).fill('Test10'), 'End']);
  });

  test('a server without the interface fails at Start, with the reason', async () => {
    const client = await VarlinkClient.connect(await plainServer(), {timeoutMs: 5000});
    cleanups.push(() => client.close());
    const failure = await certify(client).then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(CertificationFailure);
    expect(failure).toMatchObject({step: 'Start', message: expect.stringContaining('org.varlink.service.InterfaceNotFound')});
  });
});

describe('the server refuses what the reference refuses', () => {
  test('a step out of order: CertificationError naming the expected and the called method', async () => {
    const {client} = await started();
    const id = await walk(client, 'Test02');
    const e = await refusal(client.call(`${CERT}.Test03`, {client_id: id, int: 1}));
    expect(e.errorName).toBe(`${CERT}.CertificationError`);
    expect(e.parameters).toEqual({wants: {method: `${CERT}.Test02`}, got: {method: `${CERT}.Test03`}});
    // The client may still make the step that is due.
    expect(await client.call(`${CERT}.Test02`, {client_id: id, bool: true})).toEqual({int: 1});
  });

  test('a wrong value: CertificationError with both whole calls, and the run is over', async () => {
    const {client} = await started();
    const id = await walk(client, 'Test02');
    const e = await refusal(client.call(`${CERT}.Test02`, {client_id: id, bool: false}));
    expect(e.errorName).toBe(`${CERT}.CertificationError`);
    expect(e.parameters).toEqual({
      wants: {method: `${CERT}.Test02`, parameters: {client_id: id, bool: true}},
      got: {method: `${CERT}.Test02`, parameters: {client_id: id, bool: false}},
    });
    // The next call hears the same failure; after that the client_id is gone.
    expect((await refusal(client.call(`${CERT}.Test03`, {client_id: id, int: 1}))).parameters).toEqual(e.parameters);
    expect((await refusal(client.call(`${CERT}.Test03`, {client_id: id, int: 1}))).errorName).toBe(`${CERT}.ClientIdError`);
  });

  test('an unknown client_id: ClientIdError; a mistyped parameter: InvalidParameter before any step logic', async () => {
    const {client} = await started();
    expect((await refusal(client.call(`${CERT}.Test01`, {client_id: 'nobody'}))).errorName).toBe(`${CERT}.ClientIdError`);
    const id = await walk(client, 'Test03');
    const e = await refusal(client.call(`${CERT}.Test03`, {client_id: id, int: 1.5}));
    expect(e).toMatchObject({errorName: 'org.varlink.service.InvalidParameter', parameters: {parameter: 'int'}});
    expect(await client.call(`${CERT}.Test03`, {client_id: id, int: 1})).toEqual({float: 1});
  });

  test('Test10 without more is refused', async () => {
    const {client} = await started();
    const id = await walk(client, 'Test10');
    const e = await refusal(client.call(`${CERT}.Test10`, expectedCall('Test10', id).parameters));
    expect(e.errorName).toBe(`${CERT}.CertificationError`);
    expect((e.parameters.wants as {more?: boolean}).more).toBe(true);
    expect((e.parameters.got as {more?: boolean}).more).toBeUndefined();
  });

  test('Test11 must be oneway', async () => {
    const {client} = await started();
    const id = await walk(client, 'Test11');
    const e = await refusal(client.call(`${CERT}.Test11`, expectedCall('Test11', id).parameters));
    expect((e.parameters.wants as {oneway?: boolean}).oneway).toBe(true);
  });

  test('a wrong oneway Test11 gets no reply; End reports its failure', async () => {
    const {client} = await started();
    const id = await walk(client, 'Test11');
    client.oneway(`${CERT}.Test11`, {client_id: id, last_more_replies: ['Reply number 1']});
    const e = await refusal(client.call(`${CERT}.End`, {client_id: id}));
    expect(e.errorName).toBe(`${CERT}.CertificationError`);
    expect(e.parameters.got).toEqual({method: `${CERT}.Test11`, parameters: {client_id: id, last_more_replies: ['Reply number 1']}, oneway: true});
  });

  test('clients in parallel keep their own state; the table stays capped', async () => {
    const sessions = new CertificationSessions({newId: () => Math.random().toString(36).slice(2), maxClients: 4});
    const {client, path} = await started(sessions);
    const others = await Promise.all([1, 2, 3].map(() => VarlinkClient.connect(path)));
    cleanups.push(() => others.forEach((c) => c.close()));
    await Promise.all([client, ...others].map((c) => certify(c)));
    for (let i = 0; i < 10; i++) await client.call(`${CERT}.Start`);
    expect(sessions.size).toBe(4);
  });
});

describe('varlink-cert command line', () => {
  const main = () => distModule('service/varlink/certification/main.ts');

  test('server: SIGTERM closes and unlinks; client: passes against it', async () => {
    const {dir, remove} = socketDir('vt-cert-');
    cleanups.push(remove);
    const path = join(dir, 'cert.sock');
    const server = await startServer([process.execPath, main(), `--varlink=unix:${path}`], path);
    cleanups.push(() => server.stop());
    const client = await run([process.execPath, main(), '--client', `--varlink=unix:${path}`]);
    expect(client.stdout).toMatch(/^Start: \{"client_id":"[^"]+"\}\n(.*\n)*End: \{"all_ok":true\}\nCertification passed\n$/);
    expect(client.code).toBe(0);
    expect(await server.stop()).toMatchObject({code: 0, signal: null});
    expect(existsSync(path)).toBe(false);
  });

  test('client: nothing listening → exit 3; not a certification server → exit 1 naming Start', async () => {
    const {dir, remove} = socketDir('vt-cert-');
    cleanups.push(remove);
    const missing = await run([process.execPath, main(), '--client', `--varlink=unix:${join(dir, 'none.sock')}`]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('cannot connect');
    const plain = await run([process.execPath, main(), '--client', `--varlink=unix:${await plainServer()}`]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^Certification failed at Start: org\.varlink\.service\.InterfaceNotFound/);
  });

  test('bad arguments → exit 2 with usage', async () => {
    for (const args of [[], ['--varlink=tcp:127.0.0.1:1'], ['--bogus', '--varlink=unix:/x']]) {
      const result = await run([process.execPath, main(), ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('usage: varlink-cert');
    }
  });
});
