// scripts/apt-mirror.sh, run for real against apt configurations written here: provision.sh takes its mirror from
// the machine's own apt sources, never from an address in the repository.
import {afterEach, expect, test} from '@jest/globals';
import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true});
});

function mirrorOf(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): {code: number | null; out: string; err: string} {
  const etc = mkdtempSync(join(tmpdir(), 'apt-etc-'));
  dirs.push(etc);
  mkdirSync(join(etc, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
  const {TEROK_APT_MIRROR: _, ...base} = process.env;
  const r = spawnSync('bash', ['scripts/apt-mirror.sh'], {env: {...base, APT_ETC: etc, ...env}, encoding: 'utf8'});
  return {code: r.status, out: r.stdout.trim(), err: r.stderr.trim()};
}

test('deb822 .sources: the first enabled deb stanza that is not a security archive', () => {
  expect(mirrorOf({'sources.list.d/debian.sources': [
    'Types: deb-src', 'URIs: http://src.mirror.test/debian', 'Suites: bookworm', 'Components: main', '',
    '# a comment', 'Types: deb', 'URIs: http://sec.mirror.test/debian-security', 'Suites: bookworm-security', '',
    'Enabled: no', 'Types: deb', 'URIs: http://off.mirror.test/debian', 'Suites: bookworm', '',
    'Types: deb deb-src', 'URIs: http://main.mirror.test/debian/', 'Suites: bookworm bookworm-updates',
    'Components: main', 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
  ].join('\n')})).toEqual({code: 0, out: 'http://main.mirror.test/debian', err: ''});
});

test('one-line sources.list with options and comments; sources.list.d/*.list too', () => {
  expect(mirrorOf({'sources.list': [
    '# deb http://commented.mirror.test/debian bookworm main',
    'deb-src http://src.mirror.test/debian bookworm main',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://sec.mirror.test/debian-security bookworm-security main',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.mirror.test/debian bookworm main',
  ].join('\n')}).out).toBe('http://one.mirror.test/debian');
  expect(mirrorOf({'sources.list.d/extra.list': 'deb http://list.mirror.test/debian bookworm main\n'}).out)
    .toBe('http://list.mirror.test/debian');
});

test('TEROK_APT_MIRROR overrides what apt has', () => {
  expect(mirrorOf({'sources.list': 'deb http://one.mirror.test/debian bookworm main\n'},
    {TEROK_APT_MIRROR: 'http://override.test/debian/'}).out).toBe('http://override.test/debian');
});

test('no mirror anywhere: exit 1 naming where it looked and the variable to set', () => {
  const r = mirrorOf({'sources.list': 'deb-src http://src.mirror.test/debian bookworm main\n'});
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^apt-mirror: no Debian mirror in .*sources\.list.*; set TEROK_APT_MIRROR to one$/);
});
