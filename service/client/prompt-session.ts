// The prompt session (core/client/prompt-session.ts) over Node's hub set.
import {PromptSession as CorePromptSession, type PromptSessionListener} from '../../core/client/prompt-session.js';
import type {PromptModelOptions} from '../../core/clearance/prompts.js';
import {HubSet, type HubSetOptions} from './hub-set.js';

export type {PromptSessionListener} from '../../core/client/prompt-session.js';

export interface PromptSessionOptions extends HubSetOptions {
  now?: () => number;
  model?: PromptModelOptions;
}

export class PromptSession extends CorePromptSession<HubSet> {
  constructor(listener: PromptSessionListener, options: PromptSessionOptions = {}) {
    super(listener, (hubs) => new HubSet(hubs, options), {now: options.now ?? Date.now, model: options.model});
  }
}
