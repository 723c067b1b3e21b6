// `terok-clearance notify`: one desktop notification from a script, optionally waiting for the operator's answer.
import {EXIT} from '../exit-codes.js';
import {APP_NAME} from '../notify/desktop-notifier.js';
import {FdoNotifications, type NotificationAction, type Posted} from '../notify/fdo-notifications.js';
import {SessionBus} from '../notify/session-bus.js';
import {parseCommandArgs, usageError} from './args.js';

export const summary = 'post a desktop notification (with actions, optionally waiting for one)';

const USAGE = `
usage: terok-clearance notify TITLE [BODY] [--actions KEY:LABEL]... [--wait [--timeout SECONDS]]
Posts a notification through org.freedesktop.Notifications on the session bus. TITLE and BODY are plain text
(BODY may span lines; it is escaped when the server parses markup).
  --actions KEY:LABEL   a button (repeat for more); KEY is what --wait prints, LABEL what the button says
  --wait                wait until an action is invoked (its KEY is printed on stdout) or the notification is
                        closed (nothing is printed)
  --timeout SECONDS     with --wait: give up after SECONDS and close the notification
exit: 0 posted (with --wait: an action was invoked or the notification was closed), 1 --timeout passed,
      2 usage, 3 no session bus or no notification server (or it went away while waiting),
      130/143 interrupted by SIGINT/SIGTERM while waiting (the notification is closed)`;

interface Options {
  title: string;
  body: string;
  actions: NotificationAction[];
  wait: boolean;
  timeoutMs: number | null;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('notify', USAGE, {
    actions: {type: 'string', multiple: true}, wait: {type: 'boolean'}, timeout: {type: 'string'},
  }, args);
  if (typeof parsed === 'number') return parsed;
  const options = validate(parsed.positionals, parsed.values);
  if (typeof options === 'string') return usageError('notify', options, USAGE);

  const bus = await SessionBus.open();
  if (!bus) {
    process.stderr.write('terok-clearance notify: no session bus (DBUS_SESSION_BUS_ADDRESS unset or not answering)\n');
    return EXIT.UNREACHABLE;
  }
  try {
    return await post(bus, options);
  } finally {
    bus.close();
  }
}

async function post(bus: SessionBus, options: Options): Promise<number> {
  let settle: (code: number) => void = () => undefined;
  const outcome = new Promise<number>((resolve) => (settle = resolve));
  let posted: Posted | null = null;
  let givingUp = false; // our own CloseNotification's NotificationClosed is not the operator closing it
  const fdo = await FdoNotifications.attach(bus, APP_NAME, {
    action: (from, key) => {
      if (from.id !== posted?.id || givingUp) return;
      process.stdout.write(key + '\n');
      settle(EXIT.OK);
    },
    closed: (from) => {
      if (from.id === posted?.id && !givingUp) settle(EXIT.OK);
    },
    serverChanged: () => {
      if (!posted || fdo.isCurrent(posted)) return; // a server started by our Notify is not one going away
      process.stderr.write('terok-clearance notify: the notification server went away\n');
      settle(EXIT.UNREACHABLE);
    },
  });
  const giveUp = (code: number) => async (): Promise<void> => {
    givingUp = true;
    if (posted) await fdo.close(posted).catch(() => undefined);
    settle(code);
  };
  const onInterrupt = giveUp(130);
  const onTerminate = giveUp(143);
  // Handlers go in before the notification is posted, so a script killing us never leaves it behind.
  if (options.wait) {
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onTerminate);
  }
  let timer: NodeJS.Timeout | null = null;
  try {
    try {
      posted = await fdo.notify({
        summary: options.title, body: options.body, actions: options.actions,
        urgency: 'normal', resident: false, transient: false, expireMs: -1,
      });
    } catch (error) {
      process.stderr.write(`terok-clearance notify: no notification server: ${(error as Error).message}\n`);
      return EXIT.UNREACHABLE;
    }
    if (givingUp) { // interrupted while it was being posted
      await fdo.close(posted).catch(() => undefined);
      return await outcome;
    }
    if (!options.wait) return EXIT.OK;
    const capabilities = await fdo.capabilities().catch(() => null);
    if (options.actions.length > 0 && capabilities && !capabilities.has('actions')) {
      process.stderr.write('terok-clearance notify: the notification server shows no actions; waiting for it to close\n');
    }
    if (options.timeoutMs !== null) timer = setTimeout(giveUp(EXIT.FAILED), options.timeoutMs);
    return await Promise.race([outcome, bus.closed.then(() => {
      process.stderr.write('terok-clearance notify: the session bus went away\n');
      return EXIT.UNREACHABLE;
    })]);
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  }
}

/** The options, or what is wrong with the command line. */
function validate(positionals: string[], values: {actions?: string[]; wait?: boolean; timeout?: string}):
  Options | string {
  const [title, body = '', extra] = positionals;
  if (title === undefined) return 'TITLE is missing';
  if (extra !== undefined) return `too many arguments: '${extra}' (an action goes after --actions)`;
  const actions: NotificationAction[] = [];
  for (const arg of values.actions ?? []) {
    const colon = arg.indexOf(':');
    const key = arg.slice(0, colon);
    const label = arg.slice(colon + 1);
    if (colon <= 0 || !label) return `an action is KEY:LABEL, got '${arg}'`;
    if (actions.some((action) => action.key === key)) return `action key '${key}' given twice`;
    actions.push({key, label});
  }
  let timeoutMs: number | null = null;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
      return `--timeout needs a positive number of seconds, got '${values.timeout}'`;
    }
    if (!values.wait) return '--timeout only makes sense with --wait';
    timeoutMs = seconds * 1000;
  }
  return {title, body, actions, wait: values.wait ?? false, timeoutMs};
}
