// Every dependency's install script is decided in package.json's allowScripts, so `npm ci` on a fresh clone runs
// none unreviewed and warns about none. All four are denied: each only fetches or builds what a platform package
// (@esbuild/linux-x64, @swc/core-linux-x64-gnu, the prebuilt unrs-resolver and @parcel/watcher bindings) already
// ships, and the suite runs on what they ship.
import {expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';

test('no installed package has an install script that allowScripts does not decide', () => {
  expect(execFileSync('npm', ['install-scripts', 'ls'], {encoding: 'utf8'}).trim())
    .toBe('No packages with unreviewed install scripts.');
});
