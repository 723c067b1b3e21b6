// Our varlink server + client against the raw unix-socket baseline, both in this process: the round trip of one
// call at a time (p50, p99, calls/s) against an echo of the same bytes, and the replies/s of a `more` stream
// against the same reply frames written raw.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {Server} from 'node:net';
import {VarlinkServer} from '../service/varlink/server.js';
import {VarlinkClient} from '../service/varlink/client.js';
import {encodeFrame} from '../core/varlink/framing.js';
import {makeCall, makeReply} from '../core/varlink/message.js';
import {latency, percentile, throughput} from './measure.js';
import type {LatencySample} from './measure.js';
import {RawClient, echoServer, streamServer} from './raw-socket.js';
import type {Figure} from './report.js';

const IDL = `interface org.terok.Bench

method Echo(value: string) -> (value: string)

method Stream(count: int, value: string) -> (value: string)
`;
const VALUE = 'x'.repeat(64);
const STREAM_LENGTH = 1000;

async function closeServer(server: Server): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
}

async function measureRaw(dir: string): Promise<{roundTrip: LatencySample; streamed: number}> {
  const echo = await echoServer(join(dir, 'echo.sock'));
  const reply = encodeFrame(makeReply({value: VALUE}, true));
  const stream = await streamServer(join(dir, 'stream.sock'), reply, STREAM_LENGTH);
  const echoClient = await RawClient.connect(join(dir, 'echo.sock'));
  const streamClient = await RawClient.connect(join(dir, 'stream.sock'));
  try {
    const call = encodeFrame(makeCall('org.terok.Bench.Echo', {value: VALUE}));
    const request = encodeFrame(makeCall('org.terok.Bench.Stream', {count: STREAM_LENGTH, value: VALUE}, {more: true}));
    return {
      roundTrip: await latency(() => echoClient.exchange(call)),
      streamed: await throughput(() => streamClient.exchange(request, STREAM_LENGTH), STREAM_LENGTH),
    };
  } finally {
    echoClient.close();
    streamClient.close();
    await Promise.all([closeServer(echo), closeServer(stream)]);
  }
}

async function measureVarlink(dir: string): Promise<{roundTrip: LatencySample; streamed: number}> {
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
  try {
    const drain = async () => {
      let n = 0;
      for await (const _ of client.stream('org.terok.Bench.Stream', {count: STREAM_LENGTH, value: VALUE})) n++;
      if (n !== STREAM_LENGTH) throw new Error(`stream gave ${n} replies, expected ${STREAM_LENGTH}`);
    };
    return {
      roundTrip: await latency(() => client.call('org.terok.Bench.Echo', {value: VALUE})),
      streamed: await throughput(drain, STREAM_LENGTH),
    };
  } finally {
    client.close();
    await server.close();
  }
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-varlink-'));
  try {
    const raw = await measureRaw(dir);
    const ours = await measureVarlink(dir);
    const echo = 'raw unix-socket echo';
    return [
      {name: 'call round trip p50', unit: 'µs', value: percentile(ours.roundTrip.micros, 50), baseline: percentile(raw.roundTrip.micros, 50), baselineName: echo},
      {name: 'call round trip p99', unit: 'µs', value: percentile(ours.roundTrip.micros, 99), baseline: percentile(raw.roundTrip.micros, 99), baselineName: echo},
      {name: 'calls/s, one at a time', unit: '/s', value: ours.roundTrip.perSecond, baseline: raw.roundTrip.perSecond, baselineName: echo},
      {name: `streamed replies/s (more, ${STREAM_LENGTH} per call)`, unit: '/s', value: ours.streamed, baseline: raw.streamed, baselineName: 'raw unix-socket frames'},
    ];
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
