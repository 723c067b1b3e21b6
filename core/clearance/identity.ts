// How a container, a protocol and a target are named to the operator (behaviour.md "Identity shown").
import type {ClearanceEvent} from './event.js';

/**
 * The dossier's own name for a container, or "" when it has none:
 * - project and task both present → "{project}/{task} · {name}" (name falling back to container_name), or just
 *   "{project}/{task}" without either;
 * - otherwise (a project or a task alone is not a task identity) → container_name, else name;
 * - blank values count as absent.
 */
export function dossierIdentity(dossier: Readonly<Record<string, string>>): string {
  const project = entry(dossier, 'project');
  const task = entry(dossier, 'task');
  const name = entry(dossier, 'name');
  const containerName = entry(dossier, 'container_name');
  if (project && task) {
    const who = name || containerName;
    return who ? `${project}/${task} · ${who}` : `${project}/${task}`;
  }
  return containerName || name;
}

/** The dossier's identity, else the container id. */
export function identityLabel(container: string, dossier: Readonly<Record<string, string>>): string {
  return dossierIdentity(dossier) || container;
}

export function protoLabel(proto: number): string {
  return proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : String(proto);
}

/** The domain when known, with the IP alongside: "registry.example.net (198.51.100.1)"; else the IP. */
export function targetLabel(event: Pick<ClearanceEvent, 'domain' | 'dest'>): string {
  const {domain, dest} = event;
  if (!domain) return dest;
  return dest && dest !== domain ? `${domain} (${dest})` : domain;
}

function entry(dossier: Readonly<Record<string, string>>, key: string): string {
  const value = Object.hasOwn(dossier, key) ? dossier[key] : undefined;
  return typeof value === 'string' ? value.trim() : '';
}
