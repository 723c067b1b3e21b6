// A lasting decision: an allow or deny that answers future blocks without a prompt. Rules (the rules file) last until
// removed; grants last for a time or until a container exits, and end by themselves. Both share this shape, so one
// matcher and one explanation serve them all. Pure data: ids, clocks and files belong to the edges.
import type {ClearanceEvent} from '../clearance/event.js';
import {identityLabel} from '../clearance/identity.js';
import type {VerdictAction} from '../clearance/verdict.js';
import {formatDuration, parseDuration} from './duration.js';
import {parsePattern, patternCovers, patternText, type TargetPattern} from './target-pattern.js';

export type DecisionKind = 'rule' | 'grant';

/** Who made a decision, from which request and UI, and when: null fields are unknown (a hand-written rule). */
export interface Provenance {
  readonly created: number | null;
  readonly requestId: string;
  readonly ui: string;
  /** -1 when unknown. */
  readonly uid: number;
}

export const NO_PROVENANCE: Provenance = {created: null, requestId: '', ui: '', uid: -1};

export interface Decision {
  readonly id: string;
  readonly kind: DecisionKind;
  readonly action: VerdictAction;
  readonly pattern: TargetPattern;
  /** 0: any port. The shield opens or closes an address, not a port: the port narrows which blocks this answers. */
  readonly port: number;
  /** Scope: this container only, or every container of this terok project; both "" = every container. */
  readonly container: string;
  readonly project: string;
  /** Wall-clock end of a timed grant, else null. */
  readonly expires: number | null;
  /** The container whose exit (or shield going down) ends the grant, else "". */
  readonly untilExit: string;
  /** Where it is written: "rules.yaml:12" for a rule, "grant" for a grant. */
  readonly source: string;
  readonly provenance: Provenance;
  readonly note: string;
}

/** How long an answer given at a prompt lasts. */
export type Lasting =
  | {readonly kind: 'once'}
  | {readonly kind: 'for'; readonly ms: number}
  | {readonly kind: 'until-exit'}
  | {readonly kind: 'always'};

export type ScopeKind = 'container' | 'project' | 'all';
export const SCOPE_KINDS: readonly ScopeKind[] = ['container', 'project', 'all'];

export function isScopeKind(x: unknown): x is ScopeKind {
  return x === 'container' || x === 'project' || x === 'all';
}

/** "once", "until-exit", "always" or a duration ("15m", "1h", "8h", "1h30m"); null for anything else. */
export function parseLasting(text: string): Lasting | null {
  if (text === 'once' || text === 'until-exit' || text === 'always') return {kind: text};
  const ms = parseDuration(text);
  return ms === null ? null : {kind: 'for', ms};
}

export function lastingText(lasting: Lasting): string {
  return lasting.kind === 'for' ? formatDuration(lasting.ms) : lasting.kind;
}

/** The lasting answers a prompt offers, in the order shown; "once" is the plain Allow/Deny. */
export const LASTING_CHOICES: readonly {readonly lasting: string; readonly label: string}[] = [
  {lasting: 'once', label: 'Only this time'},
  {lasting: '15m', label: 'For 15 minutes'},
  {lasting: '1h', label: 'For 1 hour'},
  {lasting: '8h', label: 'For 8 hours'},
  {lasting: 'until-exit', label: 'Until the container exits'},
  {lasting: 'always', label: 'Always'},
];

/** What the operator chose at a prompt, before it is checked against the request. */
export interface LastingChoice {
  readonly action: VerdictAction;
  readonly lasting: Lasting;
  readonly scope: ScopeKind;
  /** "" for exactly the request's target, or a "*.domain" pattern that covers the request's domain. */
  readonly pattern: string;
}

export type DecisionDraft = Omit<Decision, 'id' | 'source' | 'provenance' | 'note'>;

/**
 * The decision `choice` makes of the blocked request `event` at `now`, or why it cannot: the pattern must cover the
 * blocked destination (a client cannot turn a prompt into an answer for something else), a project scope needs the
 * dossier's project. null for "once": nothing lasts.
 */
export function draftDecision(event: ClearanceEvent, choice: LastingChoice, now: number):
  {draft: DecisionDraft | null} | {error: string; parameter: string} {
  if (choice.lasting.kind === 'once') {
    return choice.scope === 'container' && choice.pattern === '' ? {draft: null}
      : {error: 'an answer for this time only has no scope or pattern', parameter: 'lasting'};
  }
  const parsed = parsePattern(choice.pattern === '' ? event.domain || event.dest : choice.pattern);
  if ('error' in parsed) return {error: parsed.error, parameter: 'pattern'};
  if (!patternCovers(parsed.pattern, event.dest, event.domain)) {
    return {error: `${choice.pattern} does not cover ${event.domain || event.dest}`, parameter: 'pattern'};
  }
  const project = event.dossier.project ?? '';
  if (choice.scope === 'project' && project === '') {
    return {error: `${identityLabel(event.container, event.dossier)} belongs to no terok project`, parameter: 'scope'};
  }
  return {draft: {
    kind: choice.lasting.kind === 'always' ? 'rule' : 'grant',
    action: choice.action,
    pattern: parsed.pattern,
    port: 0,
    container: choice.scope === 'container' ? event.container : '',
    project: choice.scope === 'project' ? project : '',
    expires: choice.lasting.kind === 'for' ? now + choice.lasting.ms : null,
    untilExit: choice.lasting.kind === 'until-exit' ? event.container : '',
  }};
}

/**
 * Why a choice needs one explicit confirmation before it is applied, or null when one click is enough: a whole
 * domain, or an answer for good that reaches every container.
 */
export function confirmationReason(choice: LastingChoice): string | null {
  if (choice.lasting.kind === 'once') return null;
  if (choice.pattern.startsWith('*.')) {
    return `${choice.action === 'allow' ? 'Allows' : 'Denies'} ${choice.pattern.slice(2)} and every name under it`;
  }
  if (choice.lasting.kind === 'always' && choice.scope === 'all') {
    return `${choice.action === 'allow' ? 'Allows' : 'Denies'} it for every container, until the rule is removed`;
  }
  return null;
}

export function scopeText(d: Pick<Decision, 'container' | 'project'>): string {
  if (d.container) return `container ${d.container}`;
  if (d.project) return `project ${d.project}`;
  return 'every container';
}

/** One line saying what a decision does: "allow *.pkgs.example:443 for project warp until 17:05 (rule r1a2b)". */
export function describeDecision(d: Decision, clock: (ms: number) => string): string {
  const what = d.port ? `${patternText(d.pattern)}:${d.port}` : patternText(d.pattern);
  const until = d.expires !== null ? ` until ${clock(d.expires)}`
    : d.untilExit ? ` until ${d.untilExit} exits` : '';
  return `${d.action} ${what} for ${scopeText(d)}${until} (${d.kind} ${d.id}, ${d.source})`;
}
