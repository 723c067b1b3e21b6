// The verdict helper (wire.md §3): org.terok.ClearanceVerdict1 on a varlink server, one shield run per Apply.
// It is dumb on purpose — the hub did the matching — but it still refuses what can never be a valid apply, and
// it answers every Apply with {ok, stderr}, so no failure of ours reaches the hub as anything but "not applied".
// It also names containers for the hub (Identify): it runs the user's tools with the user's privileges, the
// locked-down hub cannot run podman.
import {isVerdictAction} from '../../core/clearance/verdict.js';
import {identityResolverFromEnv} from '../identity/identity-config.js';
import type {IdentityResolver} from '../identity/identity-resolver.js';
import {logger, type Logger} from '../log.js';
import {VarlinkServer, type ListenTarget} from '../varlink/server.js';
import {URL, VENDOR, VERSION} from '../version.js';
import {DEFAULT_SHIELD_COMMAND, runShield, SHIELD_TIMEOUT_MS, type ShieldCommand, type ShieldResult} from './shield-exec.js';
import {VERDICT_IDL} from './verdict-idl.js';

export interface VerdictServiceOptions {
  /** An explicit path to terok-shield, or a stand-in's argv prefix; default `terok-shield` on PATH. */
  shieldCommand?: ShieldCommand;
  timeoutMs?: number;
  /** Who containers are (Identify); default: podman when on PATH or named by TEROK_CLEARANCE_PODMAN. */
  identity?: IdentityResolver;
  log?: Logger;
}

/** Why a request cannot be an apply, or null. */
export function refusalOf(container: string, dest: string, action: string): string | null {
  if (!isVerdictAction(action)) return `invalid action ${JSON.stringify(action)}: expected allow or deny`;
  for (const [name, value] of [['container', container], ['dest', dest]] as const) {
    if (value === '') return `${name} is empty`;
    if (value.startsWith('-')) return `${name} ${JSON.stringify(value)} starts with "-"; terok-shield would read it as an option`;
  }
  return null;
}

export function serveVerdicts(server: VarlinkServer, options: VerdictServiceOptions = {}): void {
  const shield = options.shieldCommand ?? DEFAULT_SHIELD_COMMAND;
  const shieldName = typeof shield === 'string' ? shield : shield.join(' ');
  const timeoutMs = options.timeoutMs ?? SHIELD_TIMEOUT_MS;
  const log = options.log ?? logger('verdict');
  const identity = options.identity ?? identityResolverFromEnv();
  server.addInterface(VERDICT_IDL, {
    // Parameters are checked against the IDL before this runs: all three are strings.
    Apply: async ({parameters: p}): Promise<{ok: boolean; stderr: string}> => {
      const [container, dest, action] = [p.container, p.dest, p.action] as [string, string, string];
      // JSON-quoted in logs: these come from a socket, and the journal should see control characters escaped.
      const what = `${JSON.stringify(action)} ${JSON.stringify(dest)} for ${JSON.stringify(container)}`;
      const refusal = refusalOf(container, dest, action);
      if (refusal) {
        log.warning(`refused ${what}: ${refusal}`);
        return {ok: false, stderr: refusal};
      }
      let result: ShieldResult;
      try {
        result = await runShield(shield, action, container, dest, timeoutMs);
      } catch (e) {
        // runShield does not reject; this keeps the contract (never an error reply) even if that ever changes.
        result = {ok: false, stderr: `internal verdict helper error: ${(e as Error).message}`};
      }
      if (result.ok) log.info(`applied ${what}`);
      else log.warning(`${shieldName} failed to apply ${what}: ${result.stderr}`);
      return result;
    },
    // The inspector refuses anything but a container name or id (so nothing reaches podman's argv as an option).
    Identify: async ({parameters: p}): Promise<{dossier: Readonly<Record<string, string>>}> => {
      const container = p.container as string;
      try {
        const {dossier, problems} = await identity.describe(container);
        for (const problem of problems) log.debug(`identity of ${JSON.stringify(container)}: ${problem}`);
        return {dossier};
      } catch (e) {
        // describe() does not reject; this keeps "never an error reply" even if that ever changes.
        log.warning(`identity of ${JSON.stringify(container)}: ${(e as Error).message}`);
        return {dossier: {}};
      }
    },
  });
}

export interface RunningVerdictService {
  readonly server: VarlinkServer;
  close(): Promise<void>;
}

/** A verdict helper listening on `target` (a path, bound per wire.md §5, or an inherited fd). */
export async function startVerdictService(target: ListenTarget, options: VerdictServiceOptions = {}): Promise<RunningVerdictService> {
  const server = new VarlinkServer({vendor: VENDOR, product: 'terok-clearance verdict helper', version: VERSION, url: URL});
  serveVerdicts(server, options);
  await server.listen(target);
  return {server, close: () => server.close()};
}
