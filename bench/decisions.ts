// Lasting decisions: what a rule costs a block.
//
// Matching: DecisionIndex over the 10,000 rules of a generated rules file (exact hosts, *.domains, project scopes),
// asked about blocks that hit and miss at several name depths, against the same blocks on an index of one rule.
//
// Block → rule verdict: the hub as it runs (`serve`, its rules file covering *.registry.example.net), its verdict
// socket served by this process (Apply answers at once and notes when it arrived: the moment the shield call would
// start), and a subscriber in this process. Lines alternate between a block a rule covers (timed to its Apply) and
// one no rule covers (timed to its connection_blocked event, the prompt path: the baseline). Both stamps are
// process.hrtime in this process, and each line waits for its arrival and a gap, so the figure is latency, not
// queueing.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {DecisionIndex, type BlockFacts} from '../core/decisions/matcher.js';
import {parseRules} from '../core/decisions/rules-file.js';
import {sessionPaths} from '../service/paths.js';
import {VarlinkClient} from '../service/varlink/client.js';
import {VarlinkServer} from '../service/varlink/server.js';
import {VERDICT_IDL} from '../service/verdict/verdict-idl.js';
import {BenchProcess, waitForSocket} from './bench-process.js';
import {Latencies, Rate, timeBatches} from './measure.js';
import {CONTAINER, ReaderWriter} from './reader-lines.js';
import type {Figure} from './report.js';

const RULES = 10_000;
const ROUNDS = 2;
const LATENCY_MS = 1000;
const GAP_MS = 2;
const MATCHES_PER_BATCH = 1000;

function rulesText(count: number): string {
  let text = 'rules:\n';
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) text += `  - allow: "*.dom${i}.example"\n    project: p${i % 50}\n`;
    else if (i % 2 === 0) text += `  - deny: "*.dom${i}.example"\n`;
    else text += `  - allow: host${i}.corp${i % 100}.example\n    port: 443\n`;
  }
  return text;
}

function blocks(): BlockFacts[] {
  const facts: BlockFacts[] = [];
  for (let i = 0; i < 1000; i++) {
    const domain = [`a.b.c.x${i}.dom${i * 10}.example`, `host${i * 2 + 1}.corp${(i * 2 + 1) % 100}.example`,
      `deep.name.that.matches.nothing${i}.org`, `cdn${i}.dom${i * 2}.example`][i % 4]!;
    facts.push({container: CONTAINER, project: `p${i % 50}`, dest: '198.51.100.1', domain, port: 443});
  }
  return facts;
}

async function matching(): Promise<Figure[]> {
  const parsed = parseRules(rulesText(RULES));
  const one = parseRules(rulesText(1));
  if (!parsed.ok || !one.ok) throw new Error('the generated rules file does not parse');
  const big = new DecisionIndex(parsed.rules);
  const small = new DecisionIndex(one.rules);
  const facts = blocks();
  const now = Date.now();
  let hits = 0;
  const batch = (index: DecisionIndex) => async () => {
    for (let i = 0; i < MATCHES_PER_BATCH; i++) if (index.match(facts[i % facts.length]!, now)) hits++;
  };
  const bigRate = new Rate();
  const smallRate = new Rate();
  for (let round = 0; round < ROUNDS; round++) {
    await timeBatches(batch(big), MATCHES_PER_BATCH, bigRate);
    await timeBatches(batch(small), MATCHES_PER_BATCH, smallRate);
  }
  if (hits === 0) throw new Error('no block matched a rule');
  const perMatch = 1e6 / bigRate.perSecond;
  return [{name: `rule match, ${RULES.toLocaleString('en-US')} rules`, unit: 'µs', value: perMatch,
    baseline: 1e6 / smallRate.perSecond, baselineName: 'the same blocks against 1 rule',
    target: {text: '≤ 1,000 µs', met: perMatch <= 1000}}];
}

/** Lines on their way, by domain: each resolves with the hrtime its Apply or its event arrived. */
type Waiting = Map<string, (at: bigint) => void>;

function arrived(waiting: Waiting, domain: string): void {
  const at = process.hrtime.bigint();
  waiting.get(domain)?.(at);
  waiting.delete(domain);
}

async function ruleVerdicts(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-decisions-'));
  const env = {...process.env, XDG_RUNTIME_DIR: join(dir, 'run'), XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_STATE_HOME: join(dir, 'state')};
  mkdirSync(join(dir, 'config/terok-clearance'), {recursive: true, mode: 0o700});
  writeFileSync(join(dir, 'config/terok-clearance/rules.yaml'), 'rules:\n  - allow: "*.registry.example.net"\n');
  mkdirSync(env.XDG_RUNTIME_DIR, {mode: 0o700});
  const paths = sessionPaths(env.XDG_RUNTIME_DIR);
  const waiting: Waiting = new Map();
  const helper = new VarlinkServer({vendor: 'terok', product: 'bench verdict helper', version: '0', url: ''});
  helper.addInterface(VERDICT_IDL, {Apply: ({parameters}) => {
    arrived(waiting, String(parameters.dest));
    return {ok: true, stderr: ''};
  }});
  await helper.listen({path: paths.verdict});
  const hub = BenchProcess.cli('hub', ['serve'], env);
  let writer: ReaderWriter | undefined;
  let subscriber: VarlinkClient | undefined;
  try {
    await waitForSocket(paths.hub, hub);
    await waitForSocket(paths.reader, hub);
    writer = await ReaderWriter.connect(paths.reader);
    subscriber = await VarlinkClient.connect(paths.hub);
    const events = subscriber.stream('org.terok.Clearance1.Subscribe');
    void (async () => {
      for await (const reply of events) {
        const event = reply.event as {type?: string; domain?: string};
        if (event.type === 'connection_blocked') arrived(waiting, event.domain ?? '');
      }
    })().catch(() => undefined);
    const rule = new Latencies();
    const prompt = new Latencies();
    let n = 0;
    const line = async (domain: string, into: number[] | null) => {
      const sent = process.hrtime.bigint();
      const at = new Promise<bigint>((done) => waiting.set(domain, done));
      await writer!.write(`${JSON.stringify({type: 'pending', container: CONTAINER, id: `${CONTAINER}:${++n}`,
        dest: '198.51.100.1', port: 443, proto: 6, domain, dossier: {project: 'warp'}})}\n`);
      const micros = Number((await at) - sent) / 1000;
      into?.push(micros);
      await sleep(GAP_MS);
    };
    // The subscriber is listening once an uncovered line comes back.
    await line('probe.example.org', null);
    for (let round = 0; round < ROUNDS; round++) {
      const ruled: number[] = [];
      const prompted: number[] = [];
      const start = process.hrtime.bigint();
      for (const end = Date.now() + LATENCY_MS; Date.now() < end;) {
        await line(`h${n}.registry.example.net`, ruled);
        await line(`h${n}.other.example.org`, prompted);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      rule.add(ruled, seconds);
      prompt.add(prompted, seconds);
    }
    const figure = (p: number): Figure => ({name: `block → rule verdict applied p${p}`, unit: 'µs',
      value: rule.percentile(p), baseline: prompt.percentile(p), baselineName: `block → prompt event p${p} (same hub)`});
    return [figure(50), figure(99)];
  } finally {
    subscriber?.close();
    writer?.close();
    await hub.stop();
    await helper.close();
    rmSync(dir, {recursive: true, force: true});
  }
}

export async function run(): Promise<Figure[]> {
  return [...await matching(), ...await ruleVerdicts()];
}
