// The in-shell prompt: a stack of cards in the top chrome, under the panel, that never takes keyboard focus on its
// own. A new block shows as a prompt card unless one is already showing (a prompt never changes under the pointer;
// "N more waiting" says what else is there); a repeat updates it in place; the verdict's result replaces it for a
// few seconds (one and a half when another prompt waits), then the next prompt waiting comes up; a new block shows
// at once over a result. Alert cards (shield down) and lifecycle cards sit above.
//
// Answering needs explicit intent: Allow/Deny are armed only after the arm delay, take only pointer clicks, and
// keys only while the queue is open. The queue is opened by the shortcut: only then does the banner take the
// keyboard (a modal grab), and single keys answer: a allow, d deny, arrows move, Esc closes. Enter and Space never
// answer. Every text from the wire is set as plain label text, never as markup.
//
// A prompt whose hub keeps lasting decisions (Decide) also offers a lasting answer, folded away under the plain ones:
// how long, for whom, this destination or its whole domain, the sentence that says what it covers, and its own Deny
// and Allow (armed like the plain ones). A whole domain, or "always" for every container, asks one confirmation in
// a dialog first; nothing is sent unless it is confirmed.
import Clutter from 'gi://Clutter';
import type Gio from 'gi://Gio';
import Shell from 'gi://Shell';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import {
  alertBody, alertTitle, lifecycleText, promptBody, promptStatus, promptTitle, resultText,
} from '../../core/clearance/format.js';
import type {ClearanceEvent} from '../../core/clearance/event.js';
import {confirmationReason, type LastingChoice} from '../../core/decisions/decision.js';
import {
  DEFAULT_PICK, fitPick, lastingButtonLabel, lastingOffer, pickChoice, pickSummary, type LastingPick, type Option,
} from '../../core/decisions/lasting-offer.js';
import type {PromptChange, PromptView, SecurityAlert, VerdictResult} from '../../core/clearance/prompts.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import type {ClearanceClient} from '../hub/clearance-client.js';
import type {Lifetime} from '../lifetime.js';
import {Arming} from './arming.js';
import {confirm} from './confirm-dialog.js';
import {label, vbox, hbox} from './widgets.js';
import {choiceButton, pointerButton, setArmed} from './pointer-button.js';

/** How long a result stays before nothing takes its place; shorter when another prompt is waiting for its turn. */
const RESULT_MS = 4000;
const RESULT_BEFORE_NEXT_MS = 1500;
const LIFECYCLE_MS = 4000;
const MAX_LIFECYCLE_CARDS = 3;
const MARGIN_PX = 12;

type Shown =
  | {kind: 'prompt'; key: string}
  | {kind: 'result'; result: VerdictResult}
  /** The queue is open with nothing waiting. */
  | {kind: 'empty'};

export class PromptBanner {
  readonly actor: St.Widget;
  readonly #alertBox: St.Widget;
  readonly #lifecycleBox: St.Widget;
  readonly #promptBox: St.Widget;
  readonly #alertCards = new Map<string, St.Widget>();
  readonly #arming: Arming;
  #shown: Shown | null = null;
  #cancelResult: (() => void) | null = null;
  #grab: Clutter.Grab | null = null;
  /** The prompt whose lasting choices are unfolded, and what is picked there. */
  #lasting: {key: string; pick: LastingPick} | null = null;
  /** What the lasting answer on its way covers, said again on its result. */
  #decided: {key: string; text: string} | null = null;
  #closeConfirmation: (() => void) | null = null;

