// The desktop-notification fallback as a service: every hub merged by a PromptSession, rendered by a DesktopNotifier.
// Allow/Deny pressed on a prompt's notification becomes one verdict through the session (to the hub that emitted
// the request; a second press while it is in flight sends nothing); its outcome comes back as model changes like
// everything else. Without a session bus there is nothing to show prompts on, and no service.
import type {LastingChoice} from '../../core/decisions/decision.js';
import type {HubView} from '../client/runtime-dir-hubs.js';
import {PromptSession, type PromptSessionOptions} from '../client/node-prompt-session.js';
import {logger} from '../log.js';
import {DesktopNotifier} from './desktop-notifier.js';
import {ALLOW_1H} from './notification-board.js';
import type {PromptAction} from './notifier.js';

const log = logger('notifier');

/** The notification's "Allow 1 h": exactly this target, this container, for an hour. */
const ALLOW_FOR_AN_HOUR: LastingChoice = {action: 'allow', lasting: {kind: 'for', ms: 3_600_000}, scope: 'container', pattern: ''};

export interface NotifierServiceOptions {
  /** Session bus address; default DBUS_SESSION_BUS_ADDRESS. */
  address?: string;
  /** While this bus name has an owner, show nothing; default the GNOME extension's name. */
  quietWhileOwned?: string;
  session?: PromptSessionOptions;
}

export class NotifierService {
  readonly #notifier: DesktopNotifier;
  readonly #session: PromptSession;
  readonly #inFlight = new Set<Promise<void>>();
  /** Per hub: whether it has Decide, asked on each connect; absent while being asked. */
  readonly #decide = new Map<string, boolean>();

  /** Connects to the session bus and starts following the hubs; null (logged at debug level) without a bus. */
  static async start(options: NotifierServiceOptions = {}): Promise<NotifierService | null> {
    // Actions can only come from notifications, which only exist once the service has rendered something.
    let service: NotifierService | null = null;
    const notifier = await DesktopNotifier.start({
      address: options.address, quietWhileOwned: options.quietWhileOwned,
      onAction: (key, action) => {
        if (service) service.#answer(key, action);
      },
      offersLasting: (prompt) => (service ? service.#decide.get(prompt.origin) ?? null : false),
    });
    if (!notifier.connected) return null;
    service = new NotifierService(notifier, options.session);
    return service;
  }

  private constructor(notifier: DesktopNotifier, session: PromptSessionOptions = {}) {
    this.#notifier = notifier;
    this.#session = new PromptSession({
      changes: (changes) => notifier.render(changes),
      hub: (hub, what) => {
        logHub(hub, what);
        // Whether its prompts offer "Allow 1 h": asked on each connect (a failed ask counts as no), then shown.
        if (what === 'removed') this.#decide.delete(hub.id);
        if (what === 'state' && hub.state.status === 'connected') {
          this.#decide.delete(hub.id);
          void this.#session.hubs.supportsDecide(hub.id).then((has) => {
            this.#decide.set(hub.id, has === true);
            notifier.refresh();
          });
        }
      },
    }, session);
    this.#session.start();
  }

  /** Resolves when the session bus connection is lost (not when close() ends it). */
  get disconnected(): Promise<void> {
    return this.#notifier.disconnected;
  }

  /** Closes our notifications (GNOME keeps an exited sender's), lets verdicts on their way finish, leaves the hubs. */
  async close(): Promise<void> {
    await this.#notifier.dispose();
    await Promise.all(this.#inFlight);
    await this.#session.close();
  }

  #answer(key: string, action: PromptAction): void {
    const sent = action === ALLOW_1H
      ? this.#session.decide(key, ALLOW_FOR_AN_HOUR, {confirmed: false, ui: 'notifier'})?.then((outcome) => {
        if (outcome.kind === 'applied') log.info(`allowed for 1 h: ${key}`);
        else if (outcome.kind !== 'failed') log.warning(`"Allow 1 h" for ${key}: ${outcome.kind}`);
      }) ?? null
      : this.#session.answer(key, action);
    if (!sent) return; // already being answered, or gone: one click, one verdict
    // Starting a verdict changes the prompt without a change event: redraw it as "Allowing..." here.
    const prompt = this.#session.model.get(key);
    if (prompt) this.#notifier.render([{kind: 'updated', prompt}]);
    const settled = sent.catch((error: unknown) => log.warning(`verdict for ${key}: ${String(error)}`));
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
  }
}

function logHub(hub: HubView, what: 'added' | 'removed' | 'state'): void {
  if (what !== 'state') log.debug(`hub ${hub.label} (${hub.id}) ${what}`);
  else if (hub.state.status === 'connected') log.info(`hub ${hub.label}: connected`);
  else if (hub.state.status === 'unavailable') log.info(`hub ${hub.label}: ${hub.state.reason || 'unavailable'}`);
}
