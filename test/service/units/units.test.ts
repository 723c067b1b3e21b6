import {describe, expect, test} from '@jest/globals';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {renderUnits, unitStamp} from '../../../service/units/units.js';

// `verify --user` needs a runtime dir of its own.
const runtimeDir = mkdtempSync(join(tmpdir(), 'units-xdg-'));
const verify = (...files: string[]) => spawnSync('systemd-analyze', ['verify', '--user', '--man=no', ...files],
  {encoding: 'utf8', env: {...process.env, XDG_RUNTIME_DIR: runtimeDir}});

const ctx = {version: '1.2.3', node: process.execPath, cli: join(process.cwd(), 'bin', 'terok-clearance.js')};

describe('systemd user units', () => {
  test('every unit passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    const files = renderUnits(ctx).map((u) => {
      writeFileSync(join(dir, u.file), u.text);
      return join(dir, u.file);
    });
    // Units reference each other (Wants=/After=), so verify them together; --man=no: no man pages here.
    const r = verify(...files);
    const complaints = (r.stderr + r.stdout).split('\n').filter((l) => l.includes(dir) || /error|invalid|unknown/i.test(l));
    expect(complaints).toEqual([]);
    expect(r.status).toBe(0);
  });

  test('a broken unit is caught by the same check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    writeFileSync(join(dir, 'broken.service'), '[Service]\nExecStart=relative/path\nNoSuchKey=1\n');
    const r = verify(join(dir, 'broken.service'));
    expect(r.stderr).toMatch(/broken\.service:2: Neither a valid executable name nor an absolute path/);
    expect(r.status).not.toBe(0);
  });

  test('each unit carries the version stamp and runs the CLI with node', () => {
    for (const u of renderUnits(ctx)) {
      expect(unitStamp(u.text)).toBe('1.2.3');
      expect(u.text).toContain(`ExecStart=${process.execPath} ${ctx.cli}`);
    }
  });

  test('arguments with spaces are quoted for systemd', () => {
    const [hub] = renderUnits({...ctx, cli: '/opt/my apps/terok "x"/cli.js'});
    expect(hub!.text).toContain('ExecStart=' + process.execPath + ' "/opt/my apps/terok \\"x\\"/cli.js" serve');
  });

  test('the hub cannot open network sockets; the verdict helper keeps the user privileges', () => {
    const [hub, verdict] = renderUnits(ctx);
    expect(hub!.text).toMatch(/^RestrictAddressFamilies=AF_UNIX$/m);
    expect(verdict!.text).not.toMatch(/NoNewPrivileges/);
  });
});
