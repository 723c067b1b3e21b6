// The hub's verdict client against a real helper and against raw peers that misbehave on purpose.
import {afterAll, afterEach, expect, test} from '@jest/globals';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {VerdictClient} from '../../../service/verdict/verdict-client.js';
import {startVerdictService, type RunningVerdictService} from '../../../service/verdict/verdict-service.js';

const dir = mkdtempSync(join(tmpdir(), 'verdict-client-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quiet = {error() {}, warning() {}, info() {}, debug() {}};
let count = 0;
const socketPath = () => join(dir, `v-${++count}.sock`);

function shield(body: string): string {
  const path = join(dir, `shield-${++count}.sh`);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function helper(path: string, shieldCommand = shield('exit 0')): Promise<RunningVerdictService> {
  const service = await startVerdictService({path}, {shieldCommand, log: quiet});
  cleanups.push(() => service.close());
  return service;
}

function client(path: string, options = {}): VerdictClient {
  const c = new VerdictClient(path, options);
  cleanups.push(() => c.close());
  return c;
}

/**
 * A raw listener answering each connection with `behave(n, socket, frame)` for every NUL-terminated call frame,
 * n counting connections from 1. It speaks no protocol of its own, so tests can break the connection at will.
 */
async function rawHelper(path: string, behave: (n: number, socket: net.Socket, call: {method: string}) => void) {
  let connections = 0;
  const server = net.createServer((socket) => {
    const n = ++connections;
    let buffer = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buffer += d.toString();
      let nul;
      while ((nul = buffer.indexOf('\0')) !== -1) {
        behave(n, socket, JSON.parse(buffer.slice(0, nul)));
        buffer = buffer.slice(nul + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return {get connections() { return connections; }, server};
}

const reply = (socket: net.Socket, parameters: object) => socket.write(`${JSON.stringify({parameters})}\0`);

test('lazy: nothing connects until the first apply; then one connection serves every apply', async () => {
  const path = socketPath();
  const c = client(path);
  const service = await helper(path);
  expect(service.server.connectionCount).toBe(0);
  for (let i = 0; i < 3; i++) expect(await c.apply('abc123def456', 'example.com', 'allow')).toEqual({ok: true, stderr: ''});
  expect(service.server.connectionCount).toBe(1);
});

test('no helper listening: ok false, "verdict helper unreachable" with the reason', async () => {
  const path = socketPath();
  expect(await client(path).apply('c', 'example.com', 'deny'))
    .toEqual({ok: false, stderr: `verdict helper unreachable: connect ENOENT ${path}`});
});

test('a helper restarted between verdicts is reconnected to', async () => {
  const path = socketPath();
  const c = client(path);
  const first = await helper(path);
  expect((await c.apply('c', 'example.com', 'allow')).ok).toBe(true);
  await first.close();
  await helper(path);
  expect(await c.apply('c', 'example.com', 'allow')).toEqual({ok: true, stderr: ''});
});

test('a connection that breaks during the call: one reconnect, one retry, and the answer of the retry', async () => {
  const path = socketPath();
  const raw = await rawHelper(path, (n, socket) => {
    if (n === 1) socket.destroy();
    else reply(socket, {ok: true, stderr: ''});
  });
  expect(await client(path).apply('c', 'example.com', 'allow')).toEqual({ok: true, stderr: ''});
  expect(raw.connections).toBe(2);
});

test('broken twice: ok false after exactly one retry', async () => {
  const path = socketPath();
  const raw = await rawHelper(path, (_n, socket) => socket.destroy());
  expect(await client(path).apply('c', 'example.com', 'allow'))
    .toEqual({ok: false, stderr: `verdict helper unreachable: varlink connection to ${path} closed`});
  expect(raw.connections).toBe(2);
});

test('an error reply is a failed apply, not retried', async () => {
  const path = socketPath();
  const raw = await rawHelper(path, (_n, socket) =>
    socket.write(`${JSON.stringify({error: 'org.varlink.service.InvalidParameter', parameters: {parameter: 'dest'}})}\0`));
  expect(await client(path).apply('c', 'example.com', 'allow'))
    .toEqual({ok: false, stderr: 'verdict helper refused the call: org.varlink.service.InvalidParameter {"parameter":"dest"}'});
  expect(raw.connections).toBe(1);
});

test.each([
  [{}],
  [{ok: 'true', stderr: ''}],
  [{ok: 1, stderr: ''}],
  [{ok: true}],
])('a reply that is not {ok: bool, stderr: string} is never success: %j', async (parameters) => {
  const path = socketPath();
  await rawHelper(path, (_n, socket) => reply(socket, parameters));
  expect(await client(path).apply('c', 'example.com', 'allow')).toEqual({ok: false, stderr: 'verdict helper sent a malformed reply'});
});

test('a helper that never answers: ok false at the call timeout, not retried', async () => {
  const path = socketPath();
  const raw = await rawHelper(path, () => {});
  expect(await client(path, {callTimeoutMs: 200}).apply('c', 'example.com', 'allow'))
    .toEqual({ok: false, stderr: 'verdict helper did not answer: varlink call org.terok.ClearanceVerdict1.Apply timed out after 200 ms'});
  expect(raw.connections).toBe(1);
});

test('concurrent applies share the connection and each gets its own answer', async () => {
  const path = socketPath();
  const service = await helper(path, shield('echo "$3" >&2; [ "$1" = allow ]'));
  const c = client(path);
  const results = await Promise.all(Array.from({length: 10}, (_, i) => c.apply('c', `d${i}.example`, i % 3 ? 'allow' : 'deny')));
  results.forEach((r, i) => expect(r).toEqual({ok: i % 3 !== 0, stderr: `d${i}.example`}));
  expect(service.server.connectionCount).toBe(1);
});

test('pipelined on one connection, applies run one after another: a slow shield delays the next verdict', async () => {
  const path = socketPath();
  await helper(path, shield('[ "$3" = slow.example ] && sleep 0.5; exit 0'));
  const c = client(path);
  const started = Date.now();
  const slow = c.apply('c', 'slow.example', 'allow');
  const fast = c.apply('c', 'fast.example', 'allow').then((r) => ({...r, at: Date.now() - started}));
  expect((await fast).at).toBeGreaterThanOrEqual(500);
  expect((await slow).ok).toBe(true);
});

test('close(): an apply in flight and later ones are ok false', async () => {
  const path = socketPath();
  await helper(path, shield('sleep 0.5'));
  const c = client(path);
  const inFlight = c.apply('c', 'example.com', 'allow');
  await new Promise((r) => setTimeout(r, 100));
  c.close();
  expect(await inFlight).toEqual({ok: false, stderr: `verdict helper unreachable: varlink connection to ${path} closed`});
  expect(await c.apply('c', 'example.com', 'allow')).toEqual({ok: false, stderr: 'verdict helper unreachable: client closed'});
});
