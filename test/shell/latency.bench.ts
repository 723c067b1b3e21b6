// `npm run bench:shell`: latency of the GNOME Shell prompt, measured in the real headless shell of the e2e harness
// against the real hub, verdict helper and shield stand-in (test/shell/support/clearance-services.ts). Not a test:
// it prints figures, nothing fails on a slow one.
//
// How it is measured (host and shell share CLOCK_REALTIME, so timestamps from both sides compare directly):
// - reader line → prompt visible: the reader process notes the time just before it writes the `pending` line into
//   the hub's reader socket; inside the shell a handler on the stage's after-paint signal (installed by Eval for the
//   bench, not part of the extension) notes the first frame painted with the prompt card showing that block's
//   title. Baseline: a label changed from Eval → the next frame painted with it (the shell's own change-to-screen).
// - click → shield invoked: the virtual pointer's button press and release are sent from Eval right after noting
//   the time; the shield stand-in notes the time as its first action. Baseline: the Eval round trip itself
//   (gdbus through nsenter and chroot, what every poll of the e2e tests costs).
// Each block has its own domain, so each prompt is new; it is written once the previous verdict's result shows, so
// the new prompt replaces that result at once (the banner never swaps a prompt under the pointer).
import {table, type Figure} from '../../bench/report.js';
import {INPUT, startShell, UUID, type Shell} from './harness.js';
import {pendingLine, startServices, type Services} from './support/clearance-services.js';
import {banner, indicator, waitFor} from './support/shell-probes.js';

const BLOCKS = 60;
const WARMUP = 5;
const BASELINE_SAMPLES = 60;
const CONTAINER = 'abcdef012345';

const HOOK = `
  const {GLib, St} = imports.gi;
  const child = (actor, name) => {
    if (actor.name === name) return actor;
    for (const c of actor.get_children()) { const f = child(c, name); if (f) return f; }
    return null;
  };
  const firstLabel = (actor) => actor instanceof St.Label ? actor
    : actor.get_children().map(firstLabel).find(Boolean) ?? null;
  const bench = globalThis.__terokBench = {shown: [], last: ''};
  bench.hook = global.stage.connect('after-paint', () => {
    const banner = Main.layoutManager.uiGroup.get_children().find((a) => a.name === 'terok-clearance-banner');
    const prompt = banner?.mapped ? child(banner, 'terok-clearance-prompt') : null;
    const title = prompt?.mapped ? firstLabel(prompt)?.text ?? '' : '';
    if (title && title !== bench.last) bench.shown.push([title, GLib.get_real_time() / 1000]);
    bench.last = title;
  });`;

const PAINT_PROBE = `
  const {GLib, St} = imports.gi;
  globalThis.__terokProbe ??= (() => {
    const label = new St.Label({text: '0', x: 4, y: 200});
    Main.layoutManager.uiGroup.add_child(label);
    return label;
  })();
  const label = globalThis.__terokProbe;
  const painted = new Promise((resolve) => {
    const id = global.stage.connect('after-paint', () => {
      global.stage.disconnect(id);
      resolve(GLib.get_real_time());
    });
  });
  const changed = GLib.get_real_time();
  label.text = String(Number(label.text) + 1);
  return (await painted - changed) / 1000;`;

const CLICK_ALLOW = `${INPUT}
  const {GLib} = imports.gi;
  const find = (actor, name) => {
    if (actor.name === name) return actor;
    for (const c of actor.get_children()) { const f = find(c, name); if (f) return f; }
    return null;
  };
  const allow = find(global.stage, 'terok-clearance-allow');
  if (!allow?.reactive) return null;
  const [x, y] = allow.get_transformed_position(), [w, h] = allow.get_transformed_size();
  pointer.notify_absolute_motion(Clutter.CURRENT_TIME, x + w / 2, y + h / 2);
  await pause(30);
  const at = GLib.get_real_time() / 1000;
  pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.PRESSED);
  pointer.notify_button(Clutter.CURRENT_TIME, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.RELEASED);
  return at;`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? NaN;
}

function figures(name: string, values: number[], baseline: number[], baselineName: string): Figure[] {
  return [50, 99].map((p) => ({name: `${name} p${p}`, unit: 'ms', value: percentile(values, p),
    baseline: percentile(baseline, p), baselineName}));
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function measure(shell: Shell, services: Services): Promise<Figure[]> {
  await shell.asTester(['gsettings', '--schemadir', `/home/tester/.local/share/gnome-shell/extensions/${UUID}/schemas`,
    'set', 'org.gnome.shell.extensions.terok-clearance', 'arm-delay-ms', '0']);
  await waitFor('connected', () => indicator(shell), (s) => s.accessibleName === 'Terok Clearance: No requests waiting');
  await shell.eval(HOOK);

  const visible: number[] = [];
  const clicks: number[] = [];
  for (let i = 1; i <= WARMUP + BLOCKS; i++) {
    const domain = `bench-${i}.example`;
    const written = await services.write([pendingLine(CONTAINER, i, {domain})]);
    const title = `Blocked: ${domain}:443`;
    const shownAt = await until(`prompt ${i}`, async () => {
      const shown = await shell.eval<[string, number][]>('return globalThis.__terokBench.shown;');
      return shown.find(([t]) => t === title)?.[1];
    });
    const clickedAt = await until(`Allow ${i} armed`, () => shell.eval<number | null>(CLICK_ALLOW).then((t) => t ?? undefined));
    const invokedAt = await until(`shield ${i}`, () =>
      services.invocations().find((inv) => inv.argv.join(' ') === `allow ${CONTAINER} ${domain}`)?.at);
    // The verdict completes (the result replaces the prompt), so the next block is a new prompt shown at once.
    await waitFor(`result ${i}`, () => banner(shell), (b) => b.result?.[0] === `Allowed: ${domain}`);
    if (i > WARMUP) {
      visible.push(shownAt - written);
      clicks.push(invokedAt - clickedAt);
    }
    process.stderr.write(`\rblock ${i}/${WARMUP + BLOCKS}`);
  }
  process.stderr.write('\n');

  const paint: number[] = [];
  const evalRoundTrip: number[] = [];
  for (let i = 0; i < BASELINE_SAMPLES; i++) {
    paint.push(await shell.eval<number>(PAINT_PROBE));
    const start = performance.now();
    await shell.eval('return 0;');
    evalRoundTrip.push(performance.now() - start);
  }
  await shell.eval(`global.stage.disconnect(globalThis.__terokBench.hook); globalThis.__terokProbe?.destroy();`);

  return [
    ...figures(`reader line → prompt visible (${BLOCKS} blocks)`, visible, paint, 'label change → painted, in the shell'),
    ...figures(`click Allow → shield invoked (${BLOCKS} clicks)`, clicks, evalRoundTrip, 'Eval round trip'),
  ];
}

process.stderr.write('starting the shell and the services…\n');
const shell = await startShell('bench-shell');
let services: Services | undefined;
try {
  services = await startServices(shell);
  const rows = await measure(shell, services);
  process.stdout.write(`${table(rows.map((figure) => ({bench: 'shell', figure})))}\n`);
} finally {
  await services?.stop();
  await shell.stop();
}
