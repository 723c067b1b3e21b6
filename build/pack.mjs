// `npm run pack`: builds the extension and zips it the way `gnome-extensions pack` does, files at the top
// level, as dist/<uuid>.shell-extension.zip (what `gnome-extensions install` and extensions.gnome.org take).
import {execFileSync} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {extensionDir} from './extension.mjs';

const {uuid} = JSON.parse(readFileSync(join(extensionDir, 'metadata.json'), 'utf8'));
export const zipPath = join(extensionDir, '..', `${uuid}.shell-extension.zip`);
rmSync(zipPath, {force: true});
execFileSync('zip', ['-q', '-r', '-X', zipPath, '.'], {cwd: extensionDir, stdio: 'inherit'});
console.log(zipPath);
