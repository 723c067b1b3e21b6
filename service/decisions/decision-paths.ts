// Where lasting decisions live, shared by every hub of the user (session and per-container layout) and the CLI:
// the rules file under $XDG_CONFIG_HOME (the operator's to edit), grants and the decision log under
// $XDG_STATE_HOME (the hubs' to keep).
import {homedir} from 'node:os';
import {isAbsolute, join} from 'node:path';

export interface DecisionPaths {
  /** $XDG_CONFIG_HOME/terok-clearance/rules.yaml */
  readonly rulesFile: string;
  /** $XDG_STATE_HOME/terok-clearance/grants: one <id>.json per grant. */
  readonly grantsDir: string;
  /** $XDG_STATE_HOME/terok-clearance/applied: per hub, what it allowed under which grant (to revoke it). */
  readonly appliedDir: string;
  /** $XDG_STATE_HOME/terok-clearance/decisions.jsonl */
  readonly log: string;
}

function xdg(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const dir = env[name];
  return dir && isAbsolute(dir) ? dir : join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), fallback);
}

export function decisionPaths(env: NodeJS.ProcessEnv = process.env): DecisionPaths {
  const config = join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'terok-clearance');
  const state = join(xdg(env, 'XDG_STATE_HOME', '.local/state'), 'terok-clearance');
  return {
    rulesFile: join(config, 'rules.yaml'),
    grantsDir: join(state, 'grants'),
    appliedDir: join(state, 'applied'),
    log: join(state, 'decisions.jsonl'),
  };
}
