// Preferences window (runs in the gnome-extensions prefs process: Gtk/Adw only, never St/Clutter/Shell).
// Every row writes straight to GSettings; the shell side reacts to the changes.
import Adw from 'gi://Adw';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk';
import {ExtensionPreferences} from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';

const PROMPT_STYLES = [
  ['banner', 'Banner under the top bar'],
  ['indicator', 'Only in the top-bar menu'],
] as const;

export default class ClearancePreferences extends ExtensionPreferences {
  // async only for the signature GNOME 47+ declares; the body is synchronous, as GNOME 46 expects.
  override async fillPreferencesWindow(window: Adw.PreferencesWindow): Promise<void> {
    const settings = this.getSettings();
    const page = new Adw.PreferencesPage();
    page.add(promptsGroup(settings));
    page.add(notifyGroup(settings));
    page.add(socketsGroup(settings));
    window.add(page);
  }
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
