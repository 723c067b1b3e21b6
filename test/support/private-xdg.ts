// Every test file gets its own XDG config and state directories, so the rules, grants and decision log of one
// test's hubs (in-process or spawned, which inherit the environment) never reach another's, nor the user's own.
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'terok-clearance-xdg-'));
process.env.XDG_CONFIG_HOME = join(dir, 'config');
process.env.XDG_STATE_HOME = join(dir, 'state');
