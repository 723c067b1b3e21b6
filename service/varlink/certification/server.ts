// The org.varlink.certification server: one handler per step. Parameters arrive type-checked against the
// interface; each handler admits the step for its client, compares the whole call (values and flags) with what
// the step expects, and answers with the reference values.
import {randomUUID} from 'node:crypto';
import {VarlinkServer} from '../server.js';
import type {CallContext, MethodHandler} from '../server.js';
import {URL, VENDOR, VERSION} from '../../version.js';
import {CERTIFICATION_IDL} from './interface.js';
import {STEPS, MORE_REPLIES, callObject, expectedCall, matchesCall, replyTo} from './expected.js';
import type {ExpectedCall, Step} from './expected.js';
import {CertificationSessions, certificationError} from './sessions.js';

function received(ctx: CallContext): ExpectedCall {
  return {parameters: ctx.parameters, more: ctx.more, oneway: ctx.oneway};
}

function mismatch(step: Step, wants: ExpectedCall, got: ExpectedCall) {
  return certificationError(callObject(step, wants), callObject(step, got));
}

async function streamTest10(ctx: CallContext) {
  for (const string of MORE_REPLIES.slice(0, -1)) {
    if (!ctx.send({string})) await ctx.drained();
  }
  return {string: MORE_REPLIES[MORE_REPLIES.length - 1] as string};
}

function stepHandler(sessions: CertificationSessions, step: Exclude<Step, 'Start'>): MethodHandler {
  return async (ctx) => {
    const clientId = ctx.parameters.client_id as string;
    sessions.enter(clientId, step);
    const wants = expectedCall(step, clientId);
    const got = received(ctx);
    if (!matchesCall(wants, got)) {
      const failure = mismatch(step, wants, got);
      sessions.fail(clientId, failure);
      throw failure;
    }
    if (step === 'Test10') return streamTest10(ctx);
    if (step === 'Test11') return undefined;
    return replyTo(step);
  };
}

export function certificationHandlers(sessions: CertificationSessions): Record<string, MethodHandler> {
  const handlers: Record<string, MethodHandler> = {
    Start: (ctx) => {
      const wants = expectedCall('Start', '');
      if (!matchesCall(wants, received(ctx))) throw mismatch('Start', wants, received(ctx));
      return {client_id: sessions.start()};
    },
  };
  for (const step of STEPS) if (step !== 'Start') handlers[step] = stepHandler(sessions, step);
  return handlers;
}

export function certificationServer(sessions = new CertificationSessions({newId: randomUUID})): VarlinkServer {
  const server = new VarlinkServer({
    vendor: VENDOR, product: 'terok-clearance varlink certification', version: VERSION, url: URL,
  });
  server.addInterface(CERTIFICATION_IDL, certificationHandlers(sessions));
  return server;
}
