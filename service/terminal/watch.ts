// `terok-clearance watch`: every hub merged into one prompt list at the terminal, answered with short commands; or,
// with --json, the raw event stream as JSON lines for scripts. Quitting answers nothing.
import {escapeTerminal} from '../../core/clearance/escape.js';
import {localClockTime} from '../../core/clearance/format.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import type {DecideOutcome} from '../../core/client/decision-calls.js';
import {confirmationReason, describeDecision, lastingText, type LastingChoice} from '../../core/decisions/decision.js';
import {domainPatternFor} from '../../core/decisions/target-pattern.js';
import {HubSet} from '../client/runtime-dir-hubs.js';
import {PromptSession} from '../client/node-prompt-session.js';
import {EXIT} from '../exit-codes.js';
import {humanLine} from '../commands/log.js';
import {DecisionFeed} from './decision-feed.js';
import {eventLine, hubStatusLine} from './event-json.js';
import {parseOperatorCommand, type OperatorCommand, type TypedLasting} from './operator-command.js';
import {paintFor} from './paint.js';
import {PromptLine} from './prompt-line.js';
import {WatchScreen} from './watch-screen.js';

export const summary = 'follow every hub and answer blocked connections at a terminal prompt (--json: event stream)';

const HELP = `usage: terok-clearance watch [--json]

Follows every hub (the session hub and the per-container hubs, as their sockets come and go) and lists the
blocked connections waiting for a verdict. Commands at the prompt:
  a N / d N   allow / deny request [N]
  a N WHEN [SCOPE] [domain]
              allow (d: deny) it lastingly: WHEN 15m, 1h, 8h, 1h30m, until-exit or always; SCOPE container
              (default), project or all; domain: the whole *.domain. A whole domain or "always all" asks y/n first.
  A C / D C   allow / deny every pending request of container C (number from the list, or container id)
  l           list pending requests, containers, hubs and alerts
  h           help
  q           quit (answers nothing: pending requests stay blocked)
Blocks a rule or a grant answered without a prompt, and grants ending, are shown as they happen (one line each,
as terok-clearance log shows them). Colour only on a terminal, and never with NO_COLOR set.

  --json   no prompt: one JSON line per event, {"hub": SOCKET_PATH, "event": CLEARANCE_EVENT} (with
           "catch_up": true for requests that were already pending when the hub was reached), and one per hub
           status change, {"hub": SOCKET_PATH, "status": "connected"|"unavailable"|..., "reason": TEXT}.
           Runs until interrupted.

exit codes: 0 on quit or interrupt, 2 usage error
`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return EXIT.OK;
  }
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`terok-clearance watch: unexpected argument '${escapeTerminal(unknown[0]!)}'\n${HELP}`);
    return EXIT.USAGE;
  }
  return args.includes('--json') ? streamJson() : interactive();
}

/** `stopped` resolves on SIGINT, SIGTERM, SIGHUP or stop(). */
function stopSignal(): {stopped: Promise<void>; stop(): void} {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  // SIGHUP: the terminal closed.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, stop);
  void stopped.then(() => {
    for (const signal of signals) process.off(signal, stop);
  });
  return {stopped, stop};
}

async function streamJson(): Promise<number> {
  const {stopped, stop} = stopSignal();
  const out = process.stdout;
  out.on('error', stop); // the reader went away (EPIPE)
  const write = (line: string) => {
    if (!out.destroyed) out.write(line);
  };
  const hubs = new HubSet({
    hubAdded: () => {},
    hubRemoved: (hub) => write(hubStatusLine(hub.id, 'removed', 'its socket was removed')),
    hubState: (hub) => write(hubStatusLine(hub.id, hub.state.status, hub.state.reason)),
    snapshot: (hub, pending) => {
      for (const event of pending ?? []) write(eventLine(hub.id, event, true));
    },
    event: (hub, event) => write(eventLine(hub.id, event)),
  });
  hubs.start();
  await stopped;
  await hubs.close();
  return EXIT.OK;
}