  constructor(private readonly lifetime: Lifetime, private readonly settings: Gio.Settings,
    private readonly client: ClearanceClient) {
    this.actor = vbox({name: 'terok-clearance-banner', style_class: 'terok-clearance-banner', reactive: true,
      visible: false});
    this.#alertBox = vbox({style_class: 'terok-clearance-stack'});
    this.#lifecycleBox = vbox({style_class: 'terok-clearance-stack'});
    this.#promptBox = vbox({style_class: 'terok-clearance-stack'});
    for (const box of [this.#alertBox, this.#lifecycleBox, this.#promptBox]) this.actor.add_child(box);

    Main.layoutManager.addTopChrome(this.actor);
    lifetime.defer(() => {
      this.closeQueue();
      Main.layoutManager.removeChrome(this.actor);
      this.actor.destroy();
    });
    lifetime.connect(this.actor, 'notify::width', () => this.#place());
    lifetime.connect(Main.layoutManager, 'monitors-changed', () => this.#place());
    lifetime.connect(this.actor, 'key-press-event', (_actor: Clutter.Actor, event: Clutter.Event) => this.#key(event));
    this.#arming = new Arming(lifetime, settings, (key) => {
      if (this.#shownKey() === key) this.#render();
    });
  }

  /** The prompt model changed: decide what the prompt card shows, then redraw. */
  changes(changes: readonly PromptChange[]): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'added':
          if (this.#wantsPrompts() && this.#shown?.kind !== 'prompt') this.#show({kind: 'prompt', key: change.prompt.key});
          break;
        case 'resolved':
          if (change.prompt && this.#shownKey() === change.prompt.key) this.#showResult(change.result);
          break;
        case 'removed':
          if (this.#shownKey() === change.prompt.key) this.#next();
          break;
        case 'alert-raised':
          this.#raise(change.alert);
          break;
        case 'alert-cleared':
          this.#alertCards.get(change.alert.container)?.destroy();
          this.#alertCards.delete(change.alert.container);
          break;
        default: // updated, failed: redrawn below
      }
    }
    this.#render();
  }

  /** A container started or exited: a short card, when the operator asked for them. */
  lifecycle(event: ClearanceEvent): void {
    if (!this.settings.get_boolean('notify-lifecycle')) return;
    const text = lifecycleText(event, this.client.model.identityOf(event.container));
    if (!text) return;
    const card = vbox({style_class: 'terok-clearance-card terok-clearance-lifecycle'});
    card.add_child(label(text, 'terok-clearance-title'));
    this.#lifecycleBox.insert_child_at_index(card, 0);
    for (const old of this.#lifecycleBox.get_children().slice(MAX_LIFECYCLE_CARDS)) old.destroy();
    const cancel = this.lifetime.timeout(LIFECYCLE_MS, () => {
      card.destroy();
      this.#render();
      return false;
    });
    card.connect('destroy', cancel);
    this.#render();
  }

  /** Something the prompt card shows besides the prompt model changed (a hub's capabilities): redraw it. */
  refresh(): void {
    this.#render();
  }

  /** The shortcut: show the queue and take the keyboard until Esc. */
  openQueue(): void {
    if (this.#grab) return;
    if (this.#shown?.kind !== 'prompt') this.#next(true);
    const grab = Main.pushModal(this.actor, {actionMode: Shell.ActionMode.POPUP});
    this.#grab = grab;
    this.actor.grab_key_focus();
    this.#render();
  }

  closeQueue(): void {
    if (!this.#grab) return;
    Main.popModal(this.#grab);
    this.#grab = null;
    if (this.#shown?.kind === 'empty') this.#show(null);
    this.#render();
  }

  #wantsPrompts(): boolean {
    return this.settings.get_string('prompt-style') === 'banner' && this.settings.get_boolean('notify-blocked');
  }

  #shownKey(): string | null {
    return this.#shown?.kind === 'prompt' ? this.#shown.key : null;
  }

  #show(shown: Shown | null): void {
    const before = this.#shownKey();
    if (before !== null && before !== (shown?.kind === 'prompt' ? shown.key : null)) {
      this.#arming.hide(before);
      this.#lasting = null;
      this.#closeConfirmation?.();
    }
    this.#cancelResult?.();
    this.#cancelResult = null;
    this.#shown = shown;
  }

  #showResult(result: VerdictResult): void {
    this.#show({kind: 'result', result});
    const waiting = this.client.model.prompts().length > 0;
    this.#cancelResult = this.lifetime.timeout(waiting ? RESULT_BEFORE_NEXT_MS : RESULT_MS, () => {
      this.#cancelResult = null;
      this.#next();
      this.#render();
      return false;
    });
  }

  /** The oldest prompt waiting, when prompts are shown (or the queue is open); else nothing. */
  #next(forQueue = false): void {
    const queue = forQueue || this.#grab !== null;
    const first = this.client.model.prompts()[0];
    if (first && (queue || this.#wantsPrompts())) this.#show({kind: 'prompt', key: first.key});
    else this.#show(queue ? {kind: 'empty'} : null);
  }

  /** In the queue: the prompt `step` places before or after the one shown, wrapping around. */
  #move(step: number): void {
    const prompts = this.client.model.prompts();
    if (prompts.length === 0) return;
    const at = prompts.findIndex((p) => p.key === this.#shownKey());
    const next = prompts[(at + step + prompts.length) % prompts.length]!;
    this.#show({kind: 'prompt', key: next.key});
    this.#render();
  }

  #answer(key: string, action: VerdictAction): void {
    if (this.#shownKey() !== key || !this.#arming.isArmed(key)) return;
    // Null when a verdict is already in flight: one click, one verdict.
    if (this.client.answer(key, action)) this.#render();
  }

  /** A lasting answer from the unfolded choices: at once, or after the confirmation it needs. */
  #decide(key: string, action: VerdictAction): void {
    const prompt = this.client.model.get(key);
    if (!prompt || this.#shownKey() !== key || !this.#arming.isArmed(key) || this.#lasting?.key !== key) return;
    const pick = fitPick(this.#lasting.pick, lastingOffer(prompt));
    const choice = pickChoice(action, pick);
    const summary = pickSummary(pick, prompt, prompt.identity);
    const reason = confirmationReason(choice);
    if (reason) this.#confirm(prompt, choice, reason, summary);
    else this.#send(key, choice, summary, false);
  }

  #confirm(prompt: PromptView, choice: LastingChoice, reason: string, summary: string): void {
    this.#closeConfirmation?.();
    const verb = choice.action === 'allow' ? 'Allow' : 'Deny';
    const title = `${verb} ${choice.pattern || prompt.target}${choice.scope === 'all' ? ' for every container' : ''}?`;
    // The banner sits in the top chrome, above the dialog: it steps aside while the dialog is up.
    let open = true;
    const close = confirm(this.lifetime, {title, lines: [`${reason}.`, summary], confirmLabel: verb}, (confirmed) => {
      open = false;
      this.#closeConfirmation = null;
      if (this.lifetime.ended) return; // closed by disable(): the banner goes too
      this.#render();
      if (confirmed) this.#send(prompt.key, choice, summary, true);
    });
    if (!open) return; // it could not open
    this.#closeConfirmation = close;
    this.#render();
  }

  #send(key: string, choice: LastingChoice, summary: string, confirmed: boolean): void {
    // Null when an answer is already on its way or the prompt is gone: one click, one answer.
    const sent = this.client.decide(key, choice, {confirmed, ui: 'shell'});
    if (!sent) return;
    this.#decided = {key, text: summary};
    this.#render();
    void sent.then((outcome) => {
      if (outcome.kind === 'applied') return;
      if (this.#decided?.key === key) this.#decided = null;
      // The hub asks for a confirmation this UI did not know was needed: ask it now, and send only after it.
      const prompt = this.client.model.get(key);
      if (outcome.kind === 'needs-confirmation' && !confirmed && prompt && this.#shownKey() === key) {
        this.#confirm(prompt, choice, outcome.reason || 'This answer needs a confirmation', summary);
      }
    });
  }

  #key(event: Clutter.Event): boolean {
    if (!this.#grab) return Clutter.EVENT_PROPAGATE;
    const key = this.#shownKey();
    switch (event.get_key_symbol()) {
      case Clutter.KEY_Escape: this.closeQueue(); break;
      case Clutter.KEY_a: case Clutter.KEY_A: if (key) this.#answer(key, 'allow'); break;
      case Clutter.KEY_d: case Clutter.KEY_D: if (key) this.#answer(key, 'deny'); break;
      case Clutter.KEY_Left: case Clutter.KEY_Up: case Clutter.KEY_k: this.#move(-1); break;
      case Clutter.KEY_Right: case Clutter.KEY_Down: case Clutter.KEY_j: case Clutter.KEY_Tab: this.#move(1); break;
      default: // Enter, Space and everything else: nothing, and nothing reaches the window behind
    }
    return Clutter.EVENT_STOP;
  }

  #raise(alert: SecurityAlert): void {
    this.#alertCards.get(alert.container)?.destroy();
    this.#alertCards.delete(alert.container);
    if (!this.settings.get_boolean('notify-shield-down')) return;
    const card = vbox({style_class: 'terok-clearance-card terok-clearance-alert-card'});
    const header = hbox({});
    header.add_child(label(alertTitle(alert), 'terok-clearance-title', {x_expand: true}));
    header.add_child(pointerButton('×', 'terok-clearance-close', () => {
      card.destroy();
      this.#render();
    }));
    card.add_child(header);
    card.add_child(label(alertBody(alert), 'terok-clearance-body'));
    this.#alertCards.set(alert.container, card);
    card.connect('destroy', () => {
      if (this.#alertCards.get(alert.container) === card) this.#alertCards.delete(alert.container);
    });
    this.#alertBox.insert_child_at_index(card, 0);
  }

  #render(): void {
    this.#promptBox.destroy_all_children();
    const key = this.#shownKey();
    if (key !== null && !this.client.model.get(key)) this.#next(); // gone without a change we saw (a snapshot merge)
    const shown = this.#shown;
    const prompt = shown?.kind === 'prompt' ? this.client.model.get(shown.key) : undefined;
    if (prompt) this.#promptBox.add_child(this.#promptCard(prompt));
    if (shown?.kind === 'result') {
      const note = this.#decided?.key === shown.result.key && shown.result.ok ? this.#decided.text : '';
      this.#promptBox.add_child(resultCard(shown.result, note));
    }
    if (shown?.kind === 'empty') {
      const card = vbox({style_class: 'terok-clearance-card'});
      card.add_child(label('No requests waiting', 'terok-clearance-title'));
      card.add_child(label('Esc close', 'terok-clearance-hint'));
      this.#promptBox.add_child(card);
    }
    // An empty box would still take its share of the spacing.
    for (const box of this.actor.get_children()) box.visible = box.get_n_children() > 0;
    this.actor.visible = this.#closeConfirmation === null && this.actor.get_children().some((box) => box.visible);
    this.#place();
  }

  #promptCard(prompt: PromptView): St.Widget {
    const card = vbox({name: 'terok-clearance-prompt', style_class: `terok-clearance-card terok-clearance-prompt${
      this.#grab ? ' terok-clearance-queue' : ''}`});
    const header = hbox({});
    header.add_child(label(promptTitle(prompt), 'terok-clearance-title', {x_expand: true}));
    header.add_child(pointerButton('×', 'terok-clearance-close', () => {
      this.closeQueue();
      this.#show(null);
      this.#render();
    }));
    card.add_child(header);
    for (const line of promptBody(prompt)) card.add_child(label(line, 'terok-clearance-body'));
    const status = promptStatus(prompt);
    if (status) {
      card.add_child(label(status, prompt.failure ? 'terok-clearance-status terok-clearance-failed'
        : 'terok-clearance-status'));
    }

    const buttons = hbox({style_class: 'terok-clearance-buttons'});
    const deny = pointerButton('Deny', 'terok-clearance-button terok-clearance-deny',
      () => this.#answer(prompt.key, 'deny'));
    const allow = pointerButton('Allow', 'terok-clearance-button terok-clearance-allow',
      () => this.#answer(prompt.key, 'allow'));
    deny.name = 'terok-clearance-deny';
    allow.name = 'terok-clearance-allow';
    deny.x_expand = allow.x_expand = true;
    buttons.add_child(deny);
    buttons.add_child(allow);
    const armed = this.#arming.show(prompt.key) && prompt.inFlight === null;
    setArmed([deny, allow], armed);
    card.add_child(buttons);
    if (this.client.hubs.hub(prompt.origin)?.capabilities.decide === true) card.add_child(this.#lastingBox(prompt, armed));

    const hint = this.#hint(prompt);
    if (hint) card.add_child(label(hint, 'terok-clearance-hint'));
    return card;
  }

  /** The fold with the lasting choices: closed, its toggle only; open, the choices and their own Deny and Allow. */
  #lastingBox(prompt: PromptView, armed: boolean): St.Widget {
    const box = vbox({style_class: 'terok-clearance-lasting'});
    const unfolded = this.#lasting?.key === prompt.key ? this.#lasting : null;
    const toggle = choiceButton(unfolded ? 'Lasting answer ▴' : 'Lasting answer…', unfolded !== null, () => {
      this.#lasting = unfolded ? null : {key: prompt.key, pick: DEFAULT_PICK};
      this.#render();
    });
    toggle.name = 'terok-clearance-lasting-toggle';
    box.add_child(toggle);
    if (!unfolded) return box;

    const offer = lastingOffer(prompt);
    const pick = fitPick(unfolded.pick, offer);
    const row = <K extends keyof LastingPick>(title: string, part: K, options: readonly Option<LastingPick[K]>[],
      names: (value: LastingPick[K]) => string) => {
      const line = hbox({style_class: 'terok-clearance-choices'});
      line.add_child(label(title, 'terok-clearance-choice-title'));
      for (const option of options) {
        const button = choiceButton(option.label, option.value === pick[part], () => {
          this.#lasting = {key: prompt.key, pick: {...pick, [part]: option.value}};
          this.#render();
        });
        button.name = `terok-clearance-${part}:${names(option.value)}`;
        line.add_child(button);
      }
      box.add_child(line);
    };
    row('How long', 'lasting', offer.lastings, (v) => v);
    row('For', 'scope', offer.scopes, (v) => v);
    row('What', 'pattern', offer.patterns, (v) => (v ? 'domain' : 'target'));
    box.add_child(label(pickSummary(pick, prompt, prompt.identity), 'terok-clearance-body terok-clearance-summary'));

    const buttons = hbox({style_class: 'terok-clearance-buttons'});
    const deny = pointerButton(lastingButtonLabel('deny', pick.lasting), 'terok-clearance-button terok-clearance-deny',
      () => this.#decide(prompt.key, 'deny'));
    const allow = pointerButton(lastingButtonLabel('allow', pick.lasting),
      'terok-clearance-button terok-clearance-allow', () => this.#decide(prompt.key, 'allow'));
    deny.name = 'terok-clearance-lasting-deny';
    allow.name = 'terok-clearance-lasting-allow';
    deny.x_expand = allow.x_expand = true;
    buttons.add_child(deny);
    buttons.add_child(allow);
    setArmed([deny, allow], armed);
    box.add_child(buttons);
    return box;
  }

  #hint(prompt: PromptView): string {
    const prompts = this.client.model.prompts();
    if (this.#grab) {
      const at = prompts.findIndex((p) => p.key === prompt.key) + 1;
      return `a Allow · d Deny · ←/→ ${at} of ${prompts.length} · Esc close`;
    }
    const others = prompts.length - 1;
    return others > 0 ? `${others} more waiting` : '';
  }

  /** Centred on the primary monitor, just under the panel. */
  #place(): void {
    const monitor = Main.layoutManager.primaryMonitor;
    if (!monitor) return;
    this.actor.set_position(Math.round(monitor.x + (monitor.width - this.actor.width) / 2),
      monitor.y + Main.panel.height + MARGIN_PX);
  }
}

/** The verdict's result; `note` says what a lasting answer covers. */
function resultCard(result: VerdictResult, note: string): St.Widget {
  const card = vbox({name: 'terok-clearance-result', style_class: `terok-clearance-card terok-clearance-result ${
    result.action === 'allow' ? 'terok-clearance-allowed' : 'terok-clearance-denied'}`});
  card.add_child(label(resultText(result), 'terok-clearance-title'));
  card.add_child(label(result.identity, 'terok-clearance-body'));
  if (note) card.add_child(label(note, 'terok-clearance-body'));
  return card;
}
