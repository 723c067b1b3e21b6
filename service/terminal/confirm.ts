// One y/N question on the terminal, for a choice that needs an explicit confirmation (a whole domain, "always" for
// every container). Anything but y or yes is no, and so is end of input.
import {createInterface} from 'node:readline';

export function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true});
  return new Promise((resolve) => {
    let answered = false;
    rl.question(question, (reply) => {
      answered = true;
      rl.close();
      resolve(/^(y|yes)$/i.test(reply.trim()));
    });
    rl.on('close', () => {
      if (!answered) resolve(false);
    });
  });
}