async function interactive(): Promise<number> {
  const {stopped, stop} = stopSignal();
  const promptLine = new PromptLine('clearance> ', {
    line: (line) => {
      const command = parseOperatorCommand(line);
      if (command.kind === 'quit') stop();
      else print(respond(command));
    },
    end: stop,
  });
  const print = (lines: string[]) => promptLine.print(lines);
  // Blocks answered by a rule or a grant, and grants ending: one line each (the operator's own answers show already).
  const feed = new DecisionFeed((_hub, entry) => {
    if (entry.by !== 'operator') print([screen.message('info', humanLine(entry))]);
  });
  const session = new PromptSession({
    changes: (changes) => print(screen.changes(changes)),
    hub: (hub, what) => {
      print(screen.hub(hub, what));
      if (what === 'removed') feed.stop(hub.id);
      else if (what === 'state' && hub.state.status === 'connected') feed.follow(hub.id);
    },
  });
  const screen = new WatchScreen(session.model, {paint: paintFor(process.stdout)});
  // Verdicts still on their way when the operator quits (or input ends) get their answer shown first.
  const inFlight = new Set<Promise<void>>();
  const track = (verdict: Promise<void>, what: string) => {
    const settled = verdict.catch((e: unknown) => print([screen.message('error', `${what}: ${String(e)}`)]));
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
  };

  /** A lasting answer waiting for its y. */
  let awaiting: (() => string[]) | null = null;
  print([screen.message('info', 'terok-clearance watch: a N allow, d N deny, a N 1h / a N always lasting, A C / D C a whole container, l list, h help, q quit')]);
  session.start();
  await stopped;
  promptLine.close();
  await Promise.all(inFlight);
  feed.close();
  await session.close();
  return EXIT.OK;

  function respond(command: Exclude<OperatorCommand, {kind: 'quit'}>): string[] {
    if (command.kind !== 'confirm' && command.kind !== 'nothing' && awaiting) {
      awaiting = null;
      print([screen.message('info', 'Not confirmed: nothing was answered.')]);
    }
    switch (command.kind) {
      case 'nothing': return [];
      case 'invalid': return [screen.message('error', command.message)];
      case 'help': return screen.help();
      case 'list': return screen.list(session.hubs.hubs());
      case 'answer': return command.lasting ? answerLasting(command.number, command.action, command.lasting)
        : answerOne(command.number, command.action);
      case 'confirm': {
        const confirmed = awaiting;
        awaiting = null;
        if (!confirmed) return [screen.message('error', 'nothing to confirm')];
        return command.yes ? confirmed() : [screen.message('info', 'Not confirmed: nothing was answered.')];
      }
      case 'answer-container': return answerContainer(command.container, command.action);
    }
  }

  function answerOne(number: number, action: VerdictAction): string[] {
    const prompt = session.model.byNumber(number);
    if (!prompt) return [screen.message('error', `no pending request [${number}] (l lists them)`)];
    const sent = session.answer(prompt.key, action);
    if (!sent) return [screen.message('info', `[${number}] is already being answered`)];
    track(sent, `[${number}]`);
    return [screen.message('info', `[${number}] ${action === 'allow' ? 'allowing' : 'denying'} ${prompt.target}...`)];
  }

  function answerLasting(number: number, action: VerdictAction, typed: TypedLasting): string[] {
    const prompt = session.model.byNumber(number);
    if (!prompt) return [screen.message('error', `no pending request [${number}] (l lists them)`)];
    const pattern = typed.domain ? domainPatternFor(prompt.domain) : '';
    if (pattern === null) return [screen.message('error', `[${number}] ${prompt.target} has no domain name to widen to`)];
    const choice: LastingChoice = {action, lasting: typed.lasting, scope: typed.scope, pattern};
    const send = (confirmed: boolean) => (): string[] => {
      const sent = session.decide(prompt.key, choice, {confirmed, ui: 'watch'});
      if (!sent) return [screen.message('info', `[${number}] is already being answered`)];
      track(sent.then((outcome) => print(decided(number, outcome))), `[${number}]`);
      const verb = action === 'allow' ? 'allowing' : 'denying';
      return [screen.message('info', `[${number}] ${verb} ${pattern || prompt.target} ${lastingText(typed.lasting)} for ${typed.scope}...`)];
    };
    const reason = confirmationReason(choice);
    if (!reason) return send(false)();
    awaiting = send(true);
    return [screen.message('info', `[${number}] ${reason}. Confirm: y (anything else cancels)`)];
  }

  /** What a lasting answer did, in a line or two (failures also show as the prompt's own failure line). */
  function decided(number: number, outcome: DecideOutcome): string[] {
    switch (outcome.kind) {
      case 'applied': return [
        ...(outcome.decision ? [screen.message('info', `[${number}] decided: ${describeDecision(outcome.decision, localClockTime)}`)] : []),
        ...(outcome.covered.length > 0 ? [screen.message('info', `[${number}] also answered: ${outcome.covered.join(', ')}`)] : []),
      ];
      case 'needs-confirmation': return [screen.message('error', `[${number}] the hub asks for a confirmation: ${outcome.reason}`)];
      case 'unsupported': return [screen.message('error', `[${number}] its hub keeps no lasting decisions (an older hub): a N or d N`)];
      default: return [];
    }
  }

  function answerContainer(ref: string, action: VerdictAction): string[] {
    const container = screen.containerFor(ref);
    if (!container) return [screen.message('error', `no container ${ref} with pending requests (l lists them)`)];
    const label = screen.containerLabel(container);
    const sent = session.answerContainer(container, action);
    if (!sent) return [screen.message('info', `${label}: its requests are already being answered`)];
    track(sent.done, label);
    const verb = action === 'allow' ? 'allowing' : 'denying';
    return [screen.message('info', `${label}: ${verb} ${sent.count} request${sent.count === 1 ? '' : 's'}...`)];
  }
}
