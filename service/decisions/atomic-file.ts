// Files that are either wholly old or wholly new: written beside their place, flushed, renamed over it, and the
// directory flushed, so a crash or a kill -9 at any moment leaves one complete version. Private to the user (0600
// files in 0700 directories), like our sockets.
import {randomBytes} from 'node:crypto';
import {mkdir, open, rename, rm} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, {recursive: true, mode: 0o700});
}

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, {force: true});
    throw e;
  }
  await syncDir(dir);
}

/** Flushes a directory's entries (a rename or unlink in it) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Whether a name in a watched directory is one of our temporaries (never read as data). */
export function isTemporary(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
