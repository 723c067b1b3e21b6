// The lasting-decision commands as an operator runs them: the built CLI against the hub and verdict helper
// processes (HubRig: private runtime, config and state dirs, the recording simulated shield). allow --for makes a
// grant that grants lists and revokes through the shield; a choice that needs confirmation is refused without a
// terminal and asked y/N on one (tmux); rules add/check/list, a broken rules file; log -n, --json and --follow; --help.
import {afterEach, beforeEach, describe, expect, test} from '@jest/globals';
import {mkdirSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import {EXIT} from '../../../service/exit-codes.js';
import {VarlinkClient} from '../../../service/varlink/client.js';
import {run, type Finished} from '../support/peers.js';
import {CLI, eventually, HubRig, pendingCount} from '../support/hub-rig.js';
import {TmuxPane} from '../terminal/support/tmux.js';
import {join} from 'node:path';

const C = 'abc123def456';

let rig: HubRig;
let rpc: VarlinkClient | null = null;

beforeEach(() => {
  rig = new HubRig();
});

afterEach(async () => {
  rpc?.close();
  rpc = null;
  await rig.close();
});

function cli(...args: string[]): Promise<Finished> {
  return run([process.execPath, CLI, ...args], {env: {...rig.env, NO_COLOR: '1'}, timeoutMs: 15_000});
}

function block(n: number, dest: string, domain: string, project = 'warp'): string {
  return JSON.stringify({type: 'pending', container: C, id: `${C}:${n}`, dest, port: 443, proto: 6, domain,
    dossier: {project, task: 't1', name: 'agent'}, ts: '2026-12-05T10:00:00.000001+00:00'});
}

async function started(): Promise<VarlinkClient> {
  await rig.startAll();
  rpc = await VarlinkClient.connect(rig.paths.hub);
  return rpc;
}

describe('allow|deny with a lasting option, and grants', () => {
  test('allow --for 1h makes a grant that grants lists with its time left; grants revoke runs the shield deny', async () => {
    const hub = await started();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await pendingCount(hub, 1);
    const allowed = await cli('allow', `${C}:1`, '--for', '1h');
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(EXIT.OK);
    const [applied, decided, ...rest] = allowed.stdout.trim().split('\n');
    expect(applied).toBe('Allowed: registry.example.net (warp/t1 · agent)');
    expect(decided).toMatch(new RegExp(`^Decided: allow registry\\.example\\.net for container ${C} until \\d\\d:\\d\\d:\\d\\d \\(grant g[0-9a-f]{10}, grant\\)$`));
    expect(rest).toEqual([]);
    const id = /grant (g[0-9a-f]{10})/.exec(decided!)![1]!;

    const listed = await cli('grants');
    expect(listed.code).toBe(EXIT.OK);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  (1 h|59 min) left  allow registry\\.example\\.net for container ${C}`));
    const json = JSON.parse((await cli('grants', '--json')).stdout) as {hubs: string[]; grant: {id: string}};
    expect([json.hubs, json.grant.id]).toEqual([[rig.paths.hub], id]);

    const revoked = await cli('grants', 'revoke', id);
    expect(revoked.code).toBe(EXIT.OK);
    expect(revoked.stdout).toContain(`  denied registry.example.net for ${C} (hub session)`);
    expect(rig.shieldCalls().at(-1)).toEqual(['deny', C, 'registry.example.net']);
    expect((await cli('grants')).stdout).toBe('No grants.\n');
    expect((await cli('grants', 'revoke', id)).code).toBe(EXIT.UNKNOWN_REQUEST);
  });

  test('--always --scope all --domain without --yes and without a terminal is refused; --yes applies it', async () => {
    const hub = await started();
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net'), block(2, '198.51.100.8', 'cdn.example.net')]);
    await pendingCount(hub, 2);
    const refused = await cli('allow', `${C}:1`, '--always', '--scope', 'all', '--domain');
    expect(refused.code).toBe(EXIT.FAILED);
    expect(refused.stderr).toContain('add --yes to confirm it');
    expect(rig.shieldCalls()).toEqual([]);
    await pendingCount(hub, 2); // still answerable

    const confirmed = await cli('allow', `${C}:1`, '--always', '--scope', 'all', '--domain', '--yes');
    expect(confirmed.code).toBe(EXIT.OK);
    expect(confirmed.stdout).toMatch(/Decided: allow \*\.example\.net for every container \(rule r[0-9a-f]{10}, rules\.yaml:\d+\)/);
    expect(confirmed.stdout).toContain(`Also answered: ${C}:2`);
    expect((await cli('allow', `${C}:2`, '--for', 'soon')).code).toBe(EXIT.USAGE);
    expect((await cli('deny', `${C}:2`, '--domain')).code).toBe(EXIT.USAGE);
  });
});

test('on a terminal the confirmation is asked y/N: n answers nothing, y applies it', async () => {
  const hub = await started();
  await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
  await pendingCount(hub, 1);
  const command = (n: number) => `'${process.execPath}' '${CLI}' deny ${C}:1 --always --scope all; echo "EXIT${n}=$?"`;
  const pane = await TmuxPane.start(join(rig.dir, 'tmux.sock'), `${command(1)}; ${command(2)}; sleep 60`, rig.env);
  try {
    await pane.waitForText('Denies it for every container, until the rule is removed. Apply? [y/N]');
    await pane.type('n');
    await pane.waitForText('EXIT1=1');
    expect(rig.shieldCalls()).toEqual([]);
    await pane.waitFor((s) => s.split('Apply? [y/N]').length === 3, 'the second question');
    await pane.type('y');
    const screen = await pane.waitForText('EXIT2=0');
    expect(screen).toMatch(/Decided: deny registry\.example\.net for every container \(rule r[0-9a-f]{10}/);
    expect(rig.shieldCalls()).toEqual([['deny', C, '198.51.100.7'], ['deny', C, 'registry.example.net']]);
  } finally {
    await pane.kill();
  }
});

test('--help for each command', async () => {
  for (const command of ['rules', 'grants', 'log', 'allow', 'deny']) {
    const help = await cli(command, '--help');
    expect([command, help.code, help.stdout.startsWith(`usage: terok-clearance ${command}`)]).toEqual([command, EXIT.OK, true]);
  }
  const top = await cli('--help');
  for (const command of ['rules', 'grants', 'log']) expect(top.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
});

describe('rules', () => {
  test('rules add answers the next block without a prompt; check explains; list shows file, line and provenance', async () => {
    const hub = await started();
    const added = await cli('rules', 'add', 'allow', '*.example.net', '--project', 'warp', '--port', '443', '--note', 'npm');
    expect(added.code).toBe(EXIT.OK);
    expect(added.stdout).toMatch(/^Added: allow \*\.example\.net:443 for project warp \(rule (r[0-9a-f]{10}), rules\.yaml:(\d+)\)\n$/);
    const [, id = '', line = ''] = /rule (r[0-9a-f]{10}), rules\.yaml:(\d+)/.exec(added.stdout) ?? [];
    expect(line).toBe('4'); // after the header comment a new file gets, the "rules:" key and the entry's first line
    // The hub reloads the file: the block is answered through the shield and never becomes a prompt.
    await eventually(async () => ((await hub.call('org.terok.Clearance1.Decisions')).rules as unknown[]).length === 1
      || undefined, 'the hub reloading the rules file');
    await rig.writeLines([block(1, '198.51.100.7', 'registry.example.net')]);
    await eventually(() => rig.shieldCalls().length > 1 || undefined, 'the rule answering the block');
    expect(rig.shieldCalls()).toEqual([['allow', C, '198.51.100.7'], ['allow', C, 'registry.example.net']]);
    expect((await hub.call('org.terok.Clearance1.Pending')).events).toEqual([]);

    const covered = await cli('rules', 'check', C, 'cdn.example.net', '--project', 'warp', '--port', '443');
    expect(covered.stdout).toBe(`cdn.example.net:443 from ${C}: allow at once, by allow *.example.net:443 for project warp (rule ${id}, rules.yaml:${line})\n`);
    const prompt = await cli('rules', 'check', C, '203.0.113.9', '--domain', 'cdn.example.net', '--project', 'other');
    expect(prompt.stdout).toBe(`cdn.example.net (203.0.113.9) from ${C}: prompt (no rule or grant covers it)\n`);

    const list = await cli('rules', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${id}  allow \\*\\.example\\.net:443 for project warp \\(rule ${id}, rules\\.yaml:${line}\\)  from \\S+Z, cli, uid \\d+  # npm\\n$`));
    expect((await cli('rules', 'remove', id)).stdout).toContain('Removed: allow *.example.net:443');
    expect((await cli('rules', 'list')).stdout).toBe(`No rules (${rig.rulesFile}).\n`);
    expect((await cli('rules', 'remove', id)).code).toBe(EXIT.UNKNOWN_REQUEST);
    expect((await cli('rules', 'add', 'allow', '*.com')).code).toBe(EXIT.USAGE);
  });

  test('a broken rules file is reported with line and reason and a nonzero exit', async () => {
    mkdirSync(dirname(rig.rulesFile), {recursive: true});
    writeFileSync(rig.rulesFile, '# mine\nrules:\n  - allow: a.example.net\n  - allow: b.example.net\n    prot: 443\n');
    const list = await cli('rules', 'list');
    expect(list.code).toBe(EXIT.FAILED);
    expect(list.stderr).toContain('  line 5: unknown key "prot"');
    const add = await cli('rules', 'add', 'deny', 'c.example.net');
    expect(add.code).toBe(EXIT.FAILED);
    expect(add.stderr).toContain('line 5: unknown key "prot"');
    expect((await cli('rules', 'check', C, 'a.example.net')).code).toBe(EXIT.FAILED);
  });
});

