// Subscribers of the hub bench, all in this one process (apart from the hub's, as a UI's would be).
//   node hub-subscribers.js SOCKET COUNT decode|count
// - decode: the project's VarlinkClient, one Subscribe stream per subscriber. An event stamped by the writer
//   (dossier SENT_NS: its process.hrtime, CLOCK_MONOTONIC, one clock for every process on the host) yields a
//   latency: the moment the stream hands the decoded event over, minus the stamp.
// - count: bare sockets that only count NUL-terminated frames, so a fan-out rate measures the hub rather than
//   a JSON decoder sharing the machine.
// Driven over the IPC channel by bench/hub.ts: {take} answers {taken: {counts, latencies}} and starts afresh;
// {await: n} answers {reached: ns} (as a string) once every subscriber has received n events since the last take.
import net from 'node:net';
import {encodeFrame} from '../core/varlink/framing.js';
import {makeCall} from '../core/varlink/message.js';
import {VarlinkClient} from '../service/varlink/client.js';
import {SENT_NS} from './reader-lines.js';

const SUBSCRIBE = 'org.terok.Clearance1.Subscribe';

const [socketPath, countArg, mode] = process.argv.slice(2) as [string, string, string];
const subscribers = Number(countArg);
let counts: number[] = Array(subscribers).fill(0);
let latencies: number[] = [];
let awaited: number | undefined;

function received(index: number, events: number): void {
  counts[index]! += events;
  if (awaited !== undefined && counts.every((c) => c >= awaited!)) {
    awaited = undefined;
    process.send!({reached: String(process.hrtime.bigint())});
  }
}

async function decoding(index: number): Promise<void> {
  const client = await VarlinkClient.connect(socketPath);
  void (async () => {
    for await (const reply of client.stream(SUBSCRIBE)) {
      const now = process.hrtime.bigint();
      const sent = (reply.event as {dossier: Record<string, string>}).dossier[SENT_NS];
      if (sent !== undefined) latencies.push(Number(now - BigInt(sent)) / 1000);
      received(index, 1);
    }
  })().catch(() => process.exit(1));
}

async function counting(index: number): Promise<void> {
  const socket = net.connect({path: socketPath});
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('data', (chunk: Buffer) => {
    let frames = 0;
    for (let i = chunk.indexOf(0); i !== -1; i = chunk.indexOf(0, i + 1)) frames++;
    received(index, frames);
  });
  socket.on('close', () => process.exit(1));
  socket.write(encodeFrame(makeCall(SUBSCRIBE, {}, {more: true})));
}

process.on('message', (m: {take?: true; await?: number}) => {
  if (m.take) {
    process.send!({taken: {counts, latencies}});
    counts = Array(subscribers).fill(0);
    latencies = [];
  } else if (m.await !== undefined) {
    awaited = m.await;
    received(0, 0);
  }
});
process.on('disconnect', () => process.exit(0));

for (let i = 0; i < subscribers; i++) await (mode === 'decode' ? decoding(i) : counting(i));
process.send!({subscribed: subscribers});
