// Colour for the terminal client: ANSI SGR only when stdout is a terminal and NO_COLOR is unset (no-color.org).
// Callers paint text that is already escaped (escapeTerminal), so the only escape sequences on screen are ours.

export interface Paint {
  allowed(text: string): string;
  denied(text: string): string;
  failed(text: string): string;
  alert(text: string): string;
  strong(text: string): string;
  dim(text: string): string;
}

const sgr = (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;

const ANSI: Paint = {
  allowed: sgr('32'),
  denied: sgr('33'),
  failed: sgr('31'),
  alert: sgr('1;31'),
  strong: sgr('1'),
  dim: sgr('2'),
};

const same = (text: string) => text;
const PLAIN: Paint = {allowed: same, denied: same, failed: same, alert: same, strong: same, dim: same};

export function paintFor(out: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): Paint {
  return out.isTTY === true && !env.NO_COLOR ? ANSI : PLAIN;
}
