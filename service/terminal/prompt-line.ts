// The operator's command line for the interactive terminal commands (watch, simple): output printed above the
// prompt, which is then redrawn with what the operator had typed so far; input lines, end of input, Ctrl-C; and a
// terminal or reader that goes away (EIO, EPIPE) ends it quietly instead of crashing.
import {clearLine, createInterface, cursorTo, type Interface} from 'node:readline';

export interface PromptLineEvents {
  line(text: string): void;
  /** End of input, Ctrl-C, or the terminal lost. */
  end(): void;
}

export class PromptLine {
  readonly #rl: Interface;
  readonly #out = process.stdout;
  readonly #tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  #inputOpen = true;
  #outputOpen = true;

  constructor(prompt: string, events: PromptLineEvents) {
    this.#rl = createInterface({input: process.stdin, output: this.#out, terminal: this.#tty, prompt});
    this.#rl.on('line', (line) => events.line(line));
    this.#rl.on('close', () => {
      this.#inputOpen = false;
      events.end();
    });
    this.#rl.on('SIGINT', () => events.end()); // Ctrl-C while readline owns the terminal
    const lost = () => {
      this.#inputOpen = false;
      this.#outputOpen = false;
      events.end();
    };
    this.#rl.on('error', lost);
    this.#out.on('error', lost);
  }

  print(lines: string[]): void {
    if (lines.length === 0 || !this.#outputOpen) return;
    if (this.#tty) {
      cursorTo(this.#out, 0);
      clearLine(this.#out, 0);
    }
    this.#out.write(lines.join('\n') + '\n');
    // Never redrawn after input ended: that would resume stdin.
    if (this.#tty && this.#inputOpen) this.#rl.prompt(true);
  }

  close(): void {
    this.#rl.close();
  }
}
