// Nothing in the repository names a package mirror's or registry's host: mirrors come from the machine's own
// configuration (scripts/apt-mirror.sh, npm's own registry setting), so the tree works behind any mirror.
import {expect, test} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';

// Hosts of the public archives and registries this project's tools could be pointed at.
const REGISTRY_HOSTS = /\b(deb\.debian\.org|security\.debian\.org|snapshot\.debian\.org|ftp\.[a-z]{2}\.debian\.org|archive\.ubuntu\.com|registry\.npmjs\.org|registry\.yarnpkg\.com|npmjs\.(org|com)|pypi\.org|files\.pythonhosted\.org)\b/;

test('no tracked file names a registry or mirror host', () => {
  const files = execFileSync('git', ['ls-files', '-z'], {encoding: 'utf8'}).split('\0').filter(Boolean)
    .filter((f) => f !== 'test/repo/no-registry-hosts.test.ts'); // this file names them to look for them
  const hits = files.flatMap((file) => readFileSync(file, 'utf8').split('\n')
    .map((line, i) => (REGISTRY_HOSTS.test(line) ? `${file}:${i + 1}: ${line.trim()}` : null))
    .filter((hit): hit is string => hit !== null));
  expect(hits).toEqual([]);
});
