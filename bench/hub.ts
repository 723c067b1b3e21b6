// The hub measured from outside, as it runs: `node dist/service/cli.js serve` in its own process, the verdict
// helper (`serve-verdict`, its shield a `#!/bin/sh\nexit 0` script) in another, subscribers in a third
// (bench/hub-subscribers.ts: all of a phase's 1, 10 or 100 subscribers in that one process), reader lines and
// Verdict calls from this one. Baselines come from the raw unix-socket servers of bench/raw-socket.ts in a fourth
// process, so they cross processes as the hub's figures do; a figure's rounds alternate with its baseline's.
//
// Latency clock: the writer stamps each line with process.hrtime (dossier SENT_NS, carried through to the event
// untouched) just before writing it; the subscriber subtracts it from its own process.hrtime when the event comes
// out of its stream. process.hrtime reads CLOCK_MONOTONIC, which is one clock for all processes of a host, so the
// difference is a true one-way latency: the hub's read, parse, sanitise, fan-out and the subscriber's decode.
// Lines are paced well above the time one event takes, so the figure is latency, not queueing; its baseline is a
// raw echo round trip interleaved with the lines, since waking a process from idle is part of both.
//
// Throughput: bursts written as fast as the hub takes them (it paces the reader to subscribers that are behind),
// timed from the first write to the moment the last of 10 frame-counting subscribers has every event.
// Verdicts: one call at a time, each answering a fresh pending request; then the same with a stand-in helper that
// answers without exec (bench/no-exec-verdict-helper.ts), so the difference is the shield's fork/exec.
// Memory: VmRSS of the hub from /proc before and after a 1,000,000-line flood with one reading and one stuck
// subscriber; "before" comes after the phases above (about 250,000 events), so the hub's heap has grown to its
// working size and the growth is what the flood keeps. Between full GCs the RSS rises and falls by tens of MB
// (garbage not yet collected): the lows of each fifth of the flood show whether anything is kept.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {encodeFrame} from '../core/varlink/framing.js';
import {makeCall} from '../core/varlink/message.js';
import {sessionPaths, type HubPaths} from '../service/paths.js';
import {VarlinkClient} from '../service/varlink/client.js';
import {BenchProcess, waitForSocket} from './bench-process.js';
import {Latencies, Rate, timeBatches, timeEach} from './measure.js';
import {RawClient} from './raw-socket.js';
import {CONTAINER, domainOf, pendingLine, PROBE_LINE, ReaderWriter, subscriberFrame} from './reader-lines.js';
import type {Figure} from './report.js';

const ROUNDS = 2;
/**
 * Gap after each stamped line and after each baseline round trip, per subscriber count: several times what one
 * event costs to fan out and decode.
 */
const PACE_MS: Record<number, number> = {1: 1, 10: 2, 100: 10};
const LATENCY_BUDGET = {warmupMs: 200, durationMs: 1000};
const BURST = 100_000;
const FLOOD = 1_000_000;
const STREAM_LENGTH = 1000;
/** Pending lines written before each Verdict round: one verdict each, within the hub's default cap of 10,000. */
const VERDICT_BATCH = 9000;
/** After the last paced line, how long stragglers get before a round is collected. */
const SETTLE_MS = 100;
const MB = 1024;

const ECHO = 'raw unix-socket echo round trip (other process)';
const PACED_ECHO = 'raw unix-socket echo round trip, interleaved (other process)';
const FRAMES = 'raw unix-socket frames/s (other process, 1 reader)';
const SUBSCRIBE_FRAME = encodeFrame(makeCall('org.terok.Clearance1.Subscribe', {}, {more: true}));

const note = (text: string) => process.stderr.write(`  hub: ${text}\n`);

/** Everything the phases share: the processes, the baseline clients, one reader connection and the line counter. */
interface Rig {
  dir: string;
  paths: HubPaths;
  hub: BenchProcess;
  verdictHelper: BenchProcess;
  raw: BenchProcess;
  echo: RawClient;
  stream: RawClient;
  writer: ReaderWriter;
  /** The next unused reader line number: every pending line has its own request id. */
  nextLine: number;
}

