// GJS side of the gjs test runner: runs named async cases one after another on a GLib main loop and prints one
// JSON line per case ({name, ok, value} or {name, ok: false, error}); run-gjs.ts on the Node side reads them.
// A case returns what the jest test asserts on; expected failures are caught in the case and described.
import GLib from 'gi://GLib';

const CASE_TIMEOUT_MS = 10_000;

export type Cases = Record<string, () => Promise<unknown>>;

/** The JSON plan the jest side passes in TEROK_GJS_PLAN (socket paths and the like). */
export function plan<T>(): T {
  return JSON.parse(GLib.getenv('TEROK_GJS_PLAN') ?? '{}') as T;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
    resolve();
    return GLib.SOURCE_REMOVE;
  }));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let id = 0;
  const timeout = new Promise<never>((_, reject) => {
    id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
      id = 0;
      reject(new Error(`case timed out after ${ms} ms`));
      return GLib.SOURCE_REMOVE;
    });
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (id) GLib.Source.remove(id);
  });
}

/** Runs `cases` (filtered by TEROK_GJS_ONLY / TEROK_GJS_EXCEPT) and returns when all have reported. */
export function runCases(cases: Cases): void {
  const only = GLib.getenv('TEROK_GJS_ONLY')?.split('\n');
  const except = GLib.getenv('TEROK_GJS_EXCEPT')?.split('\n') ?? [];
  const loop = new GLib.MainLoop(null, false);
  void (async () => {
    for (const [name, run] of Object.entries(cases)) {
      if ((only && !only.includes(name)) || except.includes(name)) continue;
      try {
        const value = await withTimeout(run(), CASE_TIMEOUT_MS);
        print(JSON.stringify({name, ok: true, value: value ?? null}));
      } catch (e) {
        print(JSON.stringify({name, ok: false, error: `${e}\n${(e as Error)?.stack ?? ''}`}));
      }
    }
    loop.quit();
  })();
  loop.run();
}
