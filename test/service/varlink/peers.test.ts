// Our varlink server and client against implementations other people wrote: the Go and Python certification
// peers both ways, the Python CLI, systemd's varlinkctl (in the trixie root) and real sd-varlink servers.
// Every peer is required: a missing one fails these tests (run `npm run provision`); none is mocked.
import {afterEach, describe, expect, test} from '@jest/globals';
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {VarlinkError, isNotFound, StandardError} from '../../../core/varlink/errors.js';
import {parseInterface} from '../../../core/varlink/idl.js';
import {CERTIFICATION_IDL} from '../../../service/varlink/certification/interface.js';
import {MORE_REPLIES} from '../../../service/varlink/certification/expected.js';
import {
  Peer, chrootArgv, distModule, goCertification, python, rootSocketDir, run, socketDir, startServer, trixieRoot,
  validateIdl, varlinkctl,
} from '../support/peers.js';
import {validateServedIdls} from '../support/served-interfaces.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempSocket(name: string): string {
  const {dir, remove} = socketDir('vt-peers-');
  cleanups.push(remove);
  return join(dir, name);
}

function ourCert(...args: string[]): string[] {
  return [process.execPath, distModule('service/varlink/certification/main.ts'), ...args];
}

async function serve(argv: string[], socket: string, env?: NodeJS.ProcessEnv): Promise<Peer> {
  const peer = await startServer(argv, socket, env);
  cleanups.push(() => peer.stop());
  return peer;
}

/** Our certification server on `socket`; stopping it must close cleanly (exit 0) and unlink the socket. */
async function serveOurs(socket: string): Promise<{peer: Peer; stopCleanly(): Promise<void>}> {
  const peer = await serve(ourCert(`--varlink=unix:${socket}`), socket);
  return {
    peer,
    async stopCleanly() {
      const finished = await peer.stop();
      expect({code: finished.code, signal: finished.signal}).toEqual({code: 0, signal: null});
      expect(existsSync(socket)).toBe(false);
    },
  };
}

describe('certification with the Go peer (varlink-go)', () => {
  test('our client certifies the Go server', async () => {
    const socket = tempSocket('go.sock');
    await serve([goCertification(), `--varlink=unix:${socket}`], socket);
    const result = await run(ourCert('--client', `--varlink=unix:${socket}`));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Certification passed\n$/);
    expect(result.code).toBe(0);
  });

  test('the Go client certifies our server', async () => {
    const socket = tempSocket('ours.sock');
    const ours = await serveOurs(socket);
    const result = await run([goCertification(), '--client', `--varlink=unix:${socket}`]);
    // The Go client exits 0 even when a step fails; it prints "<Step>() failed" instead of the last line.
    expect(result.stdout).not.toMatch(/failed/);
    expect(result.stdout).toContain("Test10: '[Reply number 1 Reply number 2");
    expect(result.stdout).toMatch(/End: 'true'\n$/);
    await ours.stopCleanly();
  });
});

describe('certification with the Python reference (python3-varlink)', () => {
  const pyCert = (...args: string[]) => python('varlink.tests.test_certification', ...args);

  test('our client certifies the Python server, which enforces call order and compares whole calls', async () => {
    const socket = tempSocket('py.sock');
    const server = pyCert(`--varlink=unix:${socket}`);
    await serve(server.argv, socket, server.env);
    const result = await run(ourCert('--client', `--varlink=unix:${socket}`));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Certification passed\n$/);
    expect(result.code).toBe(0);
  });

  test('the Python server describes the interface byte for byte as we serve it', async () => {
    const socket = tempSocket('py.sock');
    const server = pyCert(`--varlink=unix:${socket}`);
    await serve(server.argv, socket, server.env);
    const client = await VarlinkClient.connect(socket);
    try {
      const {description} = await client.call('org.varlink.service.GetInterfaceDescription', {interface: 'org.varlink.certification'});
      expect(description).toBe(CERTIFICATION_IDL);
    } finally {
      client.close();
    }
  });

  test('the Python client certifies our server', async () => {
    const socket = tempSocket('ours.sock');
    const ours = await serveOurs(socket);
    const client = pyCert('--client', `--varlink=unix:${socket}`);
    const result = await run(client.argv, {env: client.env});
    expect(result.stdout).toContain(`Test10: {'string': 'Reply number 10'}`);
    expect(result.stdout).toMatch(/End: \{'all_ok': True\}\nCertification passed\n$/);
    expect(result.code).toBe(0);
    await ours.stopCleanly();
  });

  test('python varlink.cli info and help read our server', async () => {
    const socket = tempSocket('ours.sock');
    const ours = await serveOurs(socket);
    const info = python('varlink.cli', 'info', `unix:${socket}`);
    const result = await run(info.argv, {env: info.env});
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Vendor: terok\nProduct: .+\nVersion: .+\nURL: .*\nInterfaces:\n( {3}\S+\n){2}$/);
    expect(result.stdout).toContain('   org.varlink.service\n');
    expect(result.stdout).toContain('   org.varlink.certification\n');
    const help = python('varlink.cli', 'help', `unix:${socket}/org.varlink.certification`);
    const described = await run(help.argv, {env: help.env});
    expect(described.stdout).toBe(`${CERTIFICATION_IDL}\n`);
    await ours.stopCleanly();
  });
});