interface Taken {
  counts: number[];
  latencies: number[];
}

/** A process of subscribers (bench/hub-subscribers.ts), subscribed and seen to receive events. */
class Subscribers {
  private constructor(readonly process: BenchProcess) {}

  static async start(rig: Rig, count: number, mode: 'decode' | 'count'): Promise<Subscribers> {
    const peer = BenchProcess.peer(`${count} subscribers`, 'bench/hub-subscribers.js', [rig.paths.hub, String(count), mode]);
    const subscribers = new Subscribers(peer);
    await peer.message((m) => (m as {subscribed?: number}).subscribed, 30_000, 'subscribing');
    // Subscribe has no reply: probe until every subscriber has seen an event, then start from nothing.
    for (let tries = 0; ; tries++) {
      await rig.writer.write(PROBE_LINE);
      await sleep(20);
      if ((await subscribers.take()).counts.every((c) => c > 0)) break;
      if (tries > 250) throw new Error(`subscribers never saw a probe event; ${rig.hub.describe()}`);
    }
    await sleep(SETTLE_MS);
    await subscribers.take();
    return subscribers;
  }

  /** What was received since the last take. */
  take(): Promise<Taken> {
    const taken = this.process.message((m) => (m as {taken?: Taken}).taken, 10_000, 'collecting from subscribers');
    this.process.send({take: true});
    return taken;
  }

