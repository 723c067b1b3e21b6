// The org.terok.ClearanceVerdict1 interface (wire.md §3): the Python ecosystem's, method for method, with the
// behaviour written down where varlinkctl introspect shows it.
export const VERDICT_IDL = `# Applies operator verdicts to the container firewall by running terok-shield. Only the hub calls it, after it
# has matched the verdict to a blocked request it emitted.
interface org.terok.ClearanceVerdict1

# Runs "terok-shield <action> <container> <dest>" (an argv, no shell) and reports how it went. A failure is never
# an error reply: a missing binary, a non-zero exit, a timeout (10 s, then the shield and its children are killed)
# all give ok false with the reason in stderr (at most 512 bytes of the shield's stderr, trimmed). A request that
# cannot be an apply is refused the same way, without running anything: action other than "allow" or "deny", an
# empty container or dest, or one starting with "-" (the shield would read it as an option).
method Apply(container: string, dest: string, action: string) -> (ok: bool, stderr: string)
`;
