// The org.varlink.certification client: Start → Test01 … Test09 → Test10 (more) → Test11 (oneway) → End, each
// call carrying the previous reply back, as the reference clients do. Every reply is type-checked against the
// interface and compared with the reference values, except Test09's, whose nested map the reference servers
// spell differently (Go capitalises two keys) — it is only type-checked, then sent back unchanged.
import type {VarlinkClient} from '../client.js';
import {parseInterface} from '../../../core/varlink/idl.js';
import type {InterfaceDef} from '../../../core/varlink/idl.js';
import {checkFields} from '../../../core/varlink/typecheck.js';
import type {JsonObject} from '../../../core/varlink/message.js';
import {CERTIFICATION_IDL, CERTIFICATION_INTERFACE} from './interface.js';
import {MORE_REPLIES, replyTo, sameJson} from './expected.js';
import type {SingleReplyStep, Step} from './expected.js';

export class CertificationFailure extends Error {
  constructor(readonly step: Step, detail: string) {
    super(`${step}: ${detail}`);
    this.name = 'CertificationFailure';
  }
}

/** Receives each reply as it arrives (Test10: each streamed reply; Test11: none). */
export type StepListener = (step: Step, reply: JsonObject) => void;

class Run {
  private readonly iface: InterfaceDef = parseInterface(CERTIFICATION_IDL);

  constructor(private readonly client: VarlinkClient, private readonly listener: StepListener) {}

  private method(step: Step): string {
    return `${CERTIFICATION_INTERFACE}.${step}`;
  }

  /** Type-checks a reply of `step` and hands it to the listener. */
  private accept(step: Step, reply: JsonObject): JsonObject {
    const output = this.iface.methods.get(step)?.output ?? [];
    const offending = checkFields(output, reply, this.iface);
    if (offending !== null) {
      throw new CertificationFailure(step, `reply ${JSON.stringify(reply)} does not match the interface at "${offending}"`);
    }
    this.listener(step, reply);
    return reply;
  }

  private expect(step: SingleReplyStep, reply: JsonObject): JsonObject {
    const wants = replyTo(step);
    if (!sameJson(wants, reply)) {
      throw new CertificationFailure(step, `reply ${JSON.stringify(reply)}, expected ${JSON.stringify(wants)}`);
    }
    return reply;
  }

  private async call(step: Step, parameters: JsonObject): Promise<JsonObject> {
    try {
      return this.accept(step, await this.client.call(this.method(step), parameters));
    } catch (e) {
      throw e instanceof CertificationFailure ? e : new CertificationFailure(step, (e as Error).message);
    }
  }

  private async streamTest10(parameters: JsonObject): Promise<string[]> {
    const strings: string[] = [];
    try {
      for await (const reply of this.client.stream(this.method('Test10'), parameters)) {
        const string = this.accept('Test10', reply).string as string;
        if (string !== MORE_REPLIES[strings.length]) {
          throw new CertificationFailure('Test10', `reply ${strings.length + 1} is ${JSON.stringify(string)}, expected ${JSON.stringify(MORE_REPLIES[strings.length])}`);
        }
        strings.push(string);
      }
    } catch (e) {
      throw e instanceof CertificationFailure ? e : new CertificationFailure('Test10', (e as Error).message);
    }
    if (strings.length !== MORE_REPLIES.length) {
      throw new CertificationFailure('Test10', `${strings.length} replies, expected ${MORE_REPLIES.length}`);
    }
    return strings;
  }

  async run(): Promise<void> {
    const {client_id: clientId} = await this.call('Start', {});
    if (typeof clientId !== 'string' || clientId === '') {
      throw new CertificationFailure('Start', `client_id ${JSON.stringify(clientId)} is not a non-empty string`);
    }
    const echo = (reply: JsonObject) => ({client_id: clientId, ...reply});
    let reply: JsonObject = {};
    for (const step of ['Test01', 'Test02', 'Test03', 'Test04', 'Test05', 'Test06', 'Test07', 'Test08'] as const) {
      reply = this.expect(step, await this.call(step, echo(reply)));
    }
    const mytype = await this.call('Test09', echo(reply));
    const strings = await this.streamTest10(echo(mytype));
    try {
      this.client.oneway(this.method('Test11'), {client_id: clientId, last_more_replies: strings});
    } catch (e) {
      throw new CertificationFailure('Test11', (e as Error).message);
    }
    this.expect('End', await this.call('End', {client_id: clientId}));
  }
}

/** Runs the whole certification against the server behind `client`; throws CertificationFailure naming the step. */
export async function certify(client: VarlinkClient, listener: StepListener = () => {}): Promise<void> {
  await new Run(client, listener).run();
}
