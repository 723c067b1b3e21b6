// A real pseudo-terminal for the terminal client: a private tmux server (its own socket, nothing shared with a
// user's tmux) running one command in a fixed-size pane; the test types into it and reads back what is on screen.
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';

const exec = promisify(execFile);

export class TmuxPane {
  private constructor(private readonly socket: string, private readonly env: NodeJS.ProcessEnv) {}

  /** Starts `command` (a shell command line) in a width x height pane; `env` is the environment it runs in. */
  static async start(socket: string, command: string, env: NodeJS.ProcessEnv, width = 120, height = 40): Promise<TmuxPane> {
    const pane = new TmuxPane(socket, env);
    await pane.tmux('new-session', '-d', '-x', String(width), '-y', String(height), '-s', 'w', command);
    return pane;
  }

  async tmux(...args: string[]): Promise<string> {
    const {stdout} = await exec('tmux', ['-S', this.socket, ...args], {env: this.env});
    return stdout;
  }

  /** The whole pane history as text, wrapped lines joined; with `escapes`, colours as escape sequences. */
  capture(escapes = false): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', ...(escapes ? ['-e'] : []), '-t', 'w');
  }

  /** Types `text` literally, then Enter. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', 'w', '-l', text);
    await this.tmux('send-keys', '-t', 'w', 'Enter');
  }

  async waitFor(cond: (screen: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      if (cond(screen)) return screen;
      if (Date.now() > end) throw new Error(`${what}: not on screen after ${timeoutMs} ms; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  waitForText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitFor((s) => s.includes(text), JSON.stringify(text), timeoutMs);
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}
