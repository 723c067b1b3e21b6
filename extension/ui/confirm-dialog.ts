// The one explicit confirmation a wide lasting answer needs (a whole domain, or "always" for every container): a
// modal dialog that says what will be allowed or denied, with Cancel as its default (Enter and Esc cancel) and
// Confirm only by choosing it. Closing it any way but Confirm sends nothing. Its texts are plain labels.
import Clutter from 'gi://Clutter';
import * as ModalDialog from 'resource:///org/gnome/shell/ui/modalDialog.js';
import type {Lifetime} from '../lifetime.js';
import {label} from './widgets.js';

export interface Confirmation {
  readonly title: string;
  readonly lines: readonly string[];
  readonly confirmLabel: string;
}

/**
 * Opens the dialog; `closed` runs once when it closes, with true only when the operator confirmed (false for Cancel,
 * Esc, the returned function, the lifetime's end, or no modal grab to be had).
 */
export function confirm(lifetime: Lifetime, what: Confirmation, closed: (confirmed: boolean) => void): () => void {
  // styleClass is a parameter of ModalDialog that its type declarations lack.
  const dialog = new ModalDialog.ModalDialog({styleClass: 'terok-clearance-confirm', shouldFadeOut: false,
    destroyOnClose: true} as Partial<ModalDialog.ModalDialog.ConstructorProps>);
  dialog.name = 'terok-clearance-confirm';
  dialog.contentLayout.add_child(label(what.title, 'terok-clearance-confirm-title'));
  for (const line of what.lines) dialog.contentLayout.add_child(label(line, 'terok-clearance-confirm-body'));
  let state: 'new' | 'open' | 'closed' = 'new';
  let forget = (): void => undefined;
  const close = (confirmed = false): void => {
    if (state === 'closed') return;
    const shown = state === 'open';
    state = 'closed';
    forget();
    if (shown) dialog.close(); // destroys it (destroyOnClose), at once (no fade-out)
    else dialog.destroy();
    closed(confirmed);
  };
  dialog.addButton({label: 'Cancel', action: () => close(), key: Clutter.KEY_Escape, default: true})
    .name = 'terok-clearance-confirm-cancel';
  dialog.addButton({label: what.confirmLabel, action: () => close(true)}).name = 'terok-clearance-confirm-ok';
  forget = lifetime.defer(() => close()); // an ended lifetime closes it here and now
  // No modal grab to be had (another grab holds the seat): it never showed, so nothing was confirmed.
  if (state === 'new') {
    if (dialog.open()) state = 'open';
    else close();
  }
  return () => close();
}