describe('log', () => {
  test('-n 2 --json gives the last two lines; --follow prints a new decision, also after a rotation', async () => {
    const hub = await started();
    await rig.writeLines([1, 2, 3, 4, 5].map((n) => block(n, `198.51.100.${n}`, `h${n}.example.net`)));
    await pendingCount(hub, 5);
    for (const n of [1, 2, 3]) expect((await cli(n === 2 ? 'deny' : 'allow', `${C}:${n}`)).code).toBe(EXIT.OK);
    const json = await cli('log', '-n', '2', '--json');
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as {request_id: string; action: string; ui: string});
    expect(lines.map((l) => [l.request_id, l.action, l.ui])).toEqual([[`${C}:2`, 'deny', ''], [`${C}:3`, 'allow', '']]);
    const human = await cli('log', '-n', '1');
    expect(human.stdout).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  operator \\(uid \\d+\\)  allow h3\\.example\\.net:443  warp/t1 · agent \\(${C}\\)  ok\\n$`));

    const follower = rig.start(['log', '-n', '0', '--follow']);
    let out = '';
    follower.child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => setTimeout(r, 500)); // the follower has taken its starting point
    expect((await cli('allow', `${C}:4`, '--for', '15m')).code).toBe(EXIT.OK);
    await eventually(() => (out.includes('h4.example.net') ? true : undefined), 'the followed decision');
    expect(out).toMatch(/operator \(cli, uid \d+\) {2}allow h4\.example\.net:443 \[15m g[0-9a-f]{10}\]/);
    // Rotated as the hub rotates it (the file renamed to .1, the next line in a new file): still followed.
    renameSync(rig.logFile, `${rig.logFile}.1`);
    expect((await cli('deny', `${C}:5`)).code).toBe(EXIT.OK);
    await eventually(() => (out.includes('h5.example.net') ? true : undefined), 'the decision after the rotation');
    expect(out.trim().split('\n')).toHaveLength(2);
    expect((await follower.stop()).code).toBe(EXIT.OK);
  });
});
