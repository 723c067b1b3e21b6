// The extension zip as extensions.gnome.org reviews it: `npm run pack` for real into a private path, unpacked, and
// each review rule checked on what a reviewer would read. A regression in the bundle or the packing fails here.
import {afterAll, beforeAll, expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, relative} from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'extension-zip-'));
const unpacked = join(work, 'unpacked');
const read = (name: string) => readFileSync(join(unpacked, name), 'utf8');

beforeAll(() => {
  const zip = execFileSync(process.execPath, ['build/pack.mjs', join(work, 'extension.zip')], {encoding: 'utf8'}).trim();
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, unpacked]);
}, 60_000);
afterAll(() => rmSync(work, {recursive: true, force: true}));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(unpacked, path)];
  }).sort();
}

test('only the files the shell loads: no compiled schema (the shell compiles it at install), no sources or maps', () => {
  expect(files(unpacked)).toEqual(['extension.js', 'metadata.json', 'prefs.js',
    'schemas/org.gnome.shell.extensions.terok-clearance.gschema.xml', 'stylesheet.css']);
});

test('metadata: the uuid, the schema it names, and exactly the shell versions the tests run (48, 50)', () => {
  const metadata = JSON.parse(read('metadata.json')) as Record<string, unknown>;
  expect(metadata).toMatchObject({uuid: 'clearance@terok.ai', 'shell-version': ['48', '50'],
    'settings-schema': 'org.gnome.shell.extensions.terok-clearance'});
  expect(read('schemas/org.gnome.shell.extensions.terok-clearance.gschema.xml'))
    .toContain('<schema id="org.gnome.shell.extensions.terok-clearance" path="/org/gnome/shell/extensions/terok-clearance/">');
});

test('the schema compiles strictly, as gnome-extensions install compiles it', () => {
  expect(() => execFileSync('glib-compile-schemas', ['--strict', '--dry-run', join(unpacked, 'schemas')],
    {stdio: 'pipe'})).not.toThrow();
});

test.each(['extension.js', 'prefs.js'])('%s is readable: unminified, indented, no source map, no eval', (name) => {
  const text = read(name);
  const lines = text.split('\n');
  expect(lines.length).toBeGreaterThan(name === 'extension.js' ? 1000 : 50);
  // esbuild keeps a long expression on one line; a minifier would put everything on a few.
  expect(lines.filter((l) => l.length > 500)).toEqual([]);
  expect(lines.filter((l) => l.length > 160).length).toBeLessThan(lines.length / 100);
  expect(lines.filter((l) => /^ {2,}\S/.test(l)).length).toBeGreaterThan(lines.length / 3);
  expect(text).not.toMatch(/sourceMappingURL|\beval\(|new Function\(/);
});

// Synchronous file, process and stream calls of GLib/Gio: each blocks the shell's main loop (prefs runs in its own
// process, but the same rule keeps its window responsive). Names chosen so none collides with our own methods.
const SYNC_IO = /\.(load_contents|replace_contents|file_get_contents|file_set_contents|query_info|query_exists|enumerate_children|make_directory(_with_parents)?|read_bytes|read_line|read_all|write_all|write_bytes|communicate(_utf8)?|wait|wait_check|spawn_sync|spawn_command_line_sync|get_contents|load_from_file)\(/g;

test.each(['extension.js', 'prefs.js'])('%s makes no synchronous I/O call and spawns no process', (name) => {
  const text = read(name);
  expect(text.match(SYNC_IO) ?? []).toEqual([]);
  expect(text.match(/\b(Subprocess|SubprocessLauncher|spawn_async|spawn_command_line_async|spawn_async_with_pipes)\b/g) ?? []).toEqual([]);
});

test('extension.js runs nothing at load: its top level declares, and touches no shell or GI object (enable() does)', () => {
  const text = read('extension.js');
  // esbuild's ESM output: imports, then one scope of declarations. A top-level statement that is a call or an
  // assignment would run at import, before enable() (the shell may load an extension and never enable it).
  const topLevel = text.split('\n').filter((l) => /^\S/.test(l) && !/^(\/\/|\}|\)|\]|`)/.test(l)); // comments, closers, template text
  expect(topLevel.filter((l) => !/^(import |export |(async )?function\*? |class |var |let |const )/.test(l))).toEqual([]);
  // A top-level value made from what gi:// or resource:// gives (an actor, a settings object, a signal, a timer)
  // would exist before enable(); registering a GObject class is only a declaration.
  const bound = [...text.matchAll(/^import (?:\* as (\w+)|(\w+)|\{([^}]*)\}) from "(?:gi|resource):\/\/[^"]*";$/gm)]
    .flatMap((m) => [m[1], m[2], ...(m[3]?.split(',').map((n) => n.trim().split(/\s+as\s+/).at(-1)) ?? [])])
    .filter((n): n is string => Boolean(n));
  const uses = new RegExp(`\\b(${bound.join('|')})\\b(?!\\.registerClass\\()`);
  const initialisers = topLevel.filter((l) => /^(var|let|const) /.test(l))
    .map((l) => l.replace(/^(var|let|const) [^=]*=?/, '').replace(/"(?:[^"\\]|\\.)*"/g, '""'))
    .filter((init) => !/^\s*class\b/.test(init)); // a class expression is a declaration too
  expect(initialisers.filter((init) => uses.test(init))).toEqual([]);
});

test('the shell bundle keeps to the shell process, prefs to the prefs process', () => {
  const imports = (name: string) => [...read(name).matchAll(/\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]!);
  expect(imports('extension.js').filter((s) => /^gi:\/\/(Gtk|Gdk|Adw)\b/.test(s))).toEqual([]);
  expect(imports('prefs.js').filter((s) => /^gi:\/\/(St|Clutter|Meta|Shell)\b|^resource:\/\/\/org\/gnome\/shell\//.test(s)))
    .toEqual([]);
  expect([...imports('extension.js'), ...imports('prefs.js')].filter((s) => !/^(gi|resource):\/\//.test(s))).toEqual([]);
});
