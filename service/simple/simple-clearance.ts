// The hub-less fallback's logic: reader events go into the prompt model (one prompt per target, repeats coalesced),
// the oldest prompt is the one asked about, later ones wait their turn; the operator's a/d runs
// `terok-shield allow|deny CONTAINER TARGET` (the domain when known, else the IP); a failed run keeps the prompt at the
// head with a retry hint. What it prints comes from the watch screen, with the queue around it.
import {translateReaderLine} from '../../core/clearance/reader-line.js';
import {escapeTerminal} from '../../core/clearance/escape.js';
import {promptTitle} from '../../core/clearance/format.js';
import {PromptModel, type PromptChange, type PromptView} from '../../core/clearance/prompts.js';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import {IdentityFeed, type IdentitySource} from '../../core/client/identity-feed.js';
import type {Paint} from '../terminal/paint.js';
import {WatchScreen} from '../terminal/watch-screen.js';
import {runShield, type ShieldCommand} from '../verdict/shield-exec.js';

export const SIMPLE_HELP = [
  'a, allow   allow the request asked about',
  'd, deny    deny it',
  'l          list what is waiting',
  'h          this help',
  'q          quit (answers nothing: what is waiting stays blocked)',
];

export type SimpleInput =
  | {kind: 'answer'; action: VerdictAction}
  | {kind: 'list'} | {kind: 'help'} | {kind: 'quit'} | {kind: 'nothing'}
  | {kind: 'invalid'; message: string};

export function parseSimpleInput(line: string): SimpleInput {
  const word = line.trim().toLowerCase();
  switch (word) {
    case '': return {kind: 'nothing'};
    case 'a': case 'allow': return {kind: 'answer', action: 'allow'};
    case 'd': case 'deny': return {kind: 'answer', action: 'deny'};
    case 'l': case 'list': return {kind: 'list'};
    case 'h': case '?': case 'help': return {kind: 'help'};
    case 'q': case 'quit': return {kind: 'quit'};
    default: return {kind: 'invalid', message: `unknown input '${line.trim()}': a to allow, d to deny (h for help)`};
  }
}

export interface SimpleClearanceOptions {
  /** The container as given on the command line: what the shield is told. */
  container: string;
  shield: ShieldCommand;
  shieldTimeoutMs?: number;
  identity?: IdentitySource;
  paint: Paint;
  /** Where lines go (above the input prompt). */
  print(lines: string[]): void;
  now?: () => number;
}

export class SimpleClearance {
  readonly model = new PromptModel();
  readonly #screen: WatchScreen;
  readonly #feed: IdentityFeed | null;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #now: () => number;
  /** The head last asked about, so it is asked again only when it changes. */
  #askedKey: string | null = null;

  constructor(private readonly options: SimpleClearanceOptions) {
    this.#now = options.now ?? Date.now;
    this.#screen = new WatchScreen(this.model, {paint: options.paint, now: this.#now, retryHint: () => 'a or d'});
    this.#feed = options.identity
      ? new IdentityFeed(options.identity, (container, label) => this.#show(this.model.setIdentity(container, label)))
      : null;
  }

  /** One stdout line of the reader. */
  readerLine(line: string): void {
    const result = translateReaderLine(line);
    if (result.kind === 'dropped' && result.level === 'warning') this.message('error', `reader: ${result.reason}`);
    if (result.kind === 'event') this.event(result.event);
  }

  event(event: ClearanceEvent): void {
    this.#show(this.model.apply(event, this.#now()));
    this.#feed?.observe(event);
  }

  input(line: string): 'quit' | void {
    const input = parseSimpleInput(line);
    switch (input.kind) {
      case 'nothing': return;
      case 'quit': return 'quit';
      case 'invalid': return this.message('error', input.message);
      case 'help': return this.options.print([this.options.paint.strong('Commands:'), ...SIMPLE_HELP.map((l) => `  ${l}`)]);
      case 'list': return this.options.print(this.#screen.list([]));
      case 'answer': return this.#answer(input.action);
    }
  }

  message(kind: 'info' | 'error', text: string): void {
    this.options.print([this.#screen.message(kind, text)]);
  }

  /** Resolves when every verdict started has its outcome shown. */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  close(): void {
    this.#feed?.close();
  }

  #answer(action: VerdictAction): void {
    const head = this.model.prompts()[0];
    if (!head) return this.message('info', 'nothing is waiting for an answer');
    const request = this.model.beginVerdict(head.key, action);
    if (!request) return this.message('info', `[${head.number}] is already being answered`);
    this.#feed?.refresh(request.container); // the result line names the container as it is now
    this.message('info', `[${head.number}] ${action === 'allow' ? 'allowing' : 'denying'} ${request.dest}...`);
    const done = runShield(this.options.shield, action, this.options.container, request.dest, this.options.shieldTimeoutMs)
      .then((result) => {
        const now = this.#now();
        this.#show(result.ok ? this.model.verdictAccepted(request, now)
          : this.model.verdictRejected(request, 'failed', result.stderr, now));
      });
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  #show(changes: PromptChange[]): void {
    if (changes.length === 0) return;
    const lines = this.#screen.changes(changes);
    const prompts = this.model.prompts();
    const head = prompts[0];
    for (const change of changes) {
      if (change.kind === 'added' && change.prompt.key !== head?.key) {
        const ahead = prompts.findIndex((p) => p.key === change.prompt.key);
        lines.push(this.#screen.message('info', `[${change.prompt.number}] queued (${ahead} ahead of it)`));
      }
    }
    if (head && head.key !== this.#askedKey && head.inFlight === null) {
      this.#askedKey = head.key;
      lines.push(this.#ask(head, prompts.length - 1));
    } else if (!head) {
      this.#askedKey = null;
    }
    this.options.print(lines);
  }

  #ask(head: PromptView, queued: number): string {
    const more = queued > 0 ? ` (${queued} more waiting)` : '';
    return this.options.paint.strong(
      escapeTerminal(`>> [${head.number}] ${promptTitle(head)} from ${head.identity}: a allow, d deny?${more}`));
  }
}
