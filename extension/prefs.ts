// Preferences window (runs in the gnome-extensions prefs process: Gtk/Adw only, never St/Clutter/Shell).
// Every row of the first page writes straight to GSettings; the shell side reacts to the changes. The second page
// lists the lasting decisions, asked of the session hub (every hub reads the same rules file and grant store): the
// rules with Delete (RemoveRule) and the grants with Revoke, each over a connection of its own, asynchronously.
import Adw from 'gi://Adw';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk';
import {ExtensionPreferences} from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';
import {
  fetchDecisions, sendRemoveRule, sendRevoke, type QueryOutcome,
} from '../core/client/decision-calls.js';
import {errorMessage} from '../core/client/hub-connection.js';
import {sessionHub} from '../core/client/hub-sockets.js';
import {grantDetails, grantTitle} from '../core/decisions/decision-text.js';
import {scopeText} from '../core/decisions/decision.js';
import {runtimeDir} from './hub/runtime-dir.js';
import {VarlinkConnection} from './varlink/connection.js';

const PROMPT_STYLES = [
  ['banner', 'Banner under the top bar'],
  ['indicator', 'Only in the top-bar menu'],
] as const;

export default class ClearancePreferences extends ExtensionPreferences {
  // async only for the signature GNOME 47+ declares; the body is synchronous, as GNOME 46 expects.
  override async fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
    const settings = this.getSettings();
    const page = new Adw.PreferencesPage({title: 'Prompts', icon_name: 'preferences-system-symbolic'});
    page.add(promptsGroup(settings));
    page.add(notifyGroup(settings));
    page.add(socketsGroup(settings));
    window.add(page);
    window.add(decisionsPage());
  }
}

const HUB_TIMEOUT_MS = 5000;

/**
 * One call to the session hub on a connection of its own (its cancellable is the connection's: closing it cancels
 * it); `live` holds it meanwhile, for the page to cancel. A hub that cannot be reached is an outcome too.
 */
async function askHub<T>(live: Set<Gio.Cancellable>,
  ask: (hub: VarlinkConnection) => Promise<QueryOutcome<T>>): Promise<QueryOutcome<T>> {
  const cancellable = new Gio.Cancellable();
  live.add(cancellable);
  try {
    let hub: VarlinkConnection;
    try {
      hub = await VarlinkConnection.connect(sessionHub(runtimeDir()).path, {cancellable, timeoutMs: HUB_TIMEOUT_MS});
    } catch (e) {
      return {kind: 'unreachable', detail: errorMessage(e)};
    }
    try {
      return await ask(hub);
    } finally {
      hub.close();
    }
  } finally {
    live.delete(cancellable);
  }
}

function failureText(outcome: Exclude<QueryOutcome<unknown>, {kind: 'ok'}>): string {
  return outcome.kind === 'unsupported' ? 'The clearance service keeps no lasting decisions (an older hub)'
    : outcome.kind === 'unreachable' ? `Clearance service not reachable: ${outcome.detail}` : outcome.detail;
}

/** The rules (Delete) and grants (Revoke) in force, read again on opening, by Refresh and after each change. */
function decisionsPage(): Adw.PreferencesPage {
  const page = new Adw.PreferencesPage({title: 'Lasting decisions', icon_name: 'security-high-symbolic'});
  const rules = new Adw.PreferencesGroup({title: 'Rules'});
  const grants = new Adw.PreferencesGroup({title: 'Grants', description: 'Answers that last for a time or until a container exits'});
  const refresh = new Gtk.Button({icon_name: 'view-refresh-symbolic', valign: Gtk.Align.CENTER, tooltip_text: 'Refresh'});
  refresh.add_css_class('flat');
  rules.set_header_suffix(refresh);
  page.add(rules);
  page.add(grants);
  const live = new Set<Gio.Cancellable>();
  let gone = false;
  page.connect('destroy', () => {
    gone = true;
    for (const cancellable of live) cancellable.cancel();
  });
  let rows: [Adw.PreferencesGroup, Adw.ActionRow][] = [];

  const row = (group: Adw.PreferencesGroup, title: string, subtitle: string): Adw.ActionRow => {
    const added = new Adw.ActionRow({title, subtitle, use_markup: false}); // hub text: never markup
    group.add(added);
    rows.push([group, added]);
    return added;
  };
  const action = (target: Adw.ActionRow, label: string, run: () => Promise<QueryOutcome<unknown>>): void => {
    const button = new Gtk.Button({label, valign: Gtk.Align.CENTER});
    button.add_css_class('destructive-action');
    button.connect('clicked', () => {
      button.sensitive = false;
      void run().then((outcome) => {
        if (gone) return;
        if (outcome.kind === 'ok') reload();
        else {
          target.subtitle = failureText(outcome);
          button.sensitive = true;
        }
      });
    });
    target.add_suffix(button);
  };
  const load = async (): Promise<void> => {
    refresh.sensitive = false;
    const outcome = await askHub(live, fetchDecisions);
    if (gone) return;
    refresh.sensitive = true;
    for (const [group, shown] of rows) group.remove(shown);
    rows = [];
    if (outcome.kind !== 'ok') {
      rules.description = failureText(outcome);
      return;
    }
    const {value} = outcome;
    rules.description = value.rulesError ? `${value.rulesFile} is broken: ${value.rulesError}` : value.rulesFile;
    for (const rule of value.rules) {
      const shown = row(rules, grantTitle(rule), [scopeText(rule), rule.source, rule.note].filter(Boolean).join(' · '));
      action(shown, 'Delete', () => askHub(live, (hub) => sendRemoveRule(hub, rule.id)));
    }
    if (value.rules.length === 0) row(rules, 'No rules', '');
    for (const grant of value.grants) {
      const shown = row(grants, grantTitle(grant), grantDetails(grant, Date.now(), (c) => `container ${c}`));
      action(shown, 'Revoke', () => askHub(live, (hub) => sendRevoke(hub, grant.id)));
    }
    if (value.grants.length === 0) row(grants, 'No grants', '');
  };
  const reload = (): void => void load().catch((e: unknown) => {
    rules.description = `Could not read the lasting decisions: ${errorMessage(e)}`;
    refresh.sensitive = true;
  });
  refresh.connect('clicked', reload);
  reload();
  return page;
}

