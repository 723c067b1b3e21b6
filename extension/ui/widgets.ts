// Small St building blocks that work the same on GNOME Shell 46–50: boxes through Clutter.BoxLayout (St.BoxLayout's
// `vertical` is deprecated from 48 and `orientation` is new in 48), and labels that wrap instead of cutting text off.
// Label text is always plain text: nothing here enables markup.
import Clutter from 'gi://Clutter';
import Pango from 'gi://Pango';
import St from 'gi://St';

type WidgetParams = Partial<St.Widget.ConstructorProps>;

const SPACING_PX = 6;

export function vbox(params: WidgetParams): St.Widget {
  return new St.Widget({...params,
    layout_manager: new Clutter.BoxLayout({orientation: Clutter.Orientation.VERTICAL, spacing: SPACING_PX})});
}

export function hbox(params: WidgetParams): St.Widget {
  return new St.Widget({...params,
    layout_manager: new Clutter.BoxLayout({orientation: Clutter.Orientation.HORIZONTAL, spacing: SPACING_PX})});
}

export function label(text: string, styleClass: string, params: Partial<St.Label.ConstructorProps> = {}): St.Label {
  const widget = new St.Label({text, style_class: styleClass, y_align: Clutter.ActorAlign.CENTER, ...params});
  widget.clutter_text.use_markup = false;
  widget.clutter_text.line_wrap = true;
  widget.clutter_text.line_wrap_mode = Pango.WrapMode.WORD_CHAR;
  widget.clutter_text.ellipsize = Pango.EllipsizeMode.NONE;
  return widget;
}
