// The decision log on disk: one line per decision appended with O_APPEND in a single write and fsynced before the
// decision is reported, so a crash (kill -9 included) leaves whole lines only; several hubs may append to it at
// once. Rotated by size: decisions.jsonl → .1 → .2, the oldest dropped.
import {open, rename, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import {logLine, parseLog, type DecisionLogEntry} from '../../core/decisions/decision-log.js';
import {ensurePrivateDir} from './atomic-file.js';

export const DEFAULT_LOG_MAX_BYTES = 8 << 20;
const GENERATIONS = 2;

export class DecisionLogFile {
  // Appends from this process in order, one at a time (a rotation must not interleave with a write).
  #tail: Promise<void> = Promise.resolve();

  constructor(readonly path: string, private readonly maxBytes = DEFAULT_LOG_MAX_BYTES) {}

  append(entry: DecisionLogEntry): Promise<void> {
    const done = this.#tail.then(() => this.#write(logLine(entry)));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async #write(line: string): Promise<void> {
    await ensurePrivateDir(dirname(this.path));
    await this.#rotateIfFull();
    const file = await open(this.path, 'a', 0o600);
    try {
      await file.write(line);
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async #rotateIfFull(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.path)).size;
    } catch {
      return;
    }
    if (size < this.maxBytes) return;
    for (let g = GENERATIONS; g > 1; g--) await rename(`${this.path}.${g - 1}`, `${this.path}.${g}`).catch(() => undefined);
    // Another hub may have rotated first: then this rename finds the new, small file gone or fresh; either is fine.
    await rename(this.path, `${this.path}.1`).catch(() => undefined);
  }

  /** The last `n` entries, oldest first, from the current file and the rotated ones as needed. */
  async recent(n: number): Promise<DecisionLogEntry[]> {
    let entries: DecisionLogEntry[] = [];
    for (let g = 0; g <= GENERATIONS && entries.length < n; g++) {
      const text = await readTail(g === 0 ? this.path : `${this.path}.${g}`, n * TAIL_BYTES_PER_ENTRY);
      entries = [...parseLog(text), ...entries];
    }
    return entries.slice(-n);
  }
}

const TAIL_BYTES_PER_ENTRY = 1024;

/** The end of a file, at most `bytes`, cut after the first newline when it starts mid-line; "" when absent. */
async function readTail(path: string, bytes: number): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const {size} = await file.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    await file.close();
  }
}
