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

# A lasting decision: a rule of the rules file, or a grant that lasts for a time or until a container exits.
# Not part of the original interface, like everything below that mentions it.
type Decision (
  id: string,
  kind: string,
  action: string,
  target: string,
  port: int,
  container: string,
  project: string,
  expires: string,
  until_exit: string,
  source: string,
  created: string,
  request_id: string,
  ui: string,
  uid: int,
  note: string
)

# One line of the decision log: a verdict that reached the shield, who made it (by: operator, rule, grant, expiry,
# exit, revoke) and what it made last.
type DecisionLogEntry (
  at: string,
  hub: string,
  by: string,
  decision: string,
  lasting: string,
  container: string,
  identity: string,
  request_id: string,
  target: string,
  port: int,
  action: string,
  ok: bool,
  stderr: string,
  ui: string,
  uid: int
)

# A grant that ended but whose revocation the shield refused: retried with back-off until it succeeds.
type RevokeFailure (
  decision: string,
  container: string,
  target: string,
  stderr: string,
  attempts: int,
  next_retry: string
)

# What the indicator shows of the lasting decisions: the grants with their ends, the rules file's health.
type DecisionState (
  grants: []Decision,
  rules_count: int,
  rules_file: string,
  rules_error: string,
  failing: []RevokeFailure
)

# The shield's answer for one container and target when a grant ends.
type RevokeResult (
  container: string,
  target: string,
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

# Answers a blocked request as Verdict does (same checks, same errors) and makes the answer last. lasting: "once"
# (this request only, as Verdict), a duration ("15m", "1h", "8h", "1h30m"; at most 366d), "until-exit" (until this
# container exits or its shield goes down) or "always" (a rule added to the rules file). scope: "container",
# "project" (every container of the request's terok project) or "all". pattern: "" for exactly the request's
# target, or "*.domain" covering its domain (the domain and every name under it). A whole domain, or "always" for
# "all", is refused with ConfirmationRequired unless confirmed is true. ui names the client in the decision log.
# covered: the other pending requests the new decision answered at once.
method Decide(container: string, request_id: string, dest: string, action: string, lasting: string, scope: string,
  pattern: string, confirmed: bool, ui: string) -> (ok: bool, decision: ?Decision, covered: []string)

# The rules in force (the rules file's last good version) and the grants, with the file's path and what is wrong
# with it ("" when it parsed).
method Decisions() -> (rules: []Decision, grants: []Decision, rules_file: string, rules_error: string)

# The lasting decisions and the decision log as they change. Requires "more". The first reply carries "state" and
# "recent" (the log's last entries, oldest first); later replies carry "state" when the grants, the rules file's
# health or a failing revocation change, and "entry" for each decision this hub logs.
method WatchDecisions() -> (state: ?DecisionState, recent: ?[]DecisionLogEntry, entry: ?DecisionLogEntry)

# Ends a grant now: the shield denies what the grant allowed (through this hub's verdict helper, for the
# containers this hub applied it to; other hubs do the same for theirs when the grant is gone).
method Revoke(id: string) -> (results: []RevokeResult)

# Removes a rule from the rules file; blocks it answered are asked again. The file is edited in place, comments kept.
method RemoveRule(id: string) -> (rule: Decision)

error UnknownRequest (request_id: string)
error VerdictTupleMismatch (expected_container: string, expected_dest: string, got_container: string, got_dest: string)
error InvalidAction (action: string)
error ShieldCliFailed (action: string, stderr: string)
error ConfirmationRequired (reason: string)
error InvalidDecision (parameter: string, reason: string)
error UnknownDecision (id: string)
error RulesFileBroken (reason: string)
`;
