// Identity from the real podman (private storage) and real metadata files: a terok task container, a standalone
// container, an unknown id, and every way the lookup can fail, each costing detail but never an exception.
import {afterAll, beforeAll, describe, expect, test} from '@jest/globals';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {NULL_INSPECTOR, type ContainerInspector} from '../../../service/identity/container-inspector.js';
import {identityResolverFromEnv, podmanCommand} from '../../../service/identity/identity-config.js';
import {ANNOTATIONS, IdentityResolver} from '../../../service/identity/identity-resolver.js';
import {PodmanInspector} from '../../../service/identity/podman-inspector.js';
import type {Logger} from '../../../service/log.js';
import {PrivatePodman} from './support/private-podman.js';

let podman: PrivatePodman;
let dir: string;
let resolver: IdentityResolver;
const debug: string[] = [];
const log: Logger = {error: () => {}, warning: () => {}, info: () => {}, debug: (m) => debug.push(m)};

beforeAll(() => {
  podman = PrivatePodman.create();
  dir = mkdtempSync(join(tmpdir(), 'ident-'));
  resolver = new IdentityResolver(new PodmanInspector({command: [podman.command]}), {log});
});

afterAll(async () => {
  await podman.close();
  rmSync(dir, {recursive: true, force: true});
});

function metaFile(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function taskContainer(name: string, metaPath: string | null, extra: Record<string, string> = {}): Promise<string> {
  const annotations: Record<string, string> = {[ANNOTATIONS.project]: 'warp', [ANNOTATIONS.task]: 't42', ...extra};
  if (metaPath !== null) annotations[ANNOTATIONS.taskMetaPath] = metaPath;
  return (await podman.createContainer(name, annotations)).slice(0, 12);
}

describe('what the prompt is labelled with', () => {
  test('a terok task container: "{project}/{task} · {task name}"', async () => {
    const id = await taskContainer('warp-t42-dev', metaFile('t42.yml', 'name: Fix the flaky build\n'));
    expect(await resolver.describe(id)).toEqual({
      label: 'warp/t42 · Fix the flaky build',
      dossier: {project: 'warp', task: 't42', name: 'Fix the flaky build', container_name: 'warp-t42-dev'},
      problems: [],
    });
    expect(await resolver.resolve(id)).toBe('warp/t42 · Fix the flaky build');
  });

  test('a standalone container: its name', async () => {
    const id = (await podman.createContainer('my-postgres')).slice(0, 12);
    expect(await resolver.resolve(id)).toBe('my-postgres');
  });

  test('an unknown id: nothing (the UI keeps showing the id)', async () => {
    expect(await resolver.describe('0123456789ab')).toEqual({
      label: '', dossier: {}, problems: [expect.stringMatching(/^podman inspect: .*no such/)],
    });
    expect(await resolver.resolve('0123456789ab')).toBe('');
    expect(debug.at(-1)).toMatch(/^0123456789ab: podman inspect: .*no such/);
  });

  test('a project without a task (or the reverse) is not a task identity: the container name', async () => {
    const id = (await podman.createContainer('half', {[ANNOTATIONS.project]: 'warp'})).slice(0, 12);
    expect(await resolver.resolve(id)).toBe('half');
  });
});

describe('the task name is read on every resolution', () => {
  test('a rename shows at once, though the container facts are cached', async () => {
    const path = metaFile('rename.yml', 'name: Before\n');
    const id = await taskContainer('renamed', path);
    expect(await resolver.resolve(id)).toBe('warp/t42 · Before');
    const runs = podman.inspectRuns().length;
    writeFileSync(path, 'name: After\n');
    expect(await resolver.resolve(id)).toBe('warp/t42 · After');
    expect(podman.inspectRuns().length).toBe(runs);
  });

  test('a file that breaks later keeps the name last read from it; forget() drops it', async () => {
    const path = metaFile('breaks.yml', 'name: Stable\n');
    const id = await taskContainer('breaks', path);
    expect(await resolver.resolve(id)).toBe('warp/t42 · Stable');
    writeFileSync(path, ''); // an editor caught mid-write
    expect(await resolver.describe(id)).toEqual(expect.objectContaining({
      label: 'warp/t42 · Stable', problems: [expect.stringMatching(/not a mapping/)],
    }));
    resolver.forget(id);
    expect(await resolver.resolve(id)).toBe('warp/t42 · breaks');
  });
});

describe('soft failures of the metadata: the container name stands in for the task name', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a relative path', () => 'tasks/t42.yml', /not absolute/],
    ['a missing file', () => join(dir, 'absent.yml'), /ENOENT/],
    ['a directory', () => dir, /not a regular file/],
    ['a list', () => metaFile('list.yml', '- name: x\n'), /not a mapping/],
    ['a number for a name', () => metaFile('num.yml', 'name: 7\n'), /no string "name"/],
    ['bytes that are not UTF-8', () => metaFile('latin1.yml', Buffer.from('name: caf\xe9\n', 'latin1')), /not UTF-8/],
    ['an alias bomb', () => metaFile('bomb.yml', `a: &a [x, x]\n${Array.from({length: 12}, (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`).join('\n')}\nname: boom\n`),
    /alias/i],
  ];
  test.each(cases)('%s', async (_what, path, problem) => {
    const name = `soft-${Math.random().toString(16).slice(2, 8)}`;
    const id = await taskContainer(name, path());
    const described = await resolver.describe(id);
    expect(described.label).toBe(`warp/t42 · ${name}`);
    expect(described.problems).toEqual([expect.stringMatching(problem)]);
  });

  test('no metadata path at all is no problem', async () => {
    const id = await taskContainer('no-meta', null);
    expect(await resolver.describe(id)).toEqual(expect.objectContaining({label: 'warp/t42 · no-meta', problems: []}));
  });
});

describe('the engine failing', () => {
  test('an inspector that throws anyway: resolve() answers "" and logs', async () => {
    const broken: ContainerInspector = {inspect: () => Promise.reject(new Error('boom')), forget: () => {}};
    expect(await new IdentityResolver(broken, {log}).resolve('abc123def456')).toBe('');
    expect(debug.at(-1)).toBe('abc123def456: boom');
  });

  test('no podman: the null inspector knows nothing', async () => {
    expect(await new IdentityResolver(NULL_INSPECTOR, {log}).resolve('abc123def456')).toBe('');
  });
});

describe('when podman is used', () => {
  test('on PATH by default; TEROK_CLEARANCE_PODMAN names another or turns it off', async () => {
    expect(podmanCommand({PATH: `/nonexistent:${podman.binDir}`})).toBe(podman.command);
    expect(podmanCommand({PATH: '/nonexistent'})).toBeNull();
    expect(podmanCommand({PATH: 'relative/bin'})).toBeNull();
    expect(podmanCommand({PATH: podman.binDir, TEROK_CLEARANCE_PODMAN: 'off'})).toBeNull();
    expect(podmanCommand({PATH: podman.binDir, TEROK_CLEARANCE_PODMAN: 'No'})).toBeNull();
    expect(podmanCommand({PATH: '', TEROK_CLEARANCE_PODMAN: '/opt/podman'})).toBe('/opt/podman');
    const id = (await podman.createContainer('from-env')).slice(0, 12);
    expect(await identityResolverFromEnv({PATH: podman.binDir}).resolve(id)).toBe('from-env');
    expect(await identityResolverFromEnv({PATH: podman.binDir, TEROK_CLEARANCE_PODMAN: '0'}).resolve(id)).toBe('');
  });
});
