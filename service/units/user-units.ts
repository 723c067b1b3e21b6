// Installing the user units: files under the user's systemd config dir, then systemctl --user (argv only).
import {execFile} from 'node:child_process';
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {CLI_PATH} from '../package-root.js';
import {VERSION} from '../version.js';
import {renderUnits, unitStamp, type ServiceName, type UnitSpec} from './units.js';

export function userUnitsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user');
}

/** The units as this installation would write them (the CLI's own path, the running node). */
export function currentUnits(names?: ServiceName[]): UnitSpec[] {
  return renderUnits({version: VERSION, node: process.execPath, cli: CLI_PATH}).filter((u) => !names || names.includes(u.name));
}

export async function writeUnits(dir: string, units: UnitSpec[]): Promise<string[]> {
  await mkdir(dir, {recursive: true});
  const written: string[] = [];
  for (const u of units) {
    const path = join(dir, u.file);
    // Write-then-rename: systemd never reads a half-written unit.
    await writeFile(`${path}.tmp`, u.text, {mode: 0o644});
    await rename(`${path}.tmp`, path);
    written.push(path);
  }
  return written;
}

export async function removeUnits(dir: string, units: UnitSpec[]): Promise<string[]> {
  const removed: string[] = [];
  for (const u of units) {
    const path = join(dir, u.file);
    try {
      await rm(path);
      removed.push(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}

export type UnitState = 'current' | 'outdated' | 'missing';

export async function installedState(dir: string, unit: UnitSpec): Promise<{state: UnitState; version?: string}> {
  let text: string;
  try {
    text = await readFile(join(dir, unit.file), 'utf8');
  } catch {
    return {state: 'missing'};
  }
  const version = unitStamp(text);
  return {state: text === unit.text ? 'current' : 'outdated', ...(version ? {version} : {})};
}

/** Runs `systemctl --user ARGS`; resolves with its outcome, never rejects. */
export function systemctlUser(args: string[]): Promise<{ok: boolean; output: string}> {
  return new Promise((resolve) => {
    execFile('systemctl', ['--user', ...args], {timeout: 30_000}, (error, stdout, stderr) => {
      resolve({ok: !error, output: `${stdout}${stderr}`.trim() || (error ? error.message : '')});
    });
  });
}
