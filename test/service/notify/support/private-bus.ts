// A private session bus for one test file: Debian's dbus-daemon, started and stopped by the test.
import {spawn} from 'node:child_process';
import {createInterface} from 'node:readline';

export interface PrivateBus {
  readonly address: string;
  /** Kills the daemon: every connection on it ends. */
  stop(): Promise<void>;
}

export async function startPrivateBus(): Promise<PrivateBus> {
  const child = spawn('dbus-daemon', ['--session', '--print-address', '--nofork', '--nopidfile'],
    {stdio: ['ignore', 'pipe', 'pipe']});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({input: child.stdout!});
    lines.once('line', (line) => resolve(line.trim()));
    child.once('error', reject);
    void exited.then(() => reject(new Error(`dbus-daemon exited: ${stderr}`)));
  });
  return {
    address,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
