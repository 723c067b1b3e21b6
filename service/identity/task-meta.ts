// The human name of a terok task, from its metadata file (the YAML that the annotation ai.terok.task_meta_path
// points at; its top-level `name`). The file is read afresh on every call, so a renamed task shows by its new name.
// Whatever is wrong with the path or the file is a `problem`: a relative path, anything but a regular file (a FIFO
// would block, a device never end), a file over 64 KiB, bytes that are not UTF-8, YAML that does not parse, uses
// too many aliases (an exponential-expansion bomb), is not a mapping, or has no string `name`.
import {constants, promises as fs} from 'node:fs';
import {isAbsolute} from 'node:path';
import {parse} from 'yaml';

export const TASK_META_CAP_BYTES = 64 * 1024;
/** Aliases a metadata file may use; real ones use few or none. */
export const TASK_META_MAX_ALIASES = 32;
const NAME_CAP = 256;

export type TaskName = {name: string} | {problem: string};

export async function readTaskName(path: string): Promise<TaskName> {
  if (!isAbsolute(path) || path.includes('\0')) return {problem: `task metadata path is not absolute: ${JSON.stringify(path)}`};
  let text: string;
  try {
    text = await readCapped(path);
  } catch (e) {
    return {problem: `task metadata ${path}: ${(e as Error).message}`};
  }
  let meta: unknown;
  try {
    // logLevel 'error': errors throw, warnings (an unknown tag) are not printed; 'silent' would swallow errors too.
    meta = parse(text, {maxAliasCount: TASK_META_MAX_ALIASES, logLevel: 'error', prettyErrors: false});
  } catch (e) {
    return {problem: `task metadata ${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`};
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || meta instanceof Map) {
    return {problem: `task metadata ${path}: not a mapping`};
  }
  const name: unknown = Object.hasOwn(meta, 'name') ? (meta as Record<string, unknown>).name : undefined;
  if (typeof name !== 'string' || name.trim() === '') return {problem: `task metadata ${path}: no string "name"`};
  const trimmed = name.trim();
  return {name: trimmed.length > NAME_CAP ? `${trimmed.slice(0, NAME_CAP - 3)}...` : trimmed};
}

async function readCapped(path: string): Promise<string> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then refuses it.
  const file = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > TASK_META_CAP_BYTES) throw new Error(`over ${TASK_META_CAP_BYTES} bytes`);
    // One byte more than the cap: a file that grew since the fstat is still caught.
    const buffer = Buffer.alloc(TASK_META_CAP_BYTES + 1);
    let length = 0;
    for (;;) {
      const {bytesRead} = await file.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > TASK_META_CAP_BYTES) throw new Error(`over ${TASK_META_CAP_BYTES} bytes`);
    }
    try {
      return new TextDecoder('utf-8', {fatal: true}).decode(buffer.subarray(0, length));
    } catch {
      throw new Error('not UTF-8');
    }
  } finally {
    await file.close();
  }
}
