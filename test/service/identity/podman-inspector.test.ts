// The podman inspector against the real podman on private storage: containers created with annotations and never
// started. Failure modes podman does not produce on demand (garbage output, a hang) use small stand-in scripts.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseInspectOutput, PodmanInspector} from '../../../service/identity/podman-inspector.js';
import {alive} from '../support/processes.js';
import {PrivatePodman} from './support/private-podman.js';

let podman: PrivatePodman;
let scripts: string;

beforeAll(() => {
  podman = PrivatePodman.create();
  scripts = mkdtempSync(join(tmpdir(), 'inspect-'));
});

afterAll(async () => {
  await podman.close();
  rmSync(scripts, {recursive: true, force: true});
});

function script(name: string, body: string): string {
  const path = join(scripts, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const enc = new TextEncoder();

describe('real podman', () => {
  test('id, name, state and string annotations of a created container, by full id, short id or name', async () => {
    const id = await podman.createContainer('insp-task', {'ai.terok.project': 'warp', 'ai.terok.task': 't42'});
    const inspector = new PodmanInspector({command: [podman.command]});
    for (const ref of [id, id.slice(0, 12), 'insp-task']) {
      const inspection = await inspector.inspect(ref);
      expect(inspection).toEqual({info: {
        id, name: 'insp-task', state: 'created',
        annotations: expect.objectContaining({'ai.terok.project': 'warp', 'ai.terok.task': 't42'}),
      }});
    }
  });

  test('cached per container; concurrent lookups share one run; forget() asks again', async () => {
    const id = (await podman.createContainer('insp-cache')).slice(0, 12);
    const inspector = new PodmanInspector({command: [podman.command]});
    const before = podman.inspectRuns().length;
    const all = await Promise.all(Array.from({length: 20}, () => inspector.inspect(id)));
    expect(new Set(all).size).toBe(1);
    expect(podman.inspectRuns().length - before).toBe(1);
    await inspector.inspect(id);
    expect(podman.inspectRuns().length - before).toBe(1);
    inspector.forget(id);
    await inspector.inspect(id);
    expect(podman.inspectRuns().length - before).toBe(2);
    expect(podman.inspectRuns().at(-1)).toBe(`inspect --format=json -- ${id}`);
  });

  test('a container that is gone, or never existed, is a problem; failures are retried only after a while', async () => {
    const id = (await podman.createContainer('insp-gone')).slice(0, 12);
    let now = 0;
    const inspector = new PodmanInspector({command: [podman.command], retryAfterMs: 1000, now: () => now});
    expect(await inspector.inspect(id)).toHaveProperty('info');
    await podman.remove(id);
    inspector.forget(id); // what container_exited does
    const gone = await inspector.inspect(id);
    expect(gone).toEqual({problem: expect.stringMatching(/^podman inspect: .*no such/)});
    const runs = podman.inspectRuns().length;
    await inspector.inspect(id);
    expect(podman.inspectRuns().length).toBe(runs); // remembered
    now += 1000;
    await inspector.inspect(id);
    expect(podman.inspectRuns().length).toBe(runs + 1);
    expect(await inspector.inspect('0123456789ab')).toEqual({problem: expect.stringMatching(/no such/)});
  });

  test('what could be read as an option or is not a name never reaches podman', async () => {
    const inspector = new PodmanInspector({command: [podman.command]});
    const runs = podman.inspectRuns().length;
    for (const ref of ['--all', '-l', '', 'a b', 'x/../y', 'é', 'a'.repeat(300)]) {
      expect(await inspector.inspect(ref)).toEqual({problem: expect.stringMatching(/^not a container name or id/)});
    }
    expect(podman.inspectRuns().length).toBe(runs);
  });

  test('the cache is bounded: the least recently asked about is forgotten first', async () => {
    const a = (await podman.createContainer('insp-lru-a')).slice(0, 12);
    const b = (await podman.createContainer('insp-lru-b')).slice(0, 12);
    const c = (await podman.createContainer('insp-lru-c')).slice(0, 12);
    const inspector = new PodmanInspector({command: [podman.command], maxEntries: 2});
    await inspector.inspect(a);
    await inspector.inspect(b);
    await inspector.inspect(a); // a is now the most recent
    await inspector.inspect(c); // b goes
    const runs = podman.inspectRuns().length;
    await inspector.inspect(a);
    await inspector.inspect(c);
    expect(podman.inspectRuns().length).toBe(runs);
    await inspector.inspect(b);
    expect(podman.inspectRuns().length).toBe(runs + 1);
  });
});

describe('soft failures', () => {
  test('podman missing', async () => {
    const inspector = new PodmanInspector({command: [join(scripts, 'no-such-podman')]});
    expect(await inspector.inspect('abc123def456')).toEqual({problem: expect.stringMatching(/^cannot run .*: not found$/)});
  });

  test('garbage, an empty list and a huge answer on stdout', async () => {
    expect(await new PodmanInspector({command: [script('garbage', 'echo "[{not json"')]}).inspect('abc123def456'))
      .toEqual({problem: expect.stringMatching(/^podman inspect: unreadable output/)});
    expect(await new PodmanInspector({command: [script('empty', 'echo "[]"')]}).inspect('abc123def456'))
      .toEqual({problem: 'podman inspect: output is not a list of containers'});
    expect(await new PodmanInspector({command: [script('huge', 'head -c 3000000 /dev/zero')]}).inspect('abc123def456'))
      .toEqual({problem: expect.stringMatching(/^podman inspect: output over \d+ bytes$/)});
  });

  test('a podman that hangs is killed with what it started at the deadline', async () => {
    const pidFile = join(scripts, 'hang.pid');
    const hang = script('hang', `sleep 30 & echo $! > '${pidFile}'; wait`);
    const started = Date.now();
    expect(await new PodmanInspector({command: [hang], timeoutMs: 300}).inspect('abc123def456'))
      .toEqual({problem: 'podman inspect timed out after 0.3 s'});
    expect(Date.now() - started).toBeLessThan(2000);
    const child = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false); // the sleep it started is gone too
  });
});

describe('parseInspectOutput', () => {
  test('takes the first container; non-string annotations and a Docker-style "/" are dropped', () => {
    const out = enc.encode(JSON.stringify([{
      Id: 'f'.repeat(64), Name: '/web', State: {Status: 'running'},
      Config: {Annotations: {'ai.terok.project': 'p', n: 1, o: {x: 1}, __proto__x: 'ok'}},
    }, {Id: 'second'}]));
    expect(parseInspectOutput(out)).toEqual({info: {
      id: 'f'.repeat(64), name: 'web', state: 'running', annotations: {'ai.terok.project': 'p', __proto__x: 'ok'},
    }});
  });

  test('missing parts degrade; missing Id, non-lists and bad bytes are problems', () => {
    expect(parseInspectOutput(enc.encode('[{"Id":"x"}]'))).toEqual({info: {id: 'x', name: '', state: '', annotations: {}}});
    expect(parseInspectOutput(enc.encode('[{"Id":"x","Config":{"Annotations":[1]},"State":"up"}]')))
      .toEqual({info: {id: 'x', name: '', state: '', annotations: {}}});
    for (const bad of ['[{"Name":"x"}]', '{"Id":"x"}', '[1]', '[[]]', 'null', '']) {
      expect(parseInspectOutput(enc.encode(bad))).toHaveProperty('problem');
    }
    expect(parseInspectOutput(new Uint8Array([0x5b, 0xff, 0x5d]))).toEqual({problem: expect.stringMatching(/unreadable output/)});
  });
});
