// The top-bar indicator: an icon with the pending count beside it, and the menu the queue view fills.
// Until the hub connection exists it explains the one state it knows: the service is not running.
import Clutter from 'gi://Clutter';
import St from 'gi://St';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import type {Lifetime} from './lifetime.js';

export const SERVICE_NOT_RUNNING = 'Clearance service not running';

export interface IndicatorOptions {
  /** Key in Main.panel.statusArea; the extension's uuid, so it cannot clash with another extension. */
  role: string;
  openPreferences: () => void;
}

/** Builds the indicator, adds it to the panel and hands it to `lifetime`, which destroys it (menu included). */
export function addIndicator(lifetime: Lifetime, options: IndicatorOptions): PanelMenu.Button {
  const button = lifetime.own(new PanelMenu.Button(0.5, 'Terok Clearance', false));

  // add_child, not add_actor: Clutter.Container and its add_actor were removed in GNOME 46.
  const box = new St.BoxLayout({style_class: 'panel-status-indicators-box'});
  box.add_child(new St.Icon({icon_name: 'security-high-symbolic', style_class: 'system-status-icon'}));
  box.add_child(new St.Label({
    name: 'terok-clearance-count',
    y_align: Clutter.ActorAlign.CENTER,
    visible: false,
  }));
  button.add_child(box);

  const menu = button.menu as PopupMenu.PopupMenu;
  menu.addMenuItem(new PopupMenu.PopupMenuItem(SERVICE_NOT_RUNNING, {reactive: false}));
  menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
  const preferences = new PopupMenu.PopupMenuItem('Preferences…');
  preferences.connect('activate', () => options.openPreferences());
  menu.addMenuItem(preferences);

  Main.panel.addToStatusArea(options.role, button);
  return button;
}