  /** The hrtime (ns) at which every subscriber had `events` since the last take; null if that took over `ms`. */
  reached(events: number, ms: number): Promise<bigint | null> {
    const reached = this.process.message((m) => (m as {reached?: string}).reached, ms, `waiting for ${events} events`);
    this.process.send({await: events});
    return reached.then(BigInt, () => null);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hub-'));
  const runtime = join(dir, 'run');
  const env = {...process.env, XDG_RUNTIME_DIR: runtime};
  const paths = sessionPaths(runtime);
  writeFileSync(join(dir, 'shield'), '#!/bin/sh\nexit 0\n', {mode: 0o755});
  mkdirSync(join(dir, 'raw'), {mode: 0o700});
  const raw = BenchProcess.peer('raw sockets', 'bench/raw-socket-process.js', [join(dir, 'raw'), String(STREAM_LENGTH)]);
  const verdictHelper = BenchProcess.cli('verdict helper', ['serve-verdict', '--shield', join(dir, 'shield')], env);
  const hub = BenchProcess.cli('hub', ['serve'], env);
  await raw.message((m) => (m as {listening?: true}).listening, 10_000, 'raw socket servers');
  await waitForSocket(paths.verdict, verdictHelper);
  await waitForSocket(paths.hub, hub);
  await waitForSocket(paths.reader, hub);
  return {
    dir, paths, hub, verdictHelper, raw,
    echo: await RawClient.connect(join(dir, 'raw', 'echo.sock')),
    stream: await RawClient.connect(join(dir, 'raw', 'stream.sock')),
    writer: await ReaderWriter.connect(paths.reader),
    nextLine: 1,
  };
}

async function stopRig(rig: Rig): Promise<void> {
  rig.writer.close();
  rig.echo.close();
  rig.stream.close();
  await Promise.all([rig.hub.stop(), rig.verdictHelper.stop(), rig.raw.stop()]);
  rmSync(rig.dir, {recursive: true, force: true});
}

const ECHO_FRAME = subscriberFrame(1);
const rawEcho = (rig: Rig, into: Latencies) => timeEach(() => rig.echo.exchange(ECHO_FRAME), into);

function echoFigure(name: string, value: number, baseline: number, options: {paced?: boolean; target?: number} = {}): Figure {
  const {paced, target} = options;
  return {name, unit: 'µs', value, baseline, baselineName: paced ? PACED_ECHO : ECHO,
    ...(target !== undefined ? {target: {text: `≤ ${target}×`, met: value <= target * baseline}} : {})};
}

/**
 * For `ms`: a stamped line, a gap, a raw echo round trip (timed into `echoes`), a gap, and again. Interleaved, so
 * the line and its baseline meet the same machine: waking a process that sat idle for the gap costs both alike,
 * and a busy moment of a shared machine falls on both. Returns how many lines were written.
 */
async function pacedLines(rig: Rig, gapMs: number, ms: number, echoes: number[]): Promise<number> {
  let lines = 0;
  for (const end = Date.now() + ms; Date.now() < end; lines++) {
    await rig.writer.write(pendingLine(rig.nextLine++, process.hrtime.bigint()));
    await sleep(gapMs);
    const sent = process.hrtime.bigint();
    await rig.echo.exchange(ECHO_FRAME);
    echoes.push(Number(process.hrtime.bigint() - sent) / 1000);
    await sleep(gapMs);
  }
  return lines;
}

async function latency(rig: Rig, subscriberCount: number): Promise<Figure[]> {
  const subscribers = await Subscribers.start(rig, subscriberCount, 'decode');
  const hub = new Latencies();
  const raw = new Latencies();
  const gapMs = PACE_MS[subscriberCount]!;
  let lost = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await pacedLines(rig, gapMs, LATENCY_BUDGET.warmupMs, []);
      await sleep(SETTLE_MS);
      await subscribers.take();
      const echoes: number[] = [];
      const start = process.hrtime.bigint();
      const lines = await pacedLines(rig, gapMs, LATENCY_BUDGET.durationMs, echoes);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await sleep(SETTLE_MS);
      const {latencies} = await subscribers.take();
      lost += lines * subscriberCount - latencies.length;
      hub.add(latencies, seconds);
      raw.add(echoes, seconds);
    }
  } finally {
    await subscribers.stop();
  }
  if (lost !== 0) note(`${lost} stamped events did not reach a subscriber within ${SETTLE_MS} ms`);
  const label = `${subscriberCount} subscriber${subscriberCount > 1 ? 's' : ''}, a line per ${2 * gapMs} ms`;
  return [
    echoFigure(`ingest→subscriber p50, ${label}`, hub.percentile(50), raw.percentile(50),
      {paced: true, ...(subscriberCount === 1 ? {target: 3} : {})}),
    echoFigure(`ingest→subscriber p99, ${label}`, hub.percentile(99), raw.percentile(99), {paced: true}),
  ];
}

async function throughput(rig: Rig): Promise<Figure[]> {
  const subscribers = await Subscribers.start(rig, 10, 'count');
  const hub = new Rate();
  const raw = new Rate();
  const received: number[] = Array(10).fill(0);
  let written = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await timeBatches(() => rig.stream.exchange(ECHO_FRAME, STREAM_LENGTH), STREAM_LENGTH, raw);
      const reached = subscribers.reached(BURST, 60_000);
      const start = process.hrtime.bigint();
      await rig.writer.writeRange(rig.nextLine, rig.nextLine + BURST);
      rig.nextLine += BURST;
      written += BURST;
      const at = await reached;
      const {counts} = await subscribers.take();
      counts.forEach((c, i) => (received[i]! += c));
      if (at === null) throw new Error(`not every subscriber received the ${BURST}-event burst: ${counts.join(', ')}`);
      hub.add(BURST, Number(at - start) / 1e9);
    }
  } finally {
    await subscribers.stop();
  }
  note(`events received by each of 10 subscribers (of ${written.toLocaleString('en-US')} written): ${received.join(', ')}`);
  return [
    {name: 'events/s fanned out to 10 subscribers', unit: '/s', value: hub.perSecond, baseline: raw.perSecond,
      baselineName: FRAMES, target: {text: '≥ 50,000 /s', met: hub.perSecond >= 50_000}},
    {name: 'frames/s written by the hub (× 10 subscribers)', unit: '/s', value: hub.perSecond * 10, baseline: raw.perSecond,
      baselineName: FRAMES},
    {name: 'events received, fewest of 10 subscribers', unit: 'ev', value: Math.min(...received), baseline: written,
      baselineName: 'events written'},
  ];
}

