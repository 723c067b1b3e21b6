// Node side of the gjs test runner: bundles a *.gjs.ts entry with esbuild (core/ and extension/ modules resolved,
// gi:// left to gjs), runs it under the host's real gjs, and returns each case's result by name.
import {spawn} from 'node:child_process';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {build} from 'esbuild';

export interface CaseResult {
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface RunOptions {
  /** JSON-serialisable input for the cases, read there with plan(). */
  plan?: unknown;
  /** Only these cases. */
  only?: string[];
  /** All cases but these. */
  except?: string[];
  /** Run gjs as this uid/gid (needs root). */
  uid?: number;
  /** More environment for gjs (XDG_RUNTIME_DIR and the like). */
  env?: Record<string, string>;
}

/** The host's gjs is 1.74 (SpiderMonkey 102): the bundle must not need anything newer. */
const GJS_TARGET = 'firefox102';

export async function runGjs(entry: string, options: RunOptions = {}): Promise<Record<string, CaseResult>> {
  const dir = mkdtempSync(join(tmpdir(), 'gjs-test-'));
  try {
    chmodSync(dir, 0o755); // readable by a foreign uid too
    const bundled = await build({
      entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', target: GJS_TARGET,
      external: ['gi://*'], write: false, logLevel: 'warning',
    });
    const file = join(dir, 'main.js');
    writeFileSync(file, bundled.outputFiles[0]!.contents, {mode: 0o644});

    const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, LANG: 'C.UTF-8', ...options.env,
      TEROK_GJS_PLAN: JSON.stringify(options.plan ?? {})};
    if (options.only) env.TEROK_GJS_ONLY = options.only.join('\n');
    if (options.except) env.TEROK_GJS_EXCEPT = options.except.join('\n');
    const child = spawn('gjs', ['-m', file], {
      env, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/',
      ...(options.uid === undefined ? {} : {uid: options.uid, gid: options.uid}),
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`gjs exited with ${code}\n${stderr}`);

    const results: Record<string, CaseResult> = {};
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const {name, ...result} = JSON.parse(line) as CaseResult & {name: string};
      results[name] = result;
    }
    return results;
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

/** The value a case returned; fails the jest test with the case's error if it threw. */
export function valueOf(results: Record<string, CaseResult>, name: string): unknown {
  const result = results[name];
  if (!result) throw new Error(`gjs case "${name}" did not report`);
  if (!result.ok) throw new Error(`gjs case "${name}" failed: ${result.error}`);
  return result.value;
}
