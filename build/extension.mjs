// Builds the GNOME Shell extension into a directory (dist/extension/ for `npm run build`) in the layout
// `gnome-extensions pack` produces: two readable ESM bundles (gi:// and resource:// stay external, core/ is bundled
// in), metadata, stylesheet and schemas, compiled (--strict) so the directory runs as it is and a bad schema fails
// the build. Then checks the process boundary: the shell bundle must not load Gtk/Gdk/Adw and the prefs bundle must
// not load St/Clutter/Meta/Shell or the shell's own modules.
import {build} from 'esbuild';
import {execFileSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const FORBIDDEN = {
  'extension.js': [/^gi:\/\/(Gtk|Gdk|Adw)(\?|$)/, /^resource:\/\/\/org\/gnome\/Shell\/Extensions\//],
  'prefs.js': [/^gi:\/\/(St|Clutter|Cogl|Meta|Mtk|Shell)(\?|$)/, /^resource:\/\/\/org\/gnome\/shell\//],
};

export async function buildExtension(extensionDir) {
  rmSync(extensionDir, {recursive: true, force: true});
  mkdirSync(join(extensionDir, 'schemas'), {recursive: true});

  await build({
    entryPoints: {extension: join(root, 'extension/extension.ts'), prefs: join(root, 'extension/prefs.ts')},
    outdir: extensionDir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'firefox115', // SpiderMonkey 115: gjs 1.80 of GNOME 46, the oldest shell the code is kept compatible with
    external: ['gi://*', 'resource://*'],
    minify: false,
    // no keepNames: nothing is renamed without minify, and it would only add __name() calls
    legalComments: 'none',
    sourcemap: false,
    charset: 'utf8',
    logLevel: 'warning',
  });

  for (const [bundle, patterns] of Object.entries(FORBIDDEN)) {
    const text = readFileSync(join(extensionDir, bundle), 'utf8');
    const specifiers = [...text.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
    const bad = specifiers.filter((s) => patterns.some((p) => p.test(s)));
    if (/\bimports\.gi\b/.test(text)) bad.push('imports.gi');
    if (bad.length > 0) throw new Error(`${bundle} must not import ${bad.join(', ')}`);
  }

  copyFileSync(join(root, 'metadata.json'), join(extensionDir, 'metadata.json'));
  if (existsSync(join(root, 'stylesheet.css'))) copyFileSync(join(root, 'stylesheet.css'), join(extensionDir, 'stylesheet.css'));
  for (const name of readdirSync(join(root, 'schemas')).filter((n) => n.endsWith('.gschema.xml')))
    copyFileSync(join(root, 'schemas', name), join(extensionDir, 'schemas', name));
  execFileSync('glib-compile-schemas', ['--strict', join(extensionDir, 'schemas')], {stdio: 'inherit'});
}
