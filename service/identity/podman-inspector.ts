// Container facts from `podman inspect --format=json -- ID`: an argv (the id after `--`, so no id is ever read as an
// option), a 5 s deadline, stdout capped. Results are cached per container until it exits (podman is slow to start
// and a burst of blocks from one container must not start a burst of podmans); concurrent lookups of one container
// share one run; failures are cached for a while too, so a missing podman or a vanished container costs one run
// per retry interval, not one per event.
import {isPlainObject} from '../../core/clearance/event.js';
import {execArgv, type ExecResult} from '../process/argv-exec.js';
import type {ContainerInfo, ContainerInspector, Inspection} from './container-inspector.js';

export const PODMAN_TIMEOUT_MS = 5000;
/** One container's inspect JSON is a few KiB; a bigger answer is not one we asked for. */
export const INSPECT_CAP_BYTES = 1024 * 1024;

// What podman accepts as a container name or id, and nothing that could look like anything else.
const CONTAINER_REF = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

export interface PodmanInspectorOptions {
  /** The podman to run, with any leading arguments (tests point it at private storage). Default: podman on PATH. */
  command?: readonly [string, ...string[]];
  timeoutMs?: number;
  /** How long a failed lookup is remembered before podman is asked again. */
  retryAfterMs?: number;
  /** Containers remembered at most; the least recently asked about are forgotten first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  readonly lookup: Promise<Inspection>;
  /** When the lookup failed; null while it runs or after it succeeded. */
  failedAt: number | null;
}

export class PodmanInspector implements ContainerInspector {
  readonly #cache = new Map<string, Entry>();
  readonly #command: readonly [string, ...string[]];
  readonly #timeoutMs: number;
  readonly #retryAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: PodmanInspectorOptions = {}) {
    this.#command = options.command ?? ['podman'];
    this.#timeoutMs = options.timeoutMs ?? PODMAN_TIMEOUT_MS;
    this.#retryAfterMs = options.retryAfterMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 256;
    this.#now = options.now ?? Date.now;
  }

  inspect(container: string): Promise<Inspection> {
    if (!CONTAINER_REF.test(container)) {
      return Promise.resolve({problem: `not a container name or id: ${JSON.stringify(container.slice(0, 80))}`});
    }
    const cached = this.#cache.get(container);
    this.#cache.delete(container); // re-inserted below: the map's order is the order of last use
    if (cached && (cached.failedAt === null || this.#now() - cached.failedAt < this.#retryAfterMs)) {
      this.#cache.set(container, cached);
      return cached.lookup;
    }
    const entry: Entry = {
      lookup: this.#run(container).then((inspection) => {
        if ('problem' in inspection) entry.failedAt = this.#now();
        return inspection;
      }),
      failedAt: null,
    };
    this.#cache.set(container, entry);
    for (const key of this.#cache.keys()) {
      if (this.#cache.size <= this.#maxEntries) break;
      this.#cache.delete(key);
    }
    return entry.lookup;
  }

  forget(container: string): void {
    this.#cache.delete(container);
  }

  async #run(container: string): Promise<Inspection> {
    const [command, ...prefix] = this.#command;
    const result = await execArgv(command, [...prefix, 'inspect', '--format=json', '--', container],
      {timeoutMs: this.#timeoutMs, stdoutCapBytes: INSPECT_CAP_BYTES});
    return inspectionOf(result, this.#timeoutMs);
  }
}

function inspectionOf(result: ExecResult, timeoutMs: number): Inspection {
  switch (result.kind) {
    case 'unstartable': return {problem: result.reason};
    case 'timeout': return {problem: `podman inspect timed out after ${timeoutMs / 1000} s`};
    case 'killed': return {problem: `podman inspect killed by ${result.signal}`};
    case 'exited':
      if (result.code !== 0) return {problem: `podman inspect: ${result.stderr || `exited with status ${result.code}`}`};
      if (result.stdoutTruncated) return {problem: `podman inspect: output over ${INSPECT_CAP_BYTES} bytes`};
      return parseInspectOutput(result.stdout);
  }
}

/** The first container of `podman inspect --format=json` output (a JSON array of objects). */
export function parseInspectOutput(bytes: Uint8Array): Inspection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes));
  } catch (e) {
    return {problem: `podman inspect: unreadable output (${(e as Error).message})`};
  }
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (!isPlainObject(first)) return {problem: 'podman inspect: output is not a list of containers'};
  const id = field(first, 'Id');
  if (typeof id !== 'string' || id === '') return {problem: 'podman inspect: the container has no Id'};
  const name = field(first, 'Name');
  const state = field(first, 'State');
  const config = field(first, 'Config');
  const status = isPlainObject(state) ? field(state, 'Status') : undefined;
  const info: ContainerInfo = {
    id,
    // Docker's inspect prefixes names with "/"; podman's does not.
    name: typeof name === 'string' ? name.replace(/^\//, '') : '',
    state: typeof status === 'string' ? status : '',
    annotations: stringEntries(isPlainObject(config) ? field(config, 'Annotations') : undefined),
  };
  return {info};
}

function field(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function stringEntries(x: unknown): Record<string, string> {
  if (!isPlainObject(x)) return {};
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(x).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
