// The extension's client names containers the way the extension runs it, under real gjs: no podman of its own, the
// hub asked (ContainerIdentity), the hub asking its verdict helper, the helper asking the real podman. The jest side
// runs the hub and the helper as real processes and has left one block waiting; gjs writes another into the hub's
// reader socket as terok-shield's reader would.
import Gio from 'gi://Gio';
import type {PromptChange} from '../../core/clearance/prompts.js';
import {createClearanceClient} from '../../extension/hub/clearance-client.js';
import {Lifetime} from '../../extension/lifetime.js';
import {delay, plan, runCases} from './cases.gjs.js';
import type {Plan} from './identity.plan.js';

const {runtime, schemas, task, standalone} = plan<Plan>();

async function until(what: string, condition: () => boolean, ms = 8000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

function settings(): Gio.Settings {
  const source = Gio.SettingsSchemaSource.new_from_directory(schemas, null, false);
  const schema = source.lookup('org.gnome.shell.extensions.terok-clearance', false);
  if (!schema) throw new Error(`no schema in ${schemas}`);
  return new Gio.Settings({settings_schema: schema, backend: Gio.memory_settings_backend_new()});
}

/** One reader line (wire.md §4) without a dossier, written into the hub's reader socket. */
function readerBlock(container: string): void {
  const line = JSON.stringify({type: 'pending', container, id: `${container}:live`, dest: '198.51.100.7', port: '443',
    proto: 6, domain: 'live.example', ts: '2026-11-23T08:00:00.000001+00:00'});
  const connection = new Gio.SocketClient().connect(new Gio.UnixSocketAddress({path: `${runtime}/terok-shield-events.sock`}), null);
  connection.get_output_stream().write_all(new TextEncoder().encode(`${line}\n`), null);
  connection.close(null);
}

runCases({
  async 'blocks without a dossier show the id at once, then the name the hub found out'() {
    const lifetime = new Lifetime();
    const changes: PromptChange[] = [];
    const client = createClearanceClient(lifetime, settings(), {
      changes: (c) => changes.push(...c), hub: () => {}, event: () => {},
    });
    client.start();
    const identityOf = (container: string) => client.model.prompts().find((p) => p.container === container)?.identity;
    // The waiting block comes with the catch-up: the prompt is shown before any name is known, then updated.
    await until('the task named', () => identityOf(task) !== undefined && identityOf(task) !== task);
    const shown = changes.filter((c) => c.kind === 'added' || c.kind === 'updated')
      .map((c) => `${c.kind}:${c.prompt.identity}`);
    readerBlock(standalone);
    await until('the live prompt', () => identityOf(standalone) !== undefined);
    await until('the standalone container named', () => identityOf(standalone) !== standalone);
    const hub = client.hubs.hubs()[0]!;
    const named = {shown, task: identityOf(task), standalone: identityOf(standalone),
      capability: hub.capabilities.containerIdentity, menuIdentity: client.model.identityOf(task)};
    lifetime.end();
    return named;
  },
});