/** Verdict calls one at a time, each answering a fresh pending request, for one round of `timeEach`. */
async function verdictRound(rig: Rig, rpc: VarlinkClient, into: Latencies): Promise<void> {
  const first = rig.nextLine;
  const end = first + VERDICT_BATCH;
  await rig.writer.writeRange(first, end);
  rig.nextLine = end;
  // Answer nothing until the hub holds the whole batch (the reader socket is not acknowledged).
  for (const deadline = Date.now() + 10_000; ;) {
    const {events} = await rpc.call('org.terok.Clearance1.Pending') as {events: {request_id: string}[]};
    if (events.at(-1)?.request_id === `${CONTAINER}:${end - 1}`) break;
    if (Date.now() > deadline) throw new Error(`the hub never bound the verdict batch; ${rig.hub.describe()}`);
    await sleep(20);
  }
  let n = first;
  await timeEach(async () => {
    if (n >= end) throw new Error(`a Verdict round needs more than ${VERDICT_BATCH} pending requests`);
    const id = n++;
    const reply = await rpc.call('org.terok.Clearance1.Verdict', {container: CONTAINER, request_id: `${CONTAINER}:${id}`,
      dest: domainOf(id), action: 'allow'});
    if (reply.ok !== true) throw new Error(`Verdict answered ${JSON.stringify(reply)}`);
  }, into);
}

async function verdicts(rig: Rig): Promise<Figure[]> {
  const rpc = await VarlinkClient.connect(rig.paths.hub);
  const raw = new Latencies();
  const shielded = new Latencies();
  const unexec = new Latencies();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await rawEcho(rig, raw);
      await verdictRound(rig, rpc, shielded);
    }
    // The same hub, its helper swapped for one that answers without exec (the hub reconnects on its own).
    await rig.verdictHelper.stop();
    rig.verdictHelper = BenchProcess.peer('verdict helper without exec', 'bench/no-exec-verdict-helper.js', [rig.paths.verdict]);
    await rig.verdictHelper.message((m) => (m as {listening?: true}).listening, 10_000, 'verdict helper without exec');
    for (let round = 0; round < ROUNDS; round++) {
      await rawEcho(rig, raw);
      await verdictRound(rig, rpc, unexec);
    }
  } finally {
    rpc.close();
  }
  return [
    echoFigure('Verdict round trip p50, instant shield', shielded.percentile(50), raw.percentile(50)),
    echoFigure('Verdict round trip p99, instant shield', shielded.percentile(99), raw.percentile(99)),
    echoFigure('Verdict round trip p50, helper without exec', unexec.percentile(50), raw.percentile(50)),
    echoFigure('Verdict round trip p99, helper without exec', unexec.percentile(99), raw.percentile(99)),
    echoFigure('  the shield\'s fork/exec (difference of the p50s)', shielded.percentile(50) - unexec.percentile(50), raw.percentile(50)),
  ];
}

/** A subscriber that sends Subscribe and stops reading until `unstick()`; then counts what still reaches it. */
async function stuckSubscriber(path: string): Promise<{unstick(ms: number): Promise<{frames: number; open: boolean}>; close(): void}> {
  const socket = net.connect({path});
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  socket.write(SUBSCRIBE_FRAME);
  let frames = 0;
  let open = true;
  socket.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(0); i !== -1; i = chunk.indexOf(0, i + 1)) frames++;
  });
  socket.on('end', () => (open = false));
  socket.on('error', () => (open = false));
  return {
    async unstick(ms) {
      socket.resume();
      await sleep(ms);
      return {frames, open};
    },
    close: () => socket.destroy(),
  };
}