function promptsGroup(settings: Gio.Settings): Adw.PreferencesGroup {
  const group = new Adw.PreferencesGroup({title: 'Prompts'});

  const style = new Adw.ComboRow({
    title: 'Prompt style',
    subtitle: 'A banner never takes keyboard focus',
    model: Gtk.StringList.new(PROMPT_STYLES.map(([, label]) => label)),
  });
  const showStyle = (): void => {
    style.selected = Math.max(0, PROMPT_STYLES.findIndex(([value]) => value === settings.get_string('prompt-style')));
  };
  follow(settings, 'prompt-style', style, showStyle);
  style.connect('notify::selected', () => {
    const entry = PROMPT_STYLES[style.selected];
    if (entry && entry[0] !== settings.get_string('prompt-style')) settings.set_string('prompt-style', entry[0]);
  });
  group.add(style);

  const armDelay = Adw.SpinRow.new_with_range(0, 5000, 50);
  armDelay.title = 'Arm delay (ms)';
  armDelay.subtitle = 'A new prompt ignores clicks this long, so it cannot be answered by accident';
  settings.bind('arm-delay-ms', armDelay, 'value', Gio.SettingsBindFlags.DEFAULT);
  group.add(armDelay);

  group.add(shortcutRow(settings));

  const recent = Adw.SpinRow.new_with_range(0, 50, 1);
  recent.title = 'Recent decisions in the menu';
  settings.bind('recent-results', recent, 'value', Gio.SettingsBindFlags.DEFAULT);
  group.add(recent);
  return group;
}

/** The queue shortcut as an accelerator string; an invalid one is marked and not saved, empty disables it. */
function shortcutRow(settings: Gio.Settings): Adw.EntryRow {
  const row = new Adw.EntryRow({
    title: 'Shortcut that opens the queue (empty: none)',
    show_apply_button: true,
    text: settings.get_strv('queue-shortcut')[0] ?? '',
  });
  row.connect('apply', () => {
    const text = row.text.trim();
    if (text === '') {
      settings.set_strv('queue-shortcut', []);
      row.remove_css_class('error');
      return;
    }
    const [parsed, key, mods] = Gtk.accelerator_parse(text);
    if (!parsed || !Gtk.accelerator_valid(key, mods)) {
      row.add_css_class('error');
      return;
    }
    row.remove_css_class('error');
    settings.set_strv('queue-shortcut', [Gtk.accelerator_name(key, mods)]);
  });
  return row;
}

function notifyGroup(settings: Gio.Settings): Adw.PreferencesGroup {
  const group = new Adw.PreferencesGroup({title: 'Show'});
  for (const [key, title] of [
    ['notify-blocked', 'Blocked connections'],
    ['notify-shield-down', 'Shield down or disengaged'],
    ['notify-lifecycle', 'Containers starting and exiting'],
  ] as const) {
    const row = new Adw.SwitchRow({title});
    settings.bind(key, row, 'active', Gio.SettingsBindFlags.DEFAULT);
    group.add(row);
  }
  return group;
}

/** Extra hub sockets: one row per path with a remove button, and an entry that adds an absolute path. */
function socketsGroup(settings: Gio.Settings): Adw.PreferencesGroup {
  const group = new Adw.PreferencesGroup({
    title: 'Hub sockets',
    description: 'The session hub in $XDG_RUNTIME_DIR is always watched. Add other hubs by socket path.',
  });
  const add = new Adw.EntryRow({title: 'Add socket path', show_apply_button: true});
  let rows: Adw.ActionRow[] = [];

  const show = (): void => {
    for (const row of rows) group.remove(row);
    rows = settings.get_strv('extra-sockets').map((path) => {
      const row = new Adw.ActionRow({title: path, use_markup: false}); // a path may contain & or <
      const remove = new Gtk.Button({icon_name: 'list-remove-symbolic', valign: Gtk.Align.CENTER, tooltip_text: 'Remove'});
      remove.add_css_class('flat');
      remove.connect('clicked', () =>
        settings.set_strv('extra-sockets', settings.get_strv('extra-sockets').filter((p) => p !== path)));
      row.add_suffix(remove);
      group.add(row);
      return row;
    });
    // Keep the entry last.
    group.remove(add);
    group.add(add);
  };

  add.connect('apply', () => {
    const path = add.text.trim();
    if (!path.startsWith('/')) {
      add.add_css_class('error');
      return;
    }
    add.remove_css_class('error');
    add.text = '';
    const paths = settings.get_strv('extra-sockets');
    if (!paths.includes(path)) settings.set_strv('extra-sockets', [...paths, path]);
  });

  group.add(add);
  follow(settings, 'extra-sockets', group, show);
  return group;
}

/** Calls `show` now and on every change of `key` while `widget` exists. */
function follow(settings: Gio.Settings, key: string, widget: Gtk.Widget, show: () => void): void {
  show();
  const id = settings.connect(`changed::${key}`, show);
  widget.connect('destroy', () => settings.disconnect(id));
}