describe('systemd varlinkctl (trixie root) against our server', () => {
  async function ourServerInRoot() {
    const dir = rootSocketDir();
    cleanups.push(dir.remove);
    const ours = await serveOurs(dir.hostPath('cert.sock'));
    return {...ours, address: `unix:${dir.inRoot('cert.sock')}`, hostSocket: dir.hostPath('cert.sock')};
  }

  async function call(address: string, method: string, parameters: object, ...flags: string[]) {
    const result = await varlinkctl('call', '--json=short', ...flags, address, method, JSON.stringify(parameters));
    if (result.code !== 0) throw new Error(`varlinkctl call ${method} failed (${result.code}): ${result.stderr}`);
    // --more output is a JSON text sequence (RFC 7464): each record starts with RS (0x1E).
    return result.stdout.replaceAll('\x1e', '\n').split('\n').filter(Boolean).map((text) => JSON.parse(text) as Record<string, unknown>);
  }

  test('info, introspect', async () => {
    const {address} = await ourServerInRoot();
    const info = await varlinkctl('info', address);
    expect(info.stderr).toBe('');
    expect(info.stdout).toMatch(/Vendor: terok\n/);
    expect(info.stdout).toMatch(/Interfaces: org\.varlink\.certification\n\s+org\.varlink\.service\n/);
    const introspect = await varlinkctl('introspect', address, 'org.varlink.service');
    expect(introspect.code).toBe(0);
    expect(introspect.stdout).toMatch(/^interface org\.varlink\.service$/m);
    expect(introspect.stdout).toMatch(/^method GetInterfaceDescription\(\s*interface: string\s*\) -> \(\s*description: string\s*\)$/m);
  });

  test('a whole certification run made of varlinkctl calls, Test10 with --more and Test11 with --oneway', async () => {
    const {address, stopCleanly} = await ourServerInRoot();
    const method = (step: string) => `org.varlink.certification.${step}`;
    const [start] = await call(address, method('Start'), {});
    const clientId = start?.client_id as string;
    expect(clientId).toMatch(/^\S+$/);
    let reply: Record<string, unknown> = {};
    for (const step of ['Test01', 'Test02', 'Test03', 'Test04', 'Test05', 'Test06', 'Test07', 'Test08', 'Test09']) {
      [reply = {}] = await call(address, method(step), {client_id: clientId, ...reply});
    }
    const streamed = await call(address, method('Test10'), {client_id: clientId, ...reply}, '--more');
    expect(streamed).toEqual(MORE_REPLIES.map((string) => ({string})));
    expect(await call(address, method('Test11'), {client_id: clientId, last_more_replies: MORE_REPLIES}, '--oneway')).toEqual([]);
    expect(await call(address, method('End'), {client_id: clientId})).toEqual([{all_ok: true}]);
    await stopCleanly();
  });

  test('a call out of order fails with CertificationError', async () => {
    const {address} = await ourServerInRoot();
    const [start] = await call(address, 'org.varlink.certification.Start', {});
    const result = await varlinkctl('call', address, 'org.varlink.certification.Test02', JSON.stringify({client_id: start?.client_id, bool: true}));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('org.varlink.certification.CertificationError');
  });

  test('validate-idl accepts every interface we serve (but the certification one, beyond its parser)', async () => {
    // systemd's IDL parser rejects nested containers and [string](), which org.varlink.certification uses.
    const {hostSocket} = await ourServerInRoot();
    const checks = await validateServedIdls(hostSocket, ['org.varlink.certification']);
    expect(checks.map((c) => c.interface)).toEqual(['org.varlink.service']);
    for (const check of checks) expect(check).toEqual({interface: check.interface, ok: true, output: expect.any(String)});
  });

  test('validate-idl is a real check: it refuses a broken description', async () => {
    expect((await validateIdl('interface org.example.broken\nmethod Nope(\n')).code).not.toBe(0);
  });
});

