// The grants of every hub of the user: one JSON file per grant (<id>.json, written atomically, removed when the
// grant ends), so hubs in other processes see a grant appear and go without sharing a file they would all rewrite.
// A file that is not a grant record is skipped with a warning and grants nothing.
import {readdir, readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {decisionFromRecord, decisionRecord} from '../../core/decisions/decision-record.js';
import type {Decision} from '../../core/decisions/decision.js';
import {isTemporary, syncDir, writeFileAtomic} from './atomic-file.js';

const GRANT_FILE = /^[A-Za-z0-9_-]{1,64}\.json$/;

export interface GrantList {
  readonly grants: Decision[];
  /** Files skipped, with why. */
  readonly problems: string[];
}

export async function listGrants(dir: string): Promise<GrantList> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {grants: [], problems: []};
    throw e;
  }
  const grants: Decision[] = [];
  const problems: string[] = [];
  for (const name of names.sort()) {
    if (isTemporary(name)) continue;
    if (!GRANT_FILE.test(name)) {
      problems.push(`${name}: not a grant file name`);
      continue;
    }
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch (e) {
      // Removed between the listing and the read: it ended.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    let grant: Decision | null = null;
    try {
      grant = decisionFromRecord(JSON.parse(text));
    } catch {
      // Not JSON: reported below.
    }
    if (!grant || grant.kind !== 'grant' || `${grant.id}.json` !== name) problems.push(`${name}: not a grant record`);
    else grants.push(grant);
  }
  return {grants, problems};
}

export async function saveGrant(dir: string, grant: Decision): Promise<void> {
  await writeFileAtomic(join(dir, `${grant.id}.json`), `${JSON.stringify(decisionRecord(grant))}\n`);
}

/** Removes a grant's file; false when it was already gone (another hub or the CLI ended it first). */
export async function removeGrant(dir: string, id: string): Promise<boolean> {
  if (!GRANT_FILE.test(`${id}.json`)) return false;
  try {
    await rm(join(dir, `${id}.json`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await syncDir(dir);
  return true;
}
