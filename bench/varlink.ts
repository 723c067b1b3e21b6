// Our varlink server + client against the raw unix-socket baseline, both in this process: the round trip of one
// call at a time (p50, p99, calls/s) against an echo of the same bytes, and the replies/s of a `more` stream
// against the same reply frames written raw. Rounds alternate between the two sides.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {Server} from 'node:net';
import {VarlinkServer} from '../service/varlink/server.js';
import {VarlinkClient} from '../service/varlink/client.js';
import {encodeFrame} from '../core/varlink/framing.js';
import {makeCall, makeReply} from '../core/varlink/message.js';
import {Latencies, Rate, timeBatches, timeEach} from './measure.js';
import {RawClient, echoServer, streamServer} from './raw-socket.js';
import type {Figure} from './report.js';

const IDL = `interface org.terok.Bench

method Echo(value: string) -> (value: string)

method Stream(count: int, value: string) -> (value: string)
`;
const VALUE = 'x'.repeat(64);
const STREAM_LENGTH = 1000;
const ROUNDS = 3;

/** One side of the comparison: a call round trip, a whole stream, and its teardown. */
interface Side {
  roundTrip(): Promise<unknown>;
  stream(): Promise<unknown>;
  close(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function rawSide(dir: string): Promise<Side> {
  const echo = await echoServer(join(dir, 'echo.sock'));
  const streams = await streamServer(join(dir, 'stream.sock'), encodeFrame(makeReply({value: VALUE}, true)), STREAM_LENGTH);
  const echoClient = await RawClient.connect(join(dir, 'echo.sock'));
  const streamClient = await RawClient.connect(join(dir, 'stream.sock'));
  const call = encodeFrame(makeCall('org.terok.Bench.Echo', {value: VALUE}));
  const request = encodeFrame(makeCall('org.terok.Bench.Stream', {count: STREAM_LENGTH, value: VALUE}, {more: true}));
  return {
    roundTrip: () => echoClient.exchange(call),
    stream: () => streamClient.exchange(request, STREAM_LENGTH),
    async close() {
      echoClient.close();
      streamClient.close();
      await Promise.all([closeServer(echo), closeServer(streams)]);
    },
  };
}

async function varlinkSide(dir: string): Promise<Side> {
  const server = new VarlinkServer({vendor: 'terok', product: 'bench', version: '0', url: ''});
  server.addInterface(IDL, {
    Echo: ({parameters}) => ({value: parameters.value}),
    Stream: async (ctx) => {
      const count = ctx.parameters.count as number;
      for (let i = 1; i < count; i++) if (!ctx.send({value: ctx.parameters.value})) await ctx.drained();
      return {value: ctx.parameters.value};
    },
  });
  const path = join(dir, 'varlink.sock');
  await server.listen({path});
  const client = await VarlinkClient.connect(path);
  return {
    roundTrip: () => client.call('org.terok.Bench.Echo', {value: VALUE}),
    async stream() {
      let n = 0;
      for await (const _ of client.stream('org.terok.Bench.Stream', {count: STREAM_LENGTH, value: VALUE})) n++;
      if (n !== STREAM_LENGTH) throw new Error(`stream gave ${n} replies, expected ${STREAM_LENGTH}`);
    },
    async close() {
      client.close();
      await server.close();
    },
  };
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-varlink-'));
  const sides = {raw: await rawSide(dir), ours: await varlinkSide(dir)};
  const calls = {raw: new Latencies(), ours: new Latencies()};
  const streamed = {raw: new Rate(), ours: new Rate()};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['raw', 'ours'] as const) {
        await timeEach(sides[name].roundTrip, calls[name]);
        await timeBatches(sides[name].stream, STREAM_LENGTH, streamed[name]);
      }
    }
  } finally {
    await Promise.all([sides.raw.close(), sides.ours.close()]);
    rmSync(dir, {recursive: true, force: true});
  }
  const echo = 'raw unix-socket echo';
  const latency = (name: string, p: number): Figure =>
    ({name, unit: 'µs', value: calls.ours.percentile(p), baseline: calls.raw.percentile(p), baselineName: echo});
  return [
    latency('call round trip p50', 50),
    latency('call round trip p99', 99),
    {name: 'calls/s, one at a time', unit: '/s', value: calls.ours.perSecond, baseline: calls.raw.perSecond, baselineName: echo},
    {name: `streamed replies/s (${STREAM_LENGTH} per call)`, unit: '/s', value: streamed.ours.perSecond, baseline: streamed.raw.perSecond, baselineName: 'raw unix-socket frames'},
  ];
}