describe('our client against sd-varlink servers (trixie root)', () => {
  /** A systemd tool serving varlink on a socket-activated connection, as its units do. */
  async function socketActivated(binary: string) {
    const dir = rootSocketDir();
    cleanups.push(dir.remove);
    await serve(chrootArgv('systemd-socket-activate', '--accept', '-l', dir.inRoot('s.sock'), '--fdname=varlink', binary), dir.hostPath('s.sock'));
    const client = await VarlinkClient.connect(dir.hostPath('s.sock'), {timeoutMs: 5000});
    cleanups.push(() => client.close());
    return client;
  }

  test('systemd-creds: GetInfo, errors as systemd sends them, the connection good after each', async () => {
    const client = await socketActivated('/usr/bin/systemd-creds');
    const info = await client.call('org.varlink.service.GetInfo');
    expect(info).toMatchObject({vendor: 'The systemd Project', interfaces: expect.arrayContaining(['io.systemd.Credentials'])});

    // systemd answers an unknown interface with MethodNotFound (others say InterfaceNotFound): both are "not found".
    const unknown = await client.call('io.systemd.Nope.Method').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(VarlinkError);
    expect((unknown as VarlinkError).errorName).toBe(StandardError.MethodNotFound);
    expect(isNotFound(unknown)).toBe(true);

    const invalid = await client.call('io.systemd.Credentials.Decrypt', {}).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(VarlinkError);
    expect(invalid).toMatchObject({errorName: StandardError.InvalidParameter, parameters: {parameter: 'blob'}});

    // An error of the interface itself: systemd's interface names carry capitals (io.systemd.Credentials).
    const badFormat = await client.call('io.systemd.Credentials.Decrypt', {blob: 'AAAA'}).catch((e: unknown) => e);
    expect(badFormat).toBeInstanceOf(VarlinkError);
    expect((badFormat as VarlinkError).errorName).toBe('io.systemd.Credentials.BadFormat');

    expect(await client.call('org.varlink.service.GetInfo')).toEqual(info);
  });

  test('systemd-creds: our IDL parser reads every interface it describes', async () => {
    const client = await socketActivated('/usr/bin/systemd-creds');
    const {interfaces} = await client.call('org.varlink.service.GetInfo');
    for (const name of interfaces as string[]) {
      const {description} = await client.call('org.varlink.service.GetInterfaceDescription', {interface: name});
      expect(parseInterface(description as string).name).toBe(name);
    }
    const {description} = await client.call('org.varlink.service.GetInterfaceDescription', {interface: 'io.systemd.Credentials'});
    expect([...parseInterface(description as string).methods.keys()]).toEqual(['Encrypt', 'Decrypt']);
  });

  test('systemd-sysext: a `more` stream of List replies ends after the last one', async () => {
    const names = [`vt${process.pid}a`, `vt${process.pid}b`];
    for (const name of names) {
      const dir = join(trixieRoot(), 'run/extensions', name, 'usr/lib/extension-release.d');
      mkdirSync(dir, {recursive: true});
      writeFileSync(join(dir, `extension-release.${name}`), 'ID=_any\n');
      cleanups.push(() => rmSync(join(trixieRoot(), 'run/extensions', name), {recursive: true, force: true}));
    }
    const client = await socketActivated('/usr/bin/systemd-sysext');
    const listed: string[] = [];
    for await (const image of client.stream('io.systemd.sysext.List', {})) listed.push(image.Name as string);
    expect(listed).toEqual(expect.arrayContaining(names));
    // Same connection, next call: the stream left nothing behind.
    expect(await client.call('org.varlink.service.GetInfo')).toMatchObject({vendor: 'The systemd Project'});
  });
});
