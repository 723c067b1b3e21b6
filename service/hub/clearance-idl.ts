// The org.terok.Clearance1 interface as we serve it: the Python ecosystem's interface, byte-compatible, plus
// methods of our own (old clients never call them). ClearanceEvent must never grow: strict clients reject it.
export const CLEARANCE_IDL = `# Live clearance of blocked container egress: blocked connections in, operator verdicts out.
interface org.terok.Clearance1

# One hub event. Every event carries all eleven fields; unused ones hold "", 0, false or {}.
type ClearanceEvent (
  type: string,
  container: string,
  request_id: string,
  dest: string,
  port: int,
  proto: int,
  domain: string,
  action: string,
  ok: bool,
  reason: string,
  dossier: [string]string
)

# The outcome of one shield invocation of a container-wide verdict.
type TargetVerdict (
  target: string,
  request_ids: []string,
  ok: bool,
  stderr: string
)

# Streams every hub event as it happens, until the connection closes. Requires "more".
method Subscribe() -> (event: ClearanceEvent)

# Allows or denies the destination of one emitted connection_blocked request.
method Verdict(container: string, request_id: string, dest: string, action: string) -> (ok: bool)

# The connection_blocked events still waiting for a verdict, oldest first, so a client that starts late or
# reconnects can catch up. Not part of the original interface.
method Pending() -> (events: []ClearanceEvent)

# Subscribe and Pending in one call, with nothing lost between them. Requires "more". The first reply carries
# only "pending": the connection_blocked events waiting for a verdict, oldest first, taken as the subscription
# starts; every later reply carries only "event": each hub event as it happens, until the connection closes.
# An event is in the snapshot or on the stream, never in neither. Not part of the original interface.
method Watch() -> (pending: ?[]ClearanceEvent, event: ?ClearanceEvent)

# Allows or denies every pending request of one container at once: the shield runs once per distinct target.
# Not part of the original interface.
method VerdictContainer(container: string, action: string) -> (results: []TargetVerdict)

# Who a container is when its events carry no dossier naming it (lifecycle events, older shields, standalone
# containers): the label a dossier would give (project/task and the task's name for a terok task, else the
# container's name), as the verdict helper finds out from podman and the task's metadata file, each part sanitised
# like a reader's strings. "" when nothing better than the id is known, for a container this hub has no events of,
# and when the helper is down or does not answer within 3 s. Never an error. Not part of the original interface.
method ContainerIdentity(container: string) -> (identity: string)

error UnknownRequest (request_id: string)
error VerdictTupleMismatch (expected_container: string, expected_dest: string, got_container: string, got_dest: string)
error InvalidAction (action: string)
error ShieldCliFailed (action: string, stderr: string)
`;
