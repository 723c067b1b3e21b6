// What a container engine can tell about a container: the part of `podman inspect` the identity resolver uses.
// Lookups never reject: a container engine that is missing, slow or confused is a `problem`, never an exception in
// the event path.

export interface ContainerInfo {
  /** The full id. */
  readonly id: string;
  readonly name: string;
  /** "running", "created", "exited", ... ("" when the engine did not say). */
  readonly state: string;
  /** String-valued annotations only. */
  readonly annotations: Readonly<Record<string, string>>;
}

export type Inspection = {info: ContainerInfo} | {problem: string};

export interface ContainerInspector {
  /** What the engine knows of `container` (an id, a unique prefix of one, or a name). */
  inspect(container: string): Promise<Inspection>;
  /** The container exited: whatever is cached about it is stale. */
  forget(container: string): void;
}

/** No container engine to ask (disabled, or none installed): every container is unknown. */
export const NULL_INSPECTOR: ContainerInspector = {
  inspect: async () => ({problem: 'no container engine is consulted'}),
  forget: () => {},
};