async function flood(rig: Rig): Promise<Figure[]> {
  const rawFrames = new Rate();
  await timeBatches(() => rig.stream.exchange(ECHO_FRAME, STREAM_LENGTH), STREAM_LENGTH, rawFrames);
  const stuck = await stuckSubscriber(rig.paths.hub);
  const subscribers = await Subscribers.start(rig, 1, 'count');
  try {
    const before = rig.hub.memoryKiB();
    // Resets VmHWM to the current RSS (proc(5), clear_refs "5"), so the peak read afterwards is the flood's.
    writeFileSync(`/proc/${rig.hub.child.pid}/clear_refs`, '5');
    const reached = subscribers.reached(FLOOD, 120_000);
    // RSS along the way, to tell a sawtooth (garbage awaiting a full GC) from growth (rising lows).
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rig.hub.memoryKiB()), 50);
    const start = process.hrtime.bigint();
    await rig.writer.writeRange(rig.nextLine, rig.nextLine + FLOOD);
    rig.nextLine += FLOOD;
    const at = await reached;
    clearInterval(sampler);
    const {counts} = await subscribers.take();
    const after = rig.hub.memoryKiB();
    const peak = rig.hub.memoryKiB('VmHWM');
    if (at === null) throw new Error(`the reading subscriber received ${counts[0]} of ${FLOOD} flood events`);
    const perSecond = FLOOD / (Number(at - start) / 1e9);
    const fifths = [0, 1, 2, 3, 4].map((i) => samples.slice(Math.floor(i * samples.length / 5), Math.floor((i + 1) * samples.length / 5)));
    const range = (kib: number[]) => `${(Math.min(...kib) / MB).toFixed(0)}-${(Math.max(...kib) / MB).toFixed(0)}`;
    note(`flood RSS (MB): before ${(before / MB).toFixed(1)}; low-high in each fifth of the flood ${fifths.map(range).join(', ')}; `
      + `after ${(after / MB).toFixed(1)}, peak ${(peak / MB).toFixed(1)}`);
    const late = await stuck.unstick(300);
    note(`flood: the reading subscriber received ${counts[0]}; the stuck one, reading at last, got ${late.frames} events `
      + `(the others dropped oldest-first) and its connection is ${late.open ? 'still open' : 'closed'}`);
    const growth = (after - before) / MB;
    const [firstLow, lastLow] = [fifths[0]!, fifths[4]!].map((kib) => Math.min(...kib) / MB) as [number, number];
    return [
      {name: 'hub RSS after a 1,000,000-line flood', unit: 'MB', value: after / MB, baseline: before / MB,
        baselineName: 'hub RSS before the flood', target: {text: 'growth < 50 MB', met: growth < 50}},
      {name: 'hub RSS low in the last fifth of the flood', unit: 'MB', value: lastLow, baseline: firstLow,
        baselineName: 'hub RSS low in the first fifth', target: {text: 'growth < 50 MB', met: lastLow - firstLow < 50}},
      {name: 'hub peak RSS during the flood (VmHWM)', unit: 'MB', value: peak / MB, baseline: before / MB,
        baselineName: 'hub RSS before the flood'},
      {name: 'flood lines/s (1 reading + 1 stuck subscriber)', unit: '/s', value: perSecond, baseline: rawFrames.perSecond,
        baselineName: FRAMES},
      {name: 'flood events received by the reading subscriber', unit: 'ev', value: counts[0]!, baseline: FLOOD,
        baselineName: 'lines written'},
    ];
  } finally {
    stuck.close();
    await subscribers.stop();
  }
}

export async function run(): Promise<Figure[]> {
  const rig = await startRig();
  try {
    const figures: Figure[] = [];
    for (const count of [1, 10, 100]) figures.push(...await latency(rig, count));
    figures.push(...await throughput(rig));
    figures.push(...await verdicts(rig));
    figures.push(...await flood(rig));
    return figures;
  } finally {
    await stopRig(rig);
  }
}
