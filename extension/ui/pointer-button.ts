// The buttons of the prompts. They never take key focus, so no key press reaches them (Enter and Space cannot
// press them), and a click on one that answers counts only when the event behind it is a pointer or touch release.
import Clutter from 'gi://Clutter';
import St from 'gi://St';

export function pointerButton(label: string, styleClass: string, onClick: () => void): St.Button {
  const button = new St.Button({label, style_class: styleClass, can_focus: false, track_hover: true});
  button.connect('clicked', () => {
    const type = Clutter.get_current_event()?.type();
    if (type === Clutter.EventType.BUTTON_RELEASE || type === Clutter.EventType.TOUCH_END) onClick();
  });
  return button;
}

/**
 * One option of a choice (how long, for whom): a toggle shown pressed when `checked`. It answers nothing, so any
 * click counts; it never takes key focus, so keys go where they went before.
 */
export function choiceButton(label: string, checked: boolean, onClick: () => void): St.Button {
  const button = new St.Button({label, style_class: 'terok-clearance-choice', can_focus: false, track_hover: true,
    checked});
  button.connect('clicked', onClick);
  return button;
}

/** Armed buttons take clicks; disarmed ones look dimmed and ignore the pointer altogether. */
export function setArmed(buttons: readonly St.Button[], armed: boolean): void {
  for (const button of buttons) {
    button.reactive = armed;
    if (armed) button.remove_style_pseudo_class('insensitive');
    else button.add_style_pseudo_class('insensitive');
  }
}
