// The lasting answers a graphical prompt offers for one blocked request, and the sentence that says what a choice
// will do before it is applied. Pure: the shell extension draws it; the hub checks the choice again when it arrives.
import type {PromptView} from '../clearance/prompts.js';
import type {VerdictAction} from '../clearance/verdict.js';
import {LASTING_CHOICES, parseLasting, type LastingChoice, type ScopeKind} from './decision.js';
import {domainPatternFor} from './target-pattern.js';

export interface Option<T> {
  readonly value: T;
  /** On the option's button. */
  readonly label: string;
}

export interface LastingOffer {
  /** Lasting texts ("1h", "until-exit", "always"), each labelled for its button. */
  readonly lastings: readonly Option<string>[];
  readonly scopes: readonly Option<ScopeKind>[];
  /** "" is exactly the blocked target; a "*.domain" pattern is the whole domain. */
  readonly patterns: readonly Option<string>[];
}

/** What the operator has picked: one of each part of the offer. */
export interface LastingPick {
  readonly lasting: string;
  readonly scope: ScopeKind;
  readonly pattern: string;
}

type OfferedPrompt = Pick<PromptView, 'target' | 'domain' | 'project'>;

const SHORT: Readonly<Record<string, string>> = {'15m': '15 min', '1h': '1 h', '8h': '8 h', 'until-exit': 'until exit',
  always: 'always'};

/** The narrowest answer that lasts: this target, this container, for an hour. */
export const DEFAULT_PICK: LastingPick = {lasting: '1h', scope: 'container', pattern: ''};

/**
 * The choices for `prompt`: each lasting of LASTING_CHOICES but "once" (that is the plain Allow/Deny); "this
 * project" only when its dossier names one; the whole domain only when the block has a name to widen.
 */
export function lastingOffer(prompt: OfferedPrompt): LastingOffer {
  const lastings = LASTING_CHOICES.filter((c) => c.lasting in SHORT).map((c) => ({value: c.lasting, label: SHORT[c.lasting]!}));
  const scopes: Option<ScopeKind>[] = [{value: 'container', label: 'This container'},
    ...(prompt.project ? [{value: 'project' as const, label: 'This project'}] : []),
    {value: 'all', label: 'Every container'}];
  const domain = prompt.domain ? domainPatternFor(prompt.domain) : null;
  const patterns: Option<string>[] = [{value: '', label: prompt.target}, ...(domain ? [{value: domain, label: domain}] : [])];
  return {lastings, scopes, patterns};
}

/** `pick` with each part the offer no longer has (the prompt changed meanwhile) set back to its default. */
export function fitPick(pick: LastingPick, offer: LastingOffer): LastingPick {
  const keep = <T>(value: T, options: readonly Option<T>[], fallback: T) => (options.some((o) => o.value === value)
    ? value : fallback);
  return {
    lasting: keep(pick.lasting, offer.lastings, DEFAULT_PICK.lasting),
    scope: keep(pick.scope, offer.scopes, DEFAULT_PICK.scope),
    pattern: keep(pick.pattern, offer.patterns, DEFAULT_PICK.pattern),
  };
}

export function pickChoice(action: VerdictAction, pick: LastingPick): LastingChoice {
  const lasting = parseLasting(pick.lasting);
  if (!lasting) throw new Error(`not a lasting: ${pick.lasting}`);
  return {action, lasting, scope: pick.scope, pattern: pick.pattern};
}

/** The answer button's label: "Allow 1 h", "Deny until exit", "Allow always". */
export function lastingButtonLabel(action: VerdictAction, lasting: string): string {
  return `${action === 'allow' ? 'Allow' : 'Deny'} ${SHORT[lasting] ?? lasting}`;
}

/**
 * What the pick covers, in one sentence shown before it is applied: "Answers registry.example.net for this container
 * (warp/t42 · build), for 1 hour." `identity` names the container.
 */
export function pickSummary(pick: LastingPick, prompt: OfferedPrompt, identity: string): string {
  const what = pick.pattern ? `${pick.pattern.slice(2)} and every name under it` : prompt.target;
  const where = pick.scope === 'container' ? `for this container (${identity})`
    : pick.scope === 'project' ? `for every container of project ${prompt.project}` : 'for every container';
  const label = LASTING_CHOICES.find((c) => c.lasting === pick.lasting)?.label ?? pick.lasting;
  const when = pick.lasting === 'always' ? 'always (a rule in the rules file)'
    : label.charAt(0).toLowerCase() + label.slice(1);
  return `Answers ${what} ${where}, ${when}.`;
}
