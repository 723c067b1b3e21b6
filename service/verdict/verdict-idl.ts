// The org.terok.ClearanceVerdict1 interface (wire.md §3): the Python ecosystem's, method for method, with the
// behaviour written down where varlinkctl introspect shows it, plus Identify (Python hubs only call Apply).
export const VERDICT_IDL = `# Applies operator verdicts to the container firewall by running terok-shield. Only the hub calls it, after it
# has matched the verdict to a blocked request it emitted.
interface org.terok.ClearanceVerdict1

# Runs "terok-shield <action> <container> <dest>" (an argv, no shell) and reports how it went. A failure is never
# an error reply: a missing binary, a non-zero exit, a timeout (10 s, then the shield and its children are killed)
# all give ok false with the reason in stderr (at most 512 bytes of the shield's stderr, trimmed). A request that
# cannot be an apply is refused the same way, without running anything: action other than "allow" or "deny", an
# empty container or dest, or one starting with "-" (the shield would read it as an option).
method Apply(container: string, dest: string, action: string) -> (ok: bool, stderr: string)

# Who a container is, as its engine and its task metadata say (podman inspect: the annotations ai.terok.project,
# ai.terok.task and ai.terok.task_meta_path, whose YAML file has the task's name; else the container's name): the
# dossier keys project, task, name and container_name that could be found out. {} when nothing is known: podman
# not consulted or missing, an unknown container, an argument that is no container name or id. Never an error.
# Not part of the original interface: the hub asks it so that UIs that cannot run podman can name containers.
method Identify(container: string) -> (dossier: [string]string)
`;
