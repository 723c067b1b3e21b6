// What the e2e tests check about the extension as a whole: its state as gnome-extensions reports it, the files the
// zip installed, what a disabled extension left in the shell, and what it logged.
import {readFileSync} from 'node:fs';
import {UUID, type Shell} from '../harness.js';

/** The extension's state once it is `expected`, or whatever it is after 3 s (enabling reacts to GSettings). */
export async function extensionState(shell: Shell, expected: string): Promise<string> {
  let current = 'unknown';
  for (let i = 0; i < 30; i++) {
    current = /State: (\S+)/.exec(await shell.asTester(['gnome-extensions', 'info', UUID]))?.[1] ?? 'unknown';
    if (current === expected) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return current;
}

/** The files `gnome-extensions install` put in the user's extension directory, sorted. */
export async function installedFiles(shell: Shell): Promise<string[]> {
  const found = await shell.asTester(['find', `/home/tester/.local/share/gnome-shell/extensions/${UUID}`,
    '-type', 'f', '-printf', '%P\\n']);
  return found.split('\n').filter(Boolean).sort();
}

export const INSTALLED_FILES = ['extension.js', 'metadata.json', 'prefs.js', 'schemas/gschemas.compiled',
  'schemas/org.gnome.shell.extensions.terok-clearance.gschema.xml', 'stylesheet.css'];

/**
 * What the extension left in the shell: every actor on the stage that looks like ours (name, accessible name or
 * label text), the queue shortcut still allowed in some mode (removeKeybinding leaves the name in no mode), and
 * a modal grab still held. Empty once disable() has undone everything.
 */
export function leftovers(shell: Shell): Promise<string[]> {
  return shell.eval<string[]>(`
    const found = [];
    const {St} = imports.gi;
    const walk = (actor) => {
      const text = actor instanceof St.Label ? actor.text : '';
      const name = actor.name ?? '', accessible = actor.accessible_name ?? '';
      if ([name, accessible, text].some((s) => /clearance/i.test(s) || s.startsWith('Blocked')))
        found.push(actor.toString() + ' ' + text);
      for (const child of actor.get_children()) walk(child);
    };
    walk(global.stage);
    if ((Main.wm._allowedKeybindings['queue-shortcut'] ?? 0) !== 0) found.push('keybinding queue-shortcut');
    if (Main.modalCount !== 0) found.push('modal grabs: ' + Main.modalCount);
    return found;`);
}

// A line that continues the log entry above it: a stack trace's header or frames (GJS prints `func@file:///…:l:c`).
const STACK_LINE = /^(#\d+\s|== Stack trace|\S*@(file|resource):\/\/)/;

/**
 * The entries of a shell log (a message with the stack trace that follows it) that are errors, warnings or criticals
 * and name the extension anywhere: in the message, or in a stack frame, as an exception thrown through its code.
 */
export function extensionLogProblems(log: string): string[] {
  const entries: string[][] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const entry = entries.at(-1);
    if (entry && STACK_LINE.test(line)) entry.push(line);
    else entries.push([line]);
  }
  return entries.filter(([message, ...stack]) => /error|warning|critical/i.test(message!)
    && [message, ...stack].some((line) => /terok|clearance/i.test(line!))).map((entry) => entry.join('\n'));
}
