// The reader ingester on a real unix socket with real writers: framing, limits, hostile input, foreign uids.
import {afterEach, expect, test} from '@jest/globals';
import {once} from 'node:events';
import {chmodSync, existsSync, mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import type {ClearanceEvent} from '../../../core/clearance/event.js';
import type {Logger} from '../../../service/log.js';
import {ReaderIngester, type ReaderIngesterOptions} from '../../../service/ingester/reader-ingester.js';
import {canSwitchUid, exited, FOREIGN_UID, spawnAsForeignUid} from '../support/foreign-uid.js';

interface Harness {
  ingester: ReaderIngester;
  path: string;
  events: ClearanceEvent[];
  logs: {level: string; message: string}[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function recordingLog(logs: Harness['logs']): Logger {
  const at = (level: string) => (message: string) => { logs.push({level, message}); };
  return {error: at('error'), warning: at('warning'), info: at('info'), debug: at('debug')};
}

async function start(options: Partial<ReaderIngesterOptions> = {}, path?: string): Promise<Harness> {
  if (!path) {
    const dir = mkdtempSync(join(tmpdir(), 'ingester-'));
    cleanups.push(() => rmSync(dir, {recursive: true, force: true}));
    path = join(dir, 'reader.sock');
  }
  const events: ClearanceEvent[] = [];
  const logs: Harness['logs'] = [];
  const ingester = await ReaderIngester.listen({path}, {onEvent: (e) => events.push(e), log: recordingLog(logs), ...options});
  cleanups.push(() => ingester.close());
  return {ingester, path, events, logs};
}

async function writer(path: string): Promise<net.Socket> {
  const s = net.connect(path);
  cleanups.push(() => { s.destroy(); });
  await once(s, 'connect');
  return s;
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Not events.once: that rejects on an 'error' (EPIPE, ECONNRESET), which a refused writer may well see first.
const closedOf = (s: net.Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const warnings = (h: Harness) => h.logs.filter((l) => l.level === 'warning').map((l) => l.message);

const pending = (n: number, extra: object = {}) => JSON.stringify({
  type: 'pending', container: 'abc123def456', id: `abc123def456:${n}`, dest: '198.51.100.1', port: 443, proto: 6,
  domain: 'registry.example.net', dossier: {project: 'warp'}, ts: '2026-11-23T08:00:00.000001+00:00', ...extra,
});

test('many lines in one write arrive as events, in order, translated', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.write(`${pending(1)}\n{"type":"shield_down_all","container":"abc123def456"}\n${pending(2, {port: '8443'})}\n`);
  await until('3 events', () => h.events.length === 3);
  expect(h.events[0]).toEqual({
    type: 'connection_blocked', container: 'abc123def456', request_id: 'abc123def456:1', dest: '198.51.100.1',
    port: 443, proto: 6, domain: 'registry.example.net', action: '', ok: false, reason: '', dossier: {project: 'warp'},
  });
  expect(h.events[1]).toMatchObject({type: 'shield_disengaged', container: 'abc123def456'});
  expect(h.events[2]).toMatchObject({request_id: 'abc123def456:2', port: 8443});
  expect(warnings(h)).toEqual([]);
});

test('a line split across writes, even inside a UTF-8 character, is decoded once whole', async () => {
  const h = await start();
  const w = await writer(h.path);
  const bytes = Buffer.from(`${pending(1, {dossier: {name: 'café'}})}\n`);
  const cut = bytes.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
  for (const piece of [bytes.subarray(0, 10), bytes.subarray(10, cut), bytes.subarray(cut, cut + 1), bytes.subarray(cut + 1)]) {
    w.write(piece);
    await new Promise((r) => setTimeout(r, 10));
  }
  await until('the event', () => h.events.length === 1);
  // One non-ASCII character becomes one space; a per-read decode would have made two replacement characters.
  expect(h.events[0]!.dossier).toEqual({name: 'caf '});
});

test('CRLF line ends and blank lines are accepted quietly', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.write(`\n\r\n   \n${pending(1)}\r\n\n${pending(2)}\r\n`);
  await until('2 events', () => h.events.length === 2);
  expect(h.events.map((e) => e.request_id)).toEqual(['abc123def456:1', 'abc123def456:2']);
  expect(warnings(h)).toEqual([]);
});

test('invalid JSON, wrong shapes and unknown types are logged and skipped; the connection stays', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.write(`not json\n[1,2]\n{"type":"pending","container":"c"}\n{"type":"future_thing","container":"c"}\n${pending(1)}\n`);
  await until('the good event', () => h.events.length === 1);
  expect(h.events[0]!.request_id).toBe('abc123def456:1');
  const w3 = warnings(h);
  expect(w3).toHaveLength(3);
  expect(w3[0]).toMatch(/reader #\d+ \(pid \d+\): invalid JSON/);
  expect(w3[1]).toMatch(/not a JSON object/);
  expect(w3[2]).toMatch(/pending: "id"/);
  expect(h.logs.some((l) => l.level === 'debug' && /unknown type "future_thing"/.test(l.message))).toBe(true);
  expect(w.destroyed).toBe(false);
});

test('a line of exactly 64 KiB is accepted; one byte more closes that connection only', async () => {
  const h = await start();
  const line = (bytes: number) => {
    const base = JSON.stringify({type: 'shield_up', container: 'abc123def456', pad: ''});
    return base.replace('"pad":""', `"pad":"${'x'.repeat(bytes - base.length)}"`);
  };
  expect(Buffer.byteLength(line(65536))).toBe(65536);
  const steady = await writer(h.path);
  const big = await writer(h.path);
  big.on('error', () => {}); // EPIPE once we hang up on it
  big.write(`${line(65536)}\n`);
  await until('the 64 KiB event', () => h.events.length === 1);
  const bigClosed = closedOf(big);
  big.write(`${line(65537)}\n`);
  await bigClosed;
  expect(warnings(h).some((m) => /line longer than 65536 bytes; closing this connection/.test(m))).toBe(true);
  steady.write(`${pending(7)}\n`);
  await until('the other writer\'s event', () => h.events.length === 2);
  expect(h.events[1]!.request_id).toBe('abc123def456:7');
  expect(h.ingester.connectionCount).toBe(1);
});

test('an endless line without a newline is cut off at the cap, not buffered', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.on('error', () => {});
  const closed = closedOf(w);
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  for (let i = 0; i < 8 && !w.destroyed; i++) w.write(chunk);
  await closed;
  expect(h.events).toEqual([]);
  expect(h.ingester.connectionCount).toBe(0);
});

test('hostile strings arrive sanitised: control characters, escapes, bidi overrides, markup', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.write(`${pending(1, {
    domain: 'evil\u202Egpj.exe\u0007.example',
    dest: '198.51.100.1\n\u001b[31m',
    dossier: {name: '<b>bold</b> & \u200Fname', task: 'a\tb', '\u0000key': 'v', nested: {x: 1}},
  })}\n`);
  await until('the event', () => h.events.length === 1);
  const e = h.events[0]!;
  expect(e.domain).toBe('evil gpj.exe .example');
  expect(e.dest).toBe('198.51.100.1  [31m');
  expect(e.dossier).toEqual({name: '<b>bold</b> &  name', task: 'a b', ' key': 'v', nested: '{"x":1}'});
  for (const s of [e.domain, e.dest, e.container, e.request_id, ...Object.entries(e.dossier).flat()]) {
    expect(s).toMatch(/^[\x20-\x7e]*$/);
  }
});

test('a flood of bad lines logs a handful and a count, not one record each', async () => {
  const h = await start({logRecordsPerSecond: 3});
  const w = await writer(h.path);
  w.write('garbage\n'.repeat(2000) + `${pending(1)}\n`);
  await until('the good event', () => h.events.length === 1);
  const closed = closedOf(w);
  w.end();
  await closed;
  await until('the summary', () => warnings(h).some((m) => /suppressed/.test(m)));
  const ws = warnings(h);
  expect(ws.filter((m) => /invalid JSON/.test(m)).length).toBeLessThanOrEqual(6); // 3 a second; the test may span 2
  const counted = ws.filter((m) => /suppressed/.test(m)).map((m) => Number(/(\d+) more warning/.exec(m)![1]));
  expect(ws.filter((m) => /invalid JSON/.test(m)).length + counted.reduce((a, b) => a + b, 0)).toBe(2000);
});

test('an event handler that throws costs that event only', async () => {
  let calls = 0;
  const h = await start({onEvent: () => { if (++calls === 1) throw new Error('boom'); }});
  const w = await writer(h.path);
  w.write(`${pending(1)}\n${pending(2)}\n`);
  await until('2 calls', () => calls === 2);
  expect(warnings(h).some((m) => /event handler failed on a connection_blocked event: boom/.test(m))).toBe(true);
  expect(w.destroyed).toBe(false);
});

test('a record cut short by the writer closing is dropped with a warning', async () => {
  const h = await start();
  const w = await writer(h.path);
  w.end(`${pending(1)}\n${pending(2).slice(0, 40)}`);
  await until('the warning', () => warnings(h).some((m) => /closed mid-line; 40 bytes dropped/.test(m)));
  expect(h.events.map((e) => e.request_id)).toEqual(['abc123def456:1']);
});

test('the ingester never writes back', async () => {
  const h = await start();
  const w = await writer(h.path);
  let received = 0;
  w.on('data', (d: Buffer) => { received += d.length; });
  w.write(`${pending(1)}\nbad\n`);
  await until('the event', () => h.events.length === 1);
  const closed = closedOf(w);
  w.end();
  await closed;
  expect(received).toBe(0);
});

test('many writers at once: every line arrives, each connection in its own order', async () => {
  const h = await start();
  const writers = await Promise.all(Array.from({length: 50}, () => writer(h.path)));
  writers.forEach((w, i) => {
    const lines = Array.from({length: 100}, (_, n) => `${pending(n, {container: `c${i}`, id: `c${i}:${n}`})}\n`);
    // Uneven pieces so lines straddle writes.
    const text = lines.join('');
    for (let at = 0; at < text.length; at += 997) w.write(text.slice(at, at + 997));
  });
  await until('5000 events', () => h.events.length === 5000, 15000);
  for (let i = 0; i < 50; i++) {
    const ids = h.events.filter((e) => e.container === `c${i}`).map((e) => e.request_id);
    expect(ids).toEqual(Array.from({length: 100}, (_, n) => `c${i}:${n}`));
  }
});

test('at maxConnections the longest-idle reader makes room, never one mid-line; all mid-line: the newcomer is refused', async () => {
  const h = await start({maxConnections: 2});
  const midLine = await writer(h.path);
  const idle = await writer(h.path);
  midLine.write(pending(1).slice(0, 20));
  idle.write(`${pending(2)}\n`);
  await until('the idle reader\'s event', () => h.events.length === 1);
  const fresh = await writer(h.path);
  const idleClosed = closedOf(idle);
  fresh.write(`${pending(3)}\n`);
  await idleClosed;
  await until('the newcomer\'s event', () => h.events.length === 2);
  expect(warnings(h)).toEqual([expect.stringMatching(/2 readers connected \(the limit\): closing the longest-idle one for reader #3/)]);

  fresh.write(pending(4).slice(0, 20)); // now both are mid-line
  await sleep(50);
  const extra = await writer(h.path);
  extra.on('error', () => {});
  await closedOf(extra);
  expect(warnings(h).at(-1)).toMatch(/refused reader connection #4: 2 readers connected, every one mid-line/);
  midLine.write(`${pending(1).slice(20)}\n`);
  fresh.write(`${pending(4).slice(20)}\n`);
  await until('both finished lines', () => h.events.length === 4);
  expect(h.events.map((e) => e.request_id)).toEqual(['abc123def456:2', 'abc123def456:3', 'abc123def456:1', 'abc123def456:4']);
});

test('a connection that sends no complete line within the first-line timeout is closed', async () => {
  const h = await start({firstLineTimeoutMs: 200});
  const silent = await writer(h.path);
  const talker = await writer(h.path);
  talker.write(`${pending(1)}\n`);
  await closedOf(silent);
  expect(warnings(h)).toEqual([expect.stringMatching(/reader #1 .*no complete line within 200 ms; closing this connection/)]);
  await sleep(300);
  talker.write(`${pending(2)}\n`);
  await until('2 events', () => h.events.length === 2);
});

test('close() ends every connection, removes the socket, and the path can be bound again', async () => {
  const h = await start();
  const a = await writer(h.path);
  const b = await writer(h.path);
  await until('2 connections', () => h.ingester.connectionCount === 2);
  const closedA = closedOf(a);
  const closedB = closedOf(b);
  await h.ingester.close();
  await Promise.all([closedA, closedB]);
  await h.ingester.close(); // idempotent
  expect(existsSync(h.path)).toBe(false);
  const again = await start({}, h.path);
  const w = await writer(again.path);
  w.write(`${pending(1)}\n`);
  await until('the event', () => again.events.length === 1);
});

test('without the peer-credential addon: one warning at start, writers accepted on the socket permissions', async () => {
  const h = await start({peerCheck: {read: () => null, unavailable: () => 'cannot load peercred.node'}});
  expect(warnings(h)).toEqual([expect.stringMatching(
    /cannot check which uid a peer runs as \(cannot load peercred\.node\); only the socket permissions/)]);
  const w = await writer(h.path);
  w.write(`${pending(1)}\n`);
  await until('the event', () => h.events.length === 1);
  expect(warnings(h)).toHaveLength(1);
});

test('a peer that cannot be identified is refused', async () => {
  const h = await start({peerCheck: {read: () => { throw new Error('EBADF'); }, unavailable: () => null}});
  const w = await writer(h.path);
  w.on('error', () => {});
  const closed = closedOf(w);
  w.write(`${pending(1)}\n`);
  await closed;
  expect(h.events).toEqual([]);
  expect(warnings(h)).toEqual([expect.stringMatching(/refused reader connection #1: cannot identify its peer \(EBADF\)/)]);
});

(canSwitchUid ? test : test.skip)('a writer running as another uid is refused unread; ours carries on', async () => {
  const h = await start();
  // Test-only: let nobody reach the socket, so that the uid check (not the permissions) is what refuses it.
  chmodSync(dirname(h.path), 0o711);
  chmodSync(h.path, 0o666);
  const ours = await writer(h.path);
  const child = spawnAsForeignUid(`
    import net from 'node:net';
    const s = net.connect(process.argv[1]);
    s.on('connect', () => s.write(process.argv[2] + '\\n'));
    s.on('error', () => {});
    s.on('data', () => process.exit(4));
    s.on('close', () => process.exit(0));
    setTimeout(() => process.exit(3), 5000);
  `, [h.path, pending(666)]);
  expect(await exited(child)).toEqual({code: 0, stderr: ''});
  ours.write(`${pending(1)}\n`);
  await until('our event', () => h.events.length === 1);
  expect(h.events.map((e) => e.request_id)).toEqual(['abc123def456:1']);
  expect(warnings(h)).toEqual([expect.stringMatching(
    new RegExp(`refused reader connection #\\d+ from uid ${FOREIGN_UID} \\(pid ${child.pid}\\): only uid ${process.getuid!()} may connect`))]);
});
