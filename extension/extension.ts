// Entry point loaded by GNOME Shell. Nothing happens at import time: enable() builds everything inside a
// fresh Lifetime and disable() ends it, which undoes every signal, source, socket, actor and bus name.
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
import {addIndicator} from './indicator.js';
import {Lifetime} from './lifetime.js';

/** Owned while enabled so the desktop-notification fallback sees a prompt UI and stays quiet. */
export const SHELL_BUS_NAME = 'org.terok.Clearance.Shell';

export default class ClearanceExtension extends Extension {
  #lifetime: Lifetime | null = null;

  override enable(): void {
    const lifetime = new Lifetime();
    this.#lifetime = lifetime;
    lifetime.ownBusName(SHELL_BUS_NAME);
    addIndicator(lifetime, {role: this.uuid, openPreferences: () => this.openPreferences()});
  }

  override disable(): void {
    this.#lifetime?.end();
    this.#lifetime = null;
  }
}
