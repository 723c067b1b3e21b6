// The top-bar indicator: a shield icon (its alert state when any shield is down or disengaged, a revocation keeps
// failing or the rules file is broken; dimmed while no hub is reachable) with the number of requests waiting beside
// it. Its menu: how the hubs are, the alerts, the pending requests grouped by container with Allow/Deny per request
// and per container, the grants in force with their time left and Revoke, the recent decisions (answers given here
// and elsewhere, and what rules and grants answered without a prompt), Preferences.
// The menu is rebuilt from the prompt model when it changes while open, and on opening otherwise. Its Allow/Deny
// take pointer clicks only, armed after the arm delay from when the menu showed them.
import Clutter from 'gi://Clutter';
import type Gio from 'gi://Gio';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import {UNKNOWN_DECISION} from '../../core/client/decision-calls.js';
import type {DecisionWatch} from '../../core/client/decision-watch.js';
import {hubHealth, type HubHealth} from '../../core/client/hub-health.js';
import {
  alertBody, alertTitle, hostPort, localClockTime, promptStatus, repeatText, resultText,
} from '../../core/clearance/format.js';
import {protoLabel} from '../../core/clearance/identity.js';
import type {PromptView} from '../../core/clearance/prompts.js';
import {
  grantDetails, grantTitle, isAutomatic, logEntryLines, revokeFailureLines,
} from '../../core/decisions/decision-text.js';
import type {Decision} from '../../core/decisions/decision.js';
import type {VerdictAction} from '../../core/clearance/verdict.js';
import type {ClearanceClient} from '../hub/clearance-client.js';
import type {Lifetime} from '../lifetime.js';
import {Arming} from './arming.js';
import {pointerButton, setArmed} from './pointer-button.js';
import {hbox, label, vbox} from './widgets.js';

export interface IndicatorOptions {
  /** Key in Main.panel.statusArea; the extension's uuid, so it cannot clash with another extension. */
  role: string;
  openPreferences: () => void;
}

