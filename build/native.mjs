// Builds the SO_PEERCRED addon (service/peercred) with the node-gyp that ships inside npm, against the headers of
// the Node running the build, then copies it next to the transpiled wrapper in dist/. npm does not run install
// scripts for us, so this is part of `npm run build`. A failure is a loud warning, not a failed build: at run time
// the service falls back to the socket's 0600/0700 protection and says so once.
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'service', 'peercred');
const built = join(addonDir, 'build', 'Release', 'peercred.node');
// Same relative place as in the source tree, so the wrapper finds it from service/ (tests) and dist/ alike.
const shipped = join(root, 'dist', 'service', 'peercred', 'build', 'Release', 'peercred.node');

function nodeGyp() {
  // `npm run` sets npm_execpath to npm's own cli; node-gyp is bundled beside it.
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = spawnSync('npm', ['prefix', '-g'], {encoding: 'utf8'}).stdout?.trim();
  if (prefix) candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

function fail(why) {
  process.stderr.write(`warning: peer-credential addon not built (${why}); foreign-uid writers will then be kept out `
    + 'only by the socket permissions (0600 in a 0700 dir)\n');
}

function run(gyp, args) {
  const r = spawnSync(process.execPath, [gyp, ...args], {cwd: addonDir, encoding: 'utf8'});
  if (r.status === 0) return null;
  return (r.error?.message ?? `${r.stderr}`.split('\n').filter((l) => /error|ERR!/i.test(l)).slice(0, 4).join('; '))
    || `node-gyp ${args[0]} exited ${r.status}`;
}

function buildAddon() {
  // The headers of the running Node (/usr/include/node for the distro or NodeSource package, <prefix>/include/node
  // for a tarball install), so node-gyp never downloads any.
  const nodedir = dirname(dirname(process.execPath));
  if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
    return fail(`no Node headers in ${nodedir}/include/node: install them (Debian: libnode-dev)`);
  }
  const gyp = nodeGyp();
  if (!gyp) return fail('node-gyp not found inside npm');
  const error = (existsSync(join(addonDir, 'build', 'Makefile')) ? null : run(gyp, ['configure', `--nodedir=${nodedir}`]))
    ?? run(gyp, ['build']);
  if (error) return fail(error);
  mkdirSync(dirname(shipped), {recursive: true});
  copyFileSync(built, shipped);
}

buildAddon();
