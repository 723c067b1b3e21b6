// `npm run pack [-- OUT]`: builds the extension in a private staging directory and zips it the way
// `gnome-extensions pack` does, files at the top level, as OUT (default dist/<uuid>.shell-extension.zip: what
// `gnome-extensions install` and extensions.gnome.org take). The compiled schema stays out: every shell the
// extension declares (44 and later) compiles the schemas itself at install. Prints the zip's path.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, renameSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {buildExtension} from './extension.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const {uuid} = JSON.parse(readFileSync(join(root, 'metadata.json'), 'utf8'));
const zipPath = resolve(process.argv[2] ?? join(root, 'dist', `${uuid}.shell-extension.zip`));

// Private staging, so packs running side by side (parallel test files) never see each other's half-built files.
const stage = mkdtempSync(join(tmpdir(), 'terok-clearance-pack-'));
try {
  const dir = join(stage, 'extension');
  await buildExtension(dir);
  rmSync(join(dir, 'schemas', 'gschemas.compiled'));
  // Beside its final name, so the rename is atomic (no half-written zip for a reader) and never crosses file systems.
  const partial = `${zipPath}.${process.pid}.partial`;
  execFileSync('zip', ['-q', '-r', '-X', partial, '.'], {cwd: dir, stdio: 'inherit'});
  renameSync(partial, zipPath);
} finally {
  rmSync(stage, {recursive: true, force: true});
}
console.log(zipPath);
