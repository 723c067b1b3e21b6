// The real podman (Debian's package, installed by `npm run provision`) on private storage: a `podman` wrapper in a
// temporary bin directory adds --root/--runroot under that directory, so tests never see or touch the machine's
// containers. Containers are created from an empty rootfs and never started: no image, no network. Each run of the
// wrapper is counted in a log, so tests can see caching and coalescing.
import {execFile} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';

const exec = promisify(execFile);
const REAL_PODMAN = '/usr/bin/podman';

export class PrivatePodman {
  /** The wrapper: runs the real podman on this instance's storage. */
  readonly command: string;
  readonly binDir: string;
  readonly #runs: string;

  private constructor(readonly dir: string) {
    if (!existsSync(REAL_PODMAN)) throw new Error(`podman is missing (${REAL_PODMAN}): run \`npm run provision\` (as root)`);
    this.binDir = join(dir, 'bin');
    mkdirSync(this.binDir);
    mkdirSync(join(dir, 'rootfs'));
    this.#runs = join(dir, 'runs.log');
    writeFileSync(this.#runs, '');
    this.command = join(this.binDir, 'podman');
    writeFileSync(this.command, [
      '#!/bin/sh',
      `printf '%s\\n' "$*" >> '${this.#runs}'`,
      `exec ${REAL_PODMAN} --root '${dir}/graph' --runroot '${dir}/run' --storage-driver vfs "$@"`,
      '',
    ].join('\n'));
    chmodSync(this.command, 0o755);
  }

  static create(): PrivatePodman {
    return new PrivatePodman(mkdtempSync(join(tmpdir(), 'podman-')));
  }

  /** Creates (does not start) a container; its full id. */
  async createContainer(name: string, annotations: Record<string, string> = {}): Promise<string> {
    const args = ['create', '--name', name];
    for (const [key, value] of Object.entries(annotations)) args.push('--annotation', `${key}=${value}`);
    // --rootfs makes the first positional a root directory; everything after it is the container's command.
    const {stdout} = await exec(this.command, [...args, '--rootfs', join(this.dir, 'rootfs'), '/bin/true']);
    return stdout.trim();
  }

  async remove(id: string): Promise<void> {
    await exec(this.command, ['rm', '--force', '--', id]);
  }

  /** The `inspect` runs so far. */
  inspectRuns(): string[] {
    return readFileSync(this.#runs, 'utf8').split('\n').filter((l) => l.startsWith('inspect '));
  }

  async close(): Promise<void> {
    await exec(this.command, ['rm', '--all', '--force']).catch(() => undefined);
    rmSync(this.dir, {recursive: true, force: true});
  }
}
