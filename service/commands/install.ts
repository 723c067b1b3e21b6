// `terok-clearance install` / `uninstall`: the systemd user units for the hub, the verdict helper and the notifier.
import {EXIT} from '../exit-codes.js';
import type {ServiceName} from '../units/units.js';
import {currentUnits, removeUnits, systemctlUser, userUnitsDir, writeUnits} from '../units/user-units.js';
import {parseCommandArgs} from './args.js';

const INSTALL_USAGE = `
usage: terok-clearance install [--units-dir DIR] [--without-notifier] [--no-start]
Writes systemd user units for the hub, the verdict helper and the desktop-notification fallback, then reloads the
user manager and enables and starts them (unless --no-start). Re-running it updates units from an older version.
  --units-dir DIR       write the units into DIR only, without systemctl (packaging, tests)
  --without-notifier    skip the notification fallback (the GNOME Shell extension is the prompt UI)
  --no-start            write the units only
exit: 0 installed, 1 systemctl failed (units are written), 2 usage`;

const UNINSTALL_USAGE = `
usage: terok-clearance uninstall [--units-dir DIR]
Stops and disables the terok-clearance user units and removes their files.
  --units-dir DIR       remove the units from DIR only, without systemctl
exit: 0 removed, 1 systemctl failed (files are removed), 2 usage`;

const unitsOption = {'units-dir': {type: 'string'}} as const;

export const install = {
  summary: 'install and start the systemd user units',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('install', INSTALL_USAGE, {
      ...unitsOption, 'without-notifier': {type: 'boolean'}, 'no-start': {type: 'boolean'},
    }, args);
    if (typeof parsed === 'number') return parsed;
    const names: ServiceName[] = parsed.values['without-notifier'] ? ['hub', 'verdict'] : ['hub', 'verdict', 'notifier'];
    const units = currentUnits(names);
    const dir = parsed.values['units-dir'];
    for (const path of await writeUnits(dir ?? userUnitsDir(), units)) process.stdout.write(`wrote ${path}\n`);
    if (dir !== undefined || parsed.values['no-start']) return EXIT.OK;
    for (const step of [['daemon-reload'], ['enable', '--now', ...units.map((u) => u.file)]]) {
      const r = await systemctlUser(step);
      if (!r.ok) {
        process.stderr.write(`terok-clearance install: systemctl --user ${step.join(' ')} failed: ${r.output}\n` +
          'The units are written; start them once a user manager runs: systemctl --user daemon-reload && ' +
          `systemctl --user enable --now ${units.map((u) => u.file).join(' ')}\n`);
        return EXIT.FAILED;
      }
    }
    process.stdout.write(`started ${units.map((u) => u.file).join(', ')}\n`);
    return EXIT.OK;
  },
};

export const uninstall = {
  summary: 'stop, disable and remove the systemd user units',
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs('uninstall', UNINSTALL_USAGE, unitsOption, args);
    if (typeof parsed === 'number') return parsed;
    const units = currentUnits();
    const dir = parsed.values['units-dir'];
    if (dir !== undefined) {
      for (const path of await removeUnits(dir, units)) process.stdout.write(`removed ${path}\n`);
      return EXIT.OK;
    }
    const stop = await systemctlUser(['disable', '--now', ...units.map((u) => u.file)]);
    for (const path of await removeUnits(userUnitsDir(), units)) process.stdout.write(`removed ${path}\n`);
    await systemctlUser(['daemon-reload']);
    if (!stop.ok) {
      process.stderr.write(`terok-clearance uninstall: systemctl --user disable failed: ${stop.output}\n`);
      return EXIT.FAILED;
    }
    return EXIT.OK;
  },
};
