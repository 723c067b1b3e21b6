// What the e2e tests read back from the shell: the extension's actors by name, their label texts, the indicator and
// its menu. Each helper evaluates a small body in the shell through the harness.
import {UUID, type Shell} from '../harness.js';

export const INDICATOR = `Main.panel.statusArea[${JSON.stringify(UUID)}]`;

/** Defines `find(name)` (the first actor of that name on the stage, depth first) and `texts(actor)`. */
export const FIND = `
  const {St} = imports.gi;
  const find = (name, from = global.stage) => {
    if (from.name === name) return from;
    for (const child of from.get_children()) {
      const found = find(name, child);
      if (found) return found;
    }
    return null;
  };
  const texts = (actor) => !actor ? [] : actor instanceof St.Label ? [actor.text]
    : actor instanceof St.Button && actor.label ? [actor.label]
    : actor.get_children().flatMap((child) => child.visible ? texts(child) : []);
`;

/** An expression for the first actor on the stage named `name`, for `shell.clickActor`. */
export function actorNamed(name: string): string {
  return `(() => { ${FIND} return find(${JSON.stringify(name)}); })()`;
}

export interface BannerState {
  visible: boolean;
  /** Label texts of the prompt card, in order (buttons included). */
  prompt: string[] | null;
  result: string[] | null;
  /** Whether Allow/Deny take clicks (armed and no verdict in flight). */
  armed: boolean | null;
  /** Every text of the banner (alert and lifecycle cards too). */
  all: string[];
}

export function banner(shell: Shell): Promise<BannerState> {
  return shell.eval<BannerState>(`${FIND}
    const banner = find('terok-clearance-banner');
    const prompt = find('terok-clearance-prompt'), result = find('terok-clearance-result');
    const allow = find('terok-clearance-allow');
    return {
      visible: Boolean(banner?.visible && banner.mapped),
      prompt: prompt ? texts(prompt) : null,
      result: result ? texts(result) : null,
      armed: allow ? allow.reactive : null,
      all: banner?.visible ? texts(banner) : [],
    };`);
}

export interface IndicatorState {
  count: string | null;
  accessibleName: string;
  icon: string;
  styles: string;
}

export function indicator(shell: Shell): Promise<IndicatorState> {
  return shell.eval<IndicatorState>(`${FIND}
    const button = ${INDICATOR};
    const count = find('terok-clearance-count', button);
    const icon = button.get_children()[0].get_children()[0];
    return {count: count.visible ? count.text : null, accessibleName: button.accessible_name,
      icon: icon.icon_name, styles: button.get_style_class_name() ?? ''};`);
}

/** The menu's items as lists of texts (a separator is []), in order. */
export function menu(shell: Shell): Promise<string[][]> {
  return shell.eval<string[][]>(`${FIND}
    const items = [];
    const walk = (item) => {
      if (item._getMenuItems) for (const child of item._getMenuItems()) walk(child);
      else items.push(texts(item));
    };
    walk(${INDICATOR}.menu);
    return items;`);
}

/** Polls `probe` until `accept` holds for its value; fails with the last value seen. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean,
  ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!accept(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}
