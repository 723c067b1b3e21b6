// What a varlink server serves, as it describes itself (GetInfo + GetInterfaceDescription), and the check that
// systemd's IDL parser (`varlinkctl validate-idl`) accepts each description. Reusable for every server we run.
import {VarlinkClient} from '../../../service/varlink/client.js';
import {validateIdl} from './peers.js';

/** interface name → description text, in GetInfo's order. */
export async function describeServed(socketPath: string): Promise<Map<string, string>> {
  const client = await VarlinkClient.connect(socketPath, {timeoutMs: 5000});
  try {
    const {interfaces} = await client.call('org.varlink.service.GetInfo');
    const described = new Map<string, string>();
    for (const name of interfaces as string[]) {
      const {description} = await client.call('org.varlink.service.GetInterfaceDescription', {interface: name});
      described.set(name, description as string);
    }
    return described;
  } finally {
    client.close();
  }
}

export interface IdlCheck {
  interface: string;
  ok: boolean;
  output: string;
}

/** `varlinkctl validate-idl` on every interface served on `socketPath` except those named in `except`. */
export async function validateServedIdls(socketPath: string, except: string[] = []): Promise<IdlCheck[]> {
  const checks: IdlCheck[] = [];
  for (const [name, description] of await describeServed(socketPath)) {
    if (except.includes(name)) continue;
    const result = await validateIdl(description);
    checks.push({interface: name, ok: result.code === 0, output: `${result.stdout}${result.stderr}`});
  }
  return checks;
}
