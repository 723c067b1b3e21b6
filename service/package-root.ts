// The installed package's root directory, found from this module's location (the same from dist/ or the sources).
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'terok-clearance') return dir;
  }
  throw new Error('terok-clearance: cannot find the package root');
}

export const PACKAGE_ROOT = findRoot();

/** The installed CLI entry point (what units and child processes run). */
export const CLI_PATH = join(PACKAGE_ROOT, 'bin', 'terok-clearance.js');