export class ClearanceIndicator {
  readonly button: PanelMenu.Button;
  readonly #icon: St.Icon;
  readonly #count: St.Label;
  readonly #menu: PopupMenu.PopupMenu;
  readonly #sections: {status: PopupMenu.PopupMenuSection; alerts: PopupMenu.PopupMenuSection;
    pending: PopupMenu.PopupMenuSection; grants: PopupMenu.PopupMenuSection; recent: PopupMenu.PopupMenuSection};
  readonly #arming: Arming;
  /** Grants being revoked from this menu, and why the last try of one failed. */
  readonly #revoking = new Set<string>();
  readonly #revokeFailed = new Map<string, string>();
  /** The grants' "time left" labels on show, counted down each second while the menu is open. */
  #timeLeft: {label: St.Label; grant: Decision}[] = [];
  #stopTicking: (() => void) | null = null;

  constructor(lifetime: Lifetime, private readonly settings: Gio.Settings,
    private readonly client: ClearanceClient, private readonly decisions: DecisionWatch, options: IndicatorOptions) {
    this.button = lifetime.own(new PanelMenu.Button(0.5, 'Terok Clearance', false));
    // add_child, not add_actor: Clutter.Container and its add_actor were removed in GNOME 46.
    const box = hbox({style_class: 'panel-status-indicators-box'});
    this.#icon = new St.Icon({icon_name: 'security-high-symbolic', style_class: 'system-status-icon'});
    this.#count = new St.Label({name: 'terok-clearance-count', style_class: 'terok-clearance-count',
      y_align: Clutter.ActorAlign.CENTER, visible: false});
    box.add_child(this.#icon);
    box.add_child(this.#count);
    this.button.add_child(box);

    this.#menu = this.button.menu as PopupMenu.PopupMenu;
    this.#sections = {
      status: new PopupMenu.PopupMenuSection(),
      alerts: new PopupMenu.PopupMenuSection(),
      pending: new PopupMenu.PopupMenuSection(),
      grants: new PopupMenu.PopupMenuSection(),
      recent: new PopupMenu.PopupMenuSection(),
    };
    for (const section of Object.values(this.#sections)) this.#menu.addMenuItem(section);
    this.#menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
    const preferences = new PopupMenu.PopupMenuItem('Preferences…');
    preferences.connect('activate', () => options.openPreferences());
    this.#menu.addMenuItem(preferences);

    this.#arming = new Arming(lifetime, settings, () => {
      if (this.#menu.isOpen) this.#rebuild();
    });
    // The menu goes with the button, its handlers with it.
    this.#menu.connect('open-state-changed', (_menu, open) => {
      if (open) {
        this.#rebuild();
        // The time left of the grants counts down while the menu shows it.
        this.#stopTicking = lifetime.timeout(1000, () => {
          for (const {label: shown, grant} of this.#timeLeft) shown.text = this.#grantDetails(grant);
          return true;
        });
      } else {
        this.#arming.hideAll();
        this.#stopTicking?.();
        this.#stopTicking = null;
      }
      return undefined;
    });
    lifetime.connect(settings, 'changed::recent-results', () => this.refresh());

    Main.panel.addToStatusArea(options.role, this.button);
    this.refresh();
  }

  /** Something changed (prompts, results, alerts, hubs): redraw the panel button, and the menu if it is open. */
  refresh(): void {
    const health = this.#health();
    const waiting = this.client.model.prompts().length;
    const decisions = this.decisions.view();
    const shieldDown = this.client.model.alerts().length > 0;
    const alerted = shieldDown || decisions.failing.length > 0 || decisions.rulesErrors.length > 0;
    this.#icon.icon_name = alerted ? 'security-low-symbolic' : 'security-high-symbolic';
    for (const [style, on] of [['terok-clearance-alert', alerted], ['terok-clearance-pending', waiting > 0],
      ['terok-clearance-offline', health.level === 'not-running' || health.level === 'unreachable']] as const) {
      if (on) this.button.add_style_class_name(style);
      else this.button.remove_style_class_name(style);
    }
    this.#count.text = String(waiting);
    this.#count.visible = waiting > 0;
    this.button.accessible_name = [`Terok Clearance: ${waitingText(waiting)}`,
      ...(shieldDown ? ['shield down'] : []), ...(decisions.failing.length > 0 ? ['a revocation failing'] : []),
      ...(decisions.rulesErrors.length > 0 ? ['rules file broken'] : []),
      ...(health.level === 'ok' ? [] : [health.title])].join(', ');
    if (this.#menu.isOpen) this.#rebuild();
  }

  #health(): HubHealth {
    return hubHealth(this.client.hubs.hubs().map((h) => ({label: h.label, layout: h.socket.layout, state: h.state})));
  }

  #rebuild(): void {
    for (const section of Object.values(this.#sections)) section.removeAll();
    this.#statusSection();
    for (const alert of this.client.model.alerts()) {
      this.#sections.alerts.addMenuItem(textItem([alertTitle(alert), alertBody(alert)], 'terok-clearance-menu-alert'));
    }
    const decisions = this.decisions.view();
    const identityOf = (container: string) => this.client.model.identityOf(container);
    for (const failure of decisions.failing) {
      this.#sections.alerts.addMenuItem(textItem(revokeFailureLines(failure, identityOf, localClockTime),
        'terok-clearance-menu-alert'));
    }
    for (const {file, error} of decisions.rulesErrors) {
      this.#sections.alerts.addMenuItem(textItem([`Rules file broken: ${file}`, error,
        'The last good rules stay in force; "Always" waits until it is fixed.'], 'terok-clearance-menu-alert'));
    }
    this.#pendingSection();
    this.#grantsSection();
    this.#recentSection();
  }

  #statusSection(): void {
    const health = this.#health();
    const waiting = this.client.model.prompts().length;
    const lines = health.level === 'ok' ? [waitingText(waiting)] : [health.title, ...health.details];
    if (health.level === 'degraded') lines.unshift(waitingText(waiting));
    this.#sections.status.addMenuItem(textItem(lines, `terok-clearance-menu-status terok-clearance-${health.level}`));
  }

  #pendingSection(): void {
    for (const [container, prompts] of this.client.model.byContainer()) {
      this.#sections.pending.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
      this.#sections.pending.addMenuItem(this.#containerItem(container, prompts));
      for (const prompt of prompts) this.#sections.pending.addMenuItem(this.#promptItem(prompt));
    }
  }

  #containerItem(container: string, prompts: PromptView[]): PopupMenu.PopupBaseMenuItem {
    const item = informationItem('terok-clearance-menu-container');
    item.add_child(label(this.client.model.identityOf(container), 'terok-clearance-menu-identity', {x_expand: true}));
    const answer = (action: VerdictAction) => () => {
      if (!this.#arming.isArmed(`container:${container}`)) return;
      if (this.client.answerContainer(container, action)) this.#rebuild();
    };
    const buttons = [
      pointerButton('Deny all', 'terok-clearance-button terok-clearance-deny', answer('deny')),
      pointerButton('Allow all', 'terok-clearance-button terok-clearance-allow', answer('allow')),
    ];
    buttons[0]!.name = `terok-clearance-deny-all:${container}`;
    buttons[1]!.name = `terok-clearance-allow-all:${container}`;
    for (const button of buttons) item.add_child(button);
    setArmed(buttons, this.#arming.show(`container:${container}`) && prompts.some((p) => p.inFlight === null));
    return item;
  }

  #promptItem(prompt: PromptView): PopupMenu.PopupBaseMenuItem {
    const item = informationItem('terok-clearance-menu-prompt');
    const text = vbox({x_expand: true});
    text.add_child(label(hostPort(prompt.target, prompt.port), 'terok-clearance-menu-target'));
    const facts = [protoLabel(prompt.proto)];
    if (prompt.domain && prompt.dest && prompt.dest !== prompt.domain) facts.push(prompt.dest);
    if (prompt.count > 1) facts.push(repeatText(prompt.count, prompt.firstSeen));
    text.add_child(label(facts.join(' · '), 'terok-clearance-body'));
    const status = promptStatus(prompt);
    if (status) text.add_child(label(status, 'terok-clearance-status'));
    item.add_child(text);
    const answer = (action: VerdictAction) => () => {
      if (!this.#arming.isArmed(prompt.key)) return;
      if (this.client.answer(prompt.key, action)) this.#rebuild();
    };
    const buttons = [
      pointerButton('Deny', 'terok-clearance-button terok-clearance-deny', answer('deny')),
      pointerButton('Allow', 'terok-clearance-button terok-clearance-allow', answer('allow')),
    ];
    buttons[0]!.name = `terok-clearance-deny:${prompt.key}`;
    buttons[1]!.name = `terok-clearance-allow:${prompt.key}`;
    for (const button of buttons) item.add_child(button);
    setArmed(buttons, this.#arming.show(prompt.key) && prompt.inFlight === null);
    return item;
  }

  #grantsSection(): void {
    const {grants} = this.decisions.view();
    for (const id of this.#revokeFailed.keys()) if (!grants.some((g) => g.grant.id === id)) this.#revokeFailed.delete(id);
    this.#timeLeft = [];
    if (grants.length === 0) return;
    this.#sections.grants.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('Grants'));
    for (const {grant, origins} of grants) {
      const item = informationItem('terok-clearance-menu-grant');
      const text = vbox({x_expand: true});
      text.add_child(label(grantTitle(grant), 'terok-clearance-menu-target'));
      const details = label(this.#grantDetails(grant), 'terok-clearance-body');
      this.#timeLeft.push({label: details, grant});
      text.add_child(details);
      const failed = this.#revokeFailed.get(grant.id);
      if (failed) text.add_child(label(failed, 'terok-clearance-status terok-clearance-failed'));
      item.add_child(text);
      const revoking = this.#revoking.has(grant.id);
      const revoke = pointerButton(revoking ? 'Revoking…' : 'Revoke', 'terok-clearance-button terok-clearance-revoke',
        () => this.#revoke(grant, origins));
      revoke.name = `terok-clearance-revoke:${grant.id}`;
      setArmed([revoke], !revoking);
      item.add_child(revoke);
      this.#sections.grants.addMenuItem(item);
    }
  }

  #grantDetails(grant: Decision): string {
    return grantDetails(grant, Date.now(), (c) => this.client.model.identityOf(c));
  }

  /** Revoke on every hub that holds the grant (each denies what it allowed under it); the hubs' state then drops it. */
  #revoke(grant: Decision, origins: readonly string[]): void {
    if (this.#revoking.has(grant.id)) return;
    this.#revoking.add(grant.id);
    this.#revokeFailed.delete(grant.id);
    this.refresh();
    void Promise.all(origins.map((origin) => this.client.hubs.revoke(origin, grant.id))).then((outcomes) => {
      this.#revoking.delete(grant.id);
      // A hub that saw the grant go before our call (UnknownDecision) has revoked its part by itself.
      const problems = outcomes.flatMap((o) => o.kind === 'ok'
        ? o.value.filter((r) => !r.ok).map((r) => `${r.target}: ${r.stderr.trim() || 'refused'}`)
        : o.kind === 'failed' && o.error === UNKNOWN_DECISION ? []
        : [o.kind === 'unsupported' ? 'the hub keeps no grants' : o.detail]);
      if (problems.length > 0) this.#revokeFailed.set(grant.id, `Revoke failed: ${problems.join('; ')}`);
      this.refresh();
    });
  }

  /** The answers this client saw applied and, from the hubs' decision log, what rules and grants decided. */
  #recentSection(): void {
    const max = this.settings.get_uint('recent-results');
    const results = this.client.model.results();
    const seen = new Set(results.map((r) => r.requestId));
    const lines: {at: number; text: string[]}[] = results.map((result) => ({at: result.at,
      text: [`${resultText(result)} · ${localClockTime(result.at)}`, result.identity]}));
    for (const entry of this.decisions.view().recent) {
      // A prompt's answer is among the results already; the log adds what no prompt asked.
      if (!isAutomatic(entry) || seen.has(entry.request_id)) continue;
      lines.push({at: Date.parse(entry.at), text: logEntryLines(entry, (c) => this.client.model.identityOf(c),
        localClockTime)});
    }
    const shown = lines.sort((a, b) => b.at - a.at).slice(0, max);
    if (shown.length === 0) return;
    this.#sections.recent.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('Recent decisions'));
    for (const {text} of shown) this.#sections.recent.addMenuItem(textItem(text, 'terok-clearance-menu-result'));
  }
}

function waitingText(count: number): string {
  return count === 0 ? 'No requests waiting' : count === 1 ? '1 request waiting' : `${count} requests waiting`;
}

/**
 * A menu item that is not itself activated (its buttons are). St marks a non-reactive widget insensitive, which the
 * theme dims; this is information, not a disabled command, so it keeps the inactive item's normal colours.
 */
function informationItem(styleClass: string): PopupMenu.PopupBaseMenuItem {
  const item = new PopupMenu.PopupBaseMenuItem({reactive: false, can_focus: false, style_class: styleClass});
  item.remove_style_pseudo_class('insensitive');
  return item;
}

/** A menu item that only shows text: the first line as its title, the others below it. */
function textItem(lines: string[], styleClass: string): PopupMenu.PopupBaseMenuItem {
  const item = informationItem(styleClass);
  const text = vbox({x_expand: true});
  lines.forEach((line, i) => text.add_child(label(line, i === 0 ? 'terok-clearance-menu-title' : 'terok-clearance-body')));
  item.add_child(text);
  return item;
}
