// The prompt session (core/client/prompt-session.ts) over Node's hub set.
import {PromptSession as CorePromptSession, type PromptSessionListener} from '../../core/client/prompt-session.js';
import type {PromptModelOptions} from '../../core/clearance/prompts.js';
import {hubIdentity} from '../../core/client/hub-identity.js';
import type {IdentitySource} from '../../core/client/identity-feed.js';
import {identityResolverFromEnv, podmanCommand} from '../identity/identity-config.js';
import {HubSet, type HubSetOptions} from './runtime-dir-hubs.js';

export type {PromptSessionListener} from '../../core/client/prompt-session.js';

export interface PromptSessionOptions extends HubSetOptions {
  now?: () => number;
  model?: PromptModelOptions;
  /**
   * Who containers are when the wire does not say (a source, or hubIdentity); null: nobody is asked. Default: podman
   * here when it is on PATH or named (identity-config.ts); else the hubs, which ask their verdict helpers
   * (hub-identity.ts), so a client that must not run podman (TEROK_CLEARANCE_PODMAN=off) still names containers.
   */
  identity?: IdentitySource | ((hubs: HubSet) => IdentitySource) | null;
}

export class PromptSession extends CorePromptSession<HubSet> {
  constructor(listener: PromptSessionListener, options: PromptSessionOptions = {}) {
    const identity = options.identity !== undefined ? options.identity
      : podmanCommand() ? identityResolverFromEnv() : hubIdentity;
    super(listener, (hubs) => new HubSet(hubs, options), {
      now: options.now ?? Date.now, model: options.model, ...(identity ? {identity} : {}),
    });
  }
}
