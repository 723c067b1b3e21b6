// The task metadata file, read as a hostile or broken file would be met: every problem is a value, never an
// exception, never a hang.
import {afterAll, beforeAll, expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {readTaskName, TASK_META_CAP_BYTES} from '../../../service/identity/task-meta.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meta-'));
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

let n = 0;
function meta(content: string | Uint8Array): string {
  const path = join(dir, `meta-${++n}.yml`);
  writeFileSync(path, content);
  return path;
}

const problem = (pattern: RegExp) => ({problem: expect.stringMatching(pattern)});

test('the top-level name, trimmed; other keys and a BOM do not matter', async () => {
  expect(await readTaskName(meta('name: Build the thing\nproject: warp\nsteps: [1, 2]\n'))).toEqual({name: 'Build the thing'});
  expect(await readTaskName(meta('\uFEFF# a comment\nname: "  Übersetzung 🚀  "\n'))).toEqual({name: 'Übersetzung 🚀'});
  expect(await readTaskName(meta('name: >\n  folded\n  name\n'))).toEqual({name: 'folded name'});
  // YAML 1.2's core schema: these are strings, not a boolean or a date.
  expect(await readTaskName(meta('name: yes\n'))).toEqual({name: 'yes'});
  expect(await readTaskName(meta('name: 2024-01-01\n'))).toEqual({name: '2024-01-01'});
});

test('a long name is cut to 256 characters', async () => {
  const read = await readTaskName(meta(`name: ${'x'.repeat(1000)}\n`));
  expect(read).toEqual({name: `${'x'.repeat(253)}...`});
});

test('the path must be absolute', async () => {
  for (const path of ['meta.yml', './meta.yml', '', '../x.yml']) {
    expect(await readTaskName(path)).toEqual(problem(/not absolute/));
  }
  expect(await readTaskName(`${dir}/x\0y`)).toEqual(problem(/not absolute/));
});

test('missing, unreadable and not regular: a directory, a FIFO (no hang), a device', async () => {
  expect(await readTaskName(join(dir, 'absent.yml'))).toEqual(problem(/ENOENT/));
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  expect(await readTaskName(sub)).toEqual(problem(/not a regular file/));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  expect(await readTaskName(fifo)).toEqual(problem(/not a regular file/));
  expect(await readTaskName('/dev/zero')).toEqual(problem(/not a regular file/));
  const link = join(dir, 'to-fifo');
  symlinkSync(fifo, link);
  expect(await readTaskName(link)).toEqual(problem(/not a regular file/));
  const good = join(dir, 'to-good');
  symlinkSync(meta('name: linked\n'), good);
  expect(await readTaskName(good)).toEqual({name: 'linked'}); // a link to a regular file is fine
});

test('over 64 KiB is refused whole; exactly 64 KiB is read', async () => {
  const padded = (size: number) => `name: big\n#${'x'.repeat(size - 12)}\n`;
  expect(Buffer.byteLength(padded(TASK_META_CAP_BYTES))).toBe(TASK_META_CAP_BYTES);
  expect(await readTaskName(meta(padded(TASK_META_CAP_BYTES)))).toEqual({name: 'big'});
  expect(await readTaskName(meta(padded(TASK_META_CAP_BYTES + 1)))).toEqual(problem(/over 65536 bytes/));
  expect(await readTaskName(meta(padded(50 * 1024 * 1024)))).toEqual(problem(/over 65536 bytes/));
});

test('bytes that are not UTF-8', async () => {
  expect(await readTaskName(meta(new Uint8Array([...Buffer.from('name: caf'), 0xe9, 0x0a])))).toEqual(problem(/not UTF-8/));
  expect(await readTaskName(meta(new Uint8Array([0xff, 0xfe, 0x6e, 0x00])))).toEqual(problem(/not UTF-8/));
});

test('not a mapping, or no string name', async () => {
  for (const content of ['', '# only a comment\n', '- name: x\n', 'just a string\n', '42\n', 'null\n']) {
    expect(await readTaskName(meta(content))).toEqual(problem(/not a mapping/));
  }
  for (const content of ['name: 42\n', 'name:\n', 'name: [a]\n', 'name: {first: a}\n', 'name: "   "\n', 'title: x\n',
    'name: true\n', 'name: 1.5\n']) {
    expect(await readTaskName(meta(content))).toEqual(problem(/no string "name"/));
  }
});

test('YAML that does not parse: syntax errors, several documents, duplicate keys', async () => {
  for (const content of ['name: [unclosed\n', 'name: a\n---\nname: b\n', 'name: a\nname: b\n']) {
    expect(await readTaskName(meta(content))).toEqual(problem(/not valid YAML/));
  }
});

test('anchors: a few are fine, an expansion bomb is refused quickly', async () => {
  expect(await readTaskName(meta('base: &b Build\nname: *b\n'))).toEqual({name: 'Build'});
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const started = Date.now();
  expect(await readTaskName(meta(`${levels.join('\n')}\nname: bomb\n`))).toEqual(problem(/not valid YAML.*alias/i));
  expect(Date.now() - started).toBeLessThan(1000);
});

test('a custom tag is not executed, only read as what it is', async () => {
  expect(await readTaskName(meta('name: !!js/function "function () { process.exit(1) }"\n')))
    .toEqual({name: 'function () { process.exit(1) }'});
  expect(await readTaskName(meta('name: !!binary aGVsbG8=\n'))).toEqual(problem(/no string "name"/));
});

test('a prototype key is just a key', async () => {
  expect(await readTaskName(meta('__proto__: {name: evil}\n'))).toEqual(problem(/no string "name"/));
});
