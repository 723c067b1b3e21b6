// `terok-clearance notifier`: the desktop-notification fallback as a long-running service (the
// terok-clearance-notifier user unit, PartOf=graphical-session.target).
//
// Without a session bus it exits 0 at once rather than waiting: there is nothing to show prompts on, and on hosts
// without a desktop no notifier is wanted (behaviour.md: silent, nothing at warning level). Under systemd the unit
// only starts with the graphical session, whose bus is there from the start. A bus lost while running is not a
// normal end: exit 3, so Restart=on-failure brings the service back when the bus returns.
import {EXIT} from '../exit-codes.js';
import {logger} from '../log.js';
import {NotifierService} from '../notify/notifier-service.js';
import {parseCommandArgs, usageError} from './args.js';
import {untilSignal} from './until-signal.js';

export const summary = 'show blocked connections as desktop notifications with Allow/Deny/Allow 1 h (the fallback service)';

const USAGE = `
usage: terok-clearance notifier
Shows blocked connections as desktop notifications (org.freedesktop.Notifications on the session bus) with Allow,
Deny and, when the hub keeps lasting decisions, "Allow 1 h" (this target for this container for an hour: see
terok-clearance grants), for sessions without the GNOME extension. Follows every hub (the session hub and the per-container hubs,
as their sockets come and go): a repeat block updates its notification, a verdict's result replaces it, a failed
verdict stays answerable, a shield down or disengaged raises an alert. Closing a notification answers nothing.
While the GNOME extension runs (it owns org.terok.Clearance.Shell) it shows nothing and the extension prompts.
Runs as the systemd user unit terok-clearance-notifier.service (terok-clearance install).
exit: 0 stopped by SIGTERM/SIGINT (its notifications are closed; what is pending stays pending at the hub),
        or no session bus to show notifications on (DBUS_SESSION_BUS_ADDRESS unset or not answering;
        logged at debug level only, TEROK_CLEARANCE_LOG=debug shows it),
      2 usage, 3 the session bus went away while running`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('notifier', USAGE, {}, args);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) return usageError('notifier', `unexpected argument '${parsed.positionals[0]}'`, USAGE);

  const stopped = untilSignal();
  const service = await NotifierService.start();
  if (!service) return EXIT.OK;
  const busLost = Symbol('bus lost');
  const end = await Promise.race([stopped, service.disconnected.then(() => busLost)]);
  await service.close();
  if (end !== busLost) return EXIT.OK;
  logger('notifier').warning('the session bus went away');
  return EXIT.UNREACHABLE;
}
