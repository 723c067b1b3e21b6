import {describe, expect, test} from '@jest/globals';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/terok-clearance.js', ...args], {encoding: 'utf8'});

describe('terok-clearance install / uninstall', () => {
  test('writes the three units, current stamp, 0644, and removes them again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    const r = cli('install', '--units-dir', dir);
    expect(r.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'terok-clearance-hub.service', 'terok-clearance-notifier.service', 'terok-clearance-verdict.service']);
    const hub = readFileSync(join(dir, 'terok-clearance-hub.service'), 'utf8');
    expect(hub).toMatch(/^X-TerokClearanceVersion=0\.1\.0$/m);
    expect(hub).toContain(`ExecStart=${process.execPath} ${join(process.cwd(), 'bin', 'terok-clearance.js')} serve`);
    expect(statSync(join(dir, 'terok-clearance-hub.service')).mode & 0o777).toBe(0o644);
    const u = cli('uninstall', '--units-dir', dir);
    expect(u.status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('--without-notifier leaves the notifier out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    expect(cli('install', '--units-dir', dir, '--without-notifier').status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['terok-clearance-hub.service', 'terok-clearance-verdict.service']);
  });

  test('--help on stdout with exit 0; an unknown option is a usage error (2)', () => {
    const help = cli('install', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: terok-clearance install/);
    const bad = cli('install', '--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
