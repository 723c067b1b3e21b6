// Builds the Node side as a file-for-file ESM transpile into dist/ (so every module stays runnable and
// stack traces match the tree) and, when present, the GNOME Shell extension as readable bundles.
import {build} from 'esbuild';
import {readdirSync, existsSync, rmSync} from 'node:fs';
import {join} from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function tsFiles(dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

// Only what this build writes is cleared first: dist/artifacts (test screenshots and logs) is not a build output.
for (const dir of ['core', 'service', 'bench']) rmSync(join(root, 'dist', dir), {recursive: true, force: true});

await build({
  entryPoints: ['core', 'service', 'bench'].flatMap(tsFiles),
  outdir: join(root, 'dist'),
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

await import('./native.mjs');

const extensionBuild = join(root, 'build', 'extension.mjs');
if (existsSync(extensionBuild)) await (await import(extensionBuild)).buildExtension(join(root, 'dist', 'extension'));
