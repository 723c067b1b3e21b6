// The top-bar indicator: a shield icon (its alert state when any shield is down or disengaged, dimmed while no hub
// is reachable) with the number of requests waiting beside it. Its menu: how the hubs are, the alerts, the pending
// requests grouped by container with Allow/Deny per request and per container, the recent decisions, Preferences.
// The menu is rebuilt from the prompt model when it changes while open, and on opening otherwise. Its Allow/Deny
// take pointer clicks only, armed after the arm delay from when the menu showed them.
import Clutter from 'gi://Clutter';
import type Gio from 'gi://Gio';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import {hubHealth, type HubHealth} from '../../core/client/hub-health.js';
import {
  alertBody, alertTitle, hostPort, localClockTime, promptStatus, repeatText, resultText,
} from '../../core/clearance/format.js';
import {protoLabel} from '../../core/clearance/identity.js';
import type {PromptView} from '../../core/clearance/prompts.js';
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
    pending: PopupMenu.PopupMenuSection; recent: PopupMenu.PopupMenuSection};
  readonly #arming: Arming;

  constructor(lifetime: Lifetime, private readonly settings: Gio.Settings, private readonly client: ClearanceClient,
    options: IndicatorOptions) {
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
      if (open) this.#rebuild();
      else this.#arming.hideAll();
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
    const alerted = this.client.model.alerts().length > 0;
    this.#icon.icon_name = alerted ? 'security-low-symbolic' : 'security-high-symbolic';
    for (const [style, on] of [['terok-clearance-alert', alerted], ['terok-clearance-pending', waiting > 0],
      ['terok-clearance-offline', health.level === 'not-running' || health.level === 'unreachable']] as const) {
      if (on) this.button.add_style_class_name(style);
      else this.button.remove_style_class_name(style);
    }
    this.#count.text = String(waiting);
    this.#count.visible = waiting > 0;
    this.button.accessible_name = [`Terok Clearance: ${waitingText(waiting)}`,
      ...(alerted ? ['shield down'] : []), ...(health.level === 'ok' ? [] : [health.title])].join(', ');
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
    this.#pendingSection();
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

  #recentSection(): void {
    const results = this.client.model.results().slice(0, this.settings.get_uint('recent-results'));
    if (results.length === 0) return;
    this.#sections.recent.addMenuItem(new PopupMenu.PopupSeparatorMenuItem('Recent decisions'));
    for (const result of results) {
      this.#sections.recent.addMenuItem(textItem([`${resultText(result)} · ${localClockTime(result.at)}`,
        result.identity], 'terok-clearance-menu-result'));
    }
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
