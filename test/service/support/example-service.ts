// A small interface served by a real VarlinkServer on a real socket, with methods made to exercise the server:
// plain calls, streams (finite, endless, flooding), slow calls, failures, oneway recording.
import {join} from 'node:path';
import {VarlinkError} from '../../../core/varlink/errors.js';
import {requireMore, VarlinkServer} from '../../../service/varlink/server.js';
import type {ServerOptions} from '../../../service/varlink/server.js';
import {socketDir} from './peers.js';

export const EXAMPLE_INTERFACE = 'org.example.test';

export const EXAMPLE_IDL = `# An interface for exercising the varlink server.
interface org.example.test

type Point (x: int, y: int)

# Adds two integers.
method Add(a: int, b: int) -> (sum: int)

method Echo(text: string, note: ?string) -> (text: string, note: ?string)

method Move(p: Point, by: ?Point) -> (p: Point)

# Replies after ms milliseconds (or when the peer goes); records when it started and finished.
method Sleep(ms: int, tag: string) -> (tag: string)

# Streams i = 1..n; the last reply ends the stream.
method Count(n: int) -> (i: int)

# Streams a tick every broadcast until the peer goes away.
method Ticks() -> (tick: int)

# Sends blobs of size bytes as fast as it can, ignoring backpressure, until the peer goes away.
method Flood(size: int) -> (blob: string)

# Records tag (meant to be called oneway).
method Record(tag: string) -> ()

# kind: "varlink" throws Bad, "crash" throws a TypeError, "later" fails after a stream reply.
method Fail(kind: string) -> ()

# Returns a reply that breaks its own output type.
method Lie() -> (n: int)

method Unimplemented() -> ()

error Bad (why: string)
`;

export interface ExampleService {
  server: VarlinkServer;
  path: string;
  dir: string;
  /** Tags of Record calls, in order. */
  recorded: string[];
  /** Sleep events in order: "start:tag", "end:tag". */
  sleeps: string[];
  /** Sends one tick to every Ticks stream. */
  tick(n: number): void;
  /** Per Flood call: whether send() ever returned false, and whether its signal was aborted. */
  floods: {sawHighWater: boolean; aborted: boolean}[];
  /** Signals of running Ticks calls. */
  tickSignals: AbortSignal[];
  stop(): Promise<void>;
}

export async function startExample(options: Partial<ServerOptions> = {}): Promise<ExampleService> {
  const {dir, remove} = socketDir('vl-');
  const path = join(dir, 'example.sock');
  const server = new VarlinkServer({vendor: 'terok', product: 'example', version: '1.0', url: 'https://example.org', ...options});
  const recorded: string[] = [];
  const sleeps: string[] = [];
  const tickers = new Set<(n: number) => void>();
  const floods: ExampleService['floods'] = [];
  const tickSignals: AbortSignal[] = [];
  server.addInterface(EXAMPLE_IDL, {
    Add: ({parameters}) => ({sum: (parameters.a as number) + (parameters.b as number)}),
    Echo: ({parameters}) => parameters,
    Move: ({parameters}) => {
      const p = parameters.p as {x: number; y: number};
      const by = (parameters.by ?? {x: 0, y: 0}) as {x: number; y: number};
      return {p: {x: p.x + by.x, y: p.y + by.y}};
    },
    Sleep: async ({parameters, signal}) => {
      sleeps.push(`start:${parameters.tag}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, parameters.ms as number);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, {once: true});
      });
      sleeps.push(`end:${parameters.tag}`);
      return {tag: parameters.tag};
    },
    Count: requireMore((ctx) => {
      const n = ctx.parameters.n as number;
      for (let i = 1; i < n; i++) ctx.send({i});
      return {i: n};
    }),
    Ticks: requireMore(async (ctx) => {
      tickSignals.push(ctx.signal);
      const send = (tick: number) => ctx.send({tick});
      tickers.add(send);
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, {once: true}));
      tickers.delete(send);
    }),
    Flood: requireMore(async (ctx) => {
      const record = {sawHighWater: false, aborted: false};
      floods.push(record);
      const blob = 'x'.repeat(ctx.parameters.size as number);
      while (!ctx.signal.aborted) {
        if (!ctx.send({blob})) record.sawHighWater = true;
        await new Promise((resolve) => setImmediate(resolve));
      }
      record.aborted = true;
    }),
    Record: ({parameters}) => {
      recorded.push(parameters.tag as string);
    },
    Fail: (ctx) => {
      if (ctx.parameters.kind === 'varlink') throw new VarlinkError('org.example.test.Bad', {why: 'asked to'});
      if (ctx.parameters.kind === 'later') {
        ctx.send({});
        throw new VarlinkError('org.example.test.Bad', {why: 'later'});
      }
      throw new TypeError('boom');
    },
    Lie: () => ({n: 'not a number'}),
  });
  await server.listen({path});
  return {
    server, path, dir, recorded, sleeps, floods, tickSignals,
    tick: (n) => {
      for (const t of tickers) t(n);
    },
    stop: async () => {
      await server.close();
      remove();
    },
  };
}

/** Polls `predicate` until true; throws after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
