// Who a container is, from what its engine knows: the annotations terok puts on a task container
// (ai.terok.project, ai.terok.task, and ai.terok.task_meta_path, the task's metadata file with its human name),
// else the container's own name. The label has the shape a dossier would give (core/clearance/identity.ts):
// "{project}/{task} · {task name}", "{project}/{task} · {container name}" when the metadata file cannot be read,
// "{container name}" for a container terok did not start, "" when the engine knows nothing.
//
// Every failure is soft: it costs detail, never an exception. A metadata file that cannot be read now (an editor
// rewriting it, a moment of trouble) keeps the name last read from it.
import {dossierIdentity} from '../../core/clearance/identity.js';
import type {IdentitySource} from '../../core/client/identity-feed.js';
import {logger, type Logger} from '../log.js';
import type {ContainerInspector} from './container-inspector.js';
import {readTaskName} from './task-meta.js';

export const ANNOTATIONS = {
  project: 'ai.terok.project',
  task: 'ai.terok.task',
  taskMetaPath: 'ai.terok.task_meta_path',
} as const;

export interface ResolvedIdentity {
  /** "" when nothing is known. */
  readonly label: string;
  /** The dossier the label was made from (project, task, name, container_name). */
  readonly dossier: Readonly<Record<string, string>>;
  /** What could not be found out, in words. */
  readonly problems: readonly string[];
}

const MAX_REMEMBERED_NAMES = 1024;

export class IdentityResolver implements IdentitySource {
  /** The task name last read per container, with the file it came from. */
  readonly #lastNames = new Map<string, {path: string; name: string}>();
  readonly #log: Logger;

  constructor(readonly inspector: ContainerInspector, options: {log?: Logger} = {}) {
    this.#log = options.log ?? logger('identity');
  }

  async resolve(container: string): Promise<string> {
    try {
      const {label, problems} = await this.describe(container);
      for (const problem of problems) this.#log.debug(`${container}: ${problem}`);
      return label;
    } catch (e) {
      this.#log.debug(`${container}: ${(e as Error).message}`);
      return '';
    }
  }

  forget(container: string): void {
    this.inspector.forget(container);
    this.#lastNames.delete(container);
  }

  async describe(container: string): Promise<ResolvedIdentity> {
    const inspection = await this.inspector.inspect(container);
    if ('problem' in inspection) return {label: '', dossier: {}, problems: [inspection.problem]};
    const {name: containerName, annotations} = inspection.info;
    const dossier: Record<string, string> = {};
    const problems: string[] = [];
    if (containerName) dossier.container_name = containerName;
    const project = annotation(annotations, ANNOTATIONS.project);
    const task = annotation(annotations, ANNOTATIONS.task);
    if (project && task) {
      dossier.project = project;
      dossier.task = task;
      const path = annotation(annotations, ANNOTATIONS.taskMetaPath);
      const name = path ? await this.#taskName(container, path, problems) : '';
      if (name) dossier.name = name;
    }
    return {label: dossierIdentity(dossier), dossier, problems};
  }

  async #taskName(container: string, path: string, problems: string[]): Promise<string> {
    const read = await readTaskName(path);
    if ('name' in read) {
      this.#lastNames.delete(container);
      this.#lastNames.set(container, {path, name: read.name});
      for (const old of this.#lastNames.keys()) {
        if (this.#lastNames.size <= MAX_REMEMBERED_NAMES) break;
        this.#lastNames.delete(old);
      }
      return read.name;
    }
    problems.push(read.problem);
    const last = this.#lastNames.get(container);
    return last?.path === path ? last.name : '';
  }
}

function annotation(annotations: Readonly<Record<string, string>>, key: string): string {
  const value = Object.hasOwn(annotations, key) ? annotations[key] : undefined;
  return typeof value === 'string' ? value.trim() : '';
}
