// Entry point loaded by GNOME Shell. Nothing happens at import time: enable() builds everything inside a
// fresh Lifetime and disable() ends it, which undoes every signal, source, socket, monitor, keybinding, actor
// and bus name.
import Meta from 'gi://Meta';
import Shell from 'gi://Shell';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import {createClearanceClient, createDecisionWatch} from './hub/clearance-client.js';
import {Lifetime} from './lifetime.js';
import {ClearanceIndicator} from './ui/indicator.js';
import {PromptBanner} from './ui/prompt-banner.js';

/** Owned while enabled so the desktop-notification fallback sees a prompt UI and stays quiet. */
export const SHELL_BUS_NAME = 'org.terok.Clearance.Shell';
/** The GSettings key holding the shortcut; also the keybinding's name. */
const QUEUE_SHORTCUT = 'queue-shortcut';

export default class ClearanceExtension extends Extension {
  #lifetime: Lifetime | null = null;

  override enable(): void {
    const lifetime = new Lifetime();
    this.#lifetime = lifetime;
    const settings = this.getSettings();
    lifetime.ownBusName(SHELL_BUS_NAME);

    let indicator: ClearanceIndicator | null = null;
    let banner: PromptBanner | null = null;
    const decisions = createDecisionWatch(lifetime, () => indicator?.refresh());
    const client = createClearanceClient(lifetime, settings, {
      changes: (changes) => {
        banner?.changes(changes);
        indicator?.refresh();
      },
      hub: (hub, what) => {
        // Each connect: whether its prompts offer lasting answers, and its lasting decisions followed.
        if (what !== 'removed' && hub.state.status === 'connected') {
          void client.hubs.supportsDecide(hub.id).then(() => banner?.refresh());
          decisions.follow(hub.id);
        } else {
          decisions.forget(hub.id);
        }
        indicator?.refresh();
      },
      event: (_hub, event) => banner?.lifecycle(event),
    });
    indicator = new ClearanceIndicator(lifetime, settings, client, decisions,
      {role: this.uuid, openPreferences: () => this.openPreferences()});
    banner = new PromptBanner(lifetime, settings, client);

    Main.wm.addKeybinding(QUEUE_SHORTCUT, settings, Meta.KeyBindingFlags.NONE,
      Shell.ActionMode.NORMAL | Shell.ActionMode.OVERVIEW, () => banner?.openQueue());
    lifetime.defer(() => Main.wm.removeKeybinding(QUEUE_SHORTCUT));
    // Undone first: what completes during or after disable() finds no UI to draw on.
    lifetime.defer(() => {
      indicator = null;
      banner = null;
    });
    client.start();
  }

  override disable(): void {
    this.#lifetime?.end();
    this.#lifetime = null;
  }
}
