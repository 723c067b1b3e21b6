// How the indicator words lasting decisions: a grant with its scope and the time left, a log entry a rule, a grant or
// an ending decided, a revocation the shield keeps refusing, a broken rules file. Plain text for plain labels.
import {clockTime, resultText, type ClockFormat} from '../clearance/format.js';
import {deciderText, type DecisionLogEntry} from './decision-log.js';
import type {Decision} from './decision.js';
import {formatRemaining} from './duration.js';
import {patternText} from './target-pattern.js';

/** "Allow registry.example.net", "Deny *.tracker.example:443". */
export function grantTitle(d: Pick<Decision, 'action' | 'pattern' | 'port'>): string {
  const what = d.port ? `${patternText(d.pattern)}:${d.port}` : patternText(d.pattern);
  return `${d.action === 'allow' ? 'Allow' : 'Deny'} ${what}`;
}

/** Whom it is for and how long it still holds: "warp/t42 · build · 59 min left". */
export function grantDetails(d: Pick<Decision, 'container' | 'project' | 'expires' | 'untilExit'>, now: number,
  identityOf: (container: string) => string): string {
  const scope = d.container ? identityOf(d.container) : d.project ? `project ${d.project}` : 'every container';
  const left = d.expires !== null ? `${formatRemaining(d.expires - now)} left`
    : d.untilExit ? `until ${identityOf(d.untilExit)} exits` : '';
  return left ? `${scope} · ${left}` : scope;
}

/** A decision no operator made at a prompt: a rule or grant answering a block, a grant ending. */
export function isAutomatic(entry: Pick<DecisionLogEntry, 'by'>): boolean {
  return entry.by !== 'operator';
}

/**
 * "Allowed: registry.example.net · 14:05:09" and "by rule h1a2b3c4 · warp/t42 · build"; `identityOf` names the
 * container when the entry does not.
 */
export function logEntryLines(entry: DecisionLogEntry, identityOf: (container: string) => string,
  clock: ClockFormat = clockTime): [string, string] {
  const at = Date.parse(entry.at);
  const head = resultText({action: entry.action === 'allow' ? 'allow' : 'deny', ok: entry.ok, target: entry.target,
    stderr: entry.stderr});
  return [Number.isNaN(at) ? head : `${head} · ${clock(at)}`,
    [`by ${deciderText(entry)}`, entry.identity || identityOf(entry.container)].filter(Boolean).join(' · ')];
}

/** "Revoking registry.example.net failed (3 tries): <stderr>" and when it is tried again. */
export function revokeFailureLines(f: {container: string; target: string; stderr: string; attempts: number;
  nextRetry: string}, identityOf: (container: string) => string,
  clock: ClockFormat = clockTime): [string, string] {
  const next = Date.parse(f.nextRetry);
  return [`Revoking ${f.target} for ${identityOf(f.container)} failed (${f.attempts} ${f.attempts === 1 ? 'try' : 'tries'})`,
    [f.stderr.trim(), Number.isNaN(next) ? '' : `next try at ${clock(next)}`].filter(Boolean).join(' · ')];
}
