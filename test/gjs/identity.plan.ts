/** What the jest side prepares for test/gjs/identity.gjs.ts. */
export interface Plan {
  /** The gjs process's XDG_RUNTIME_DIR, where a real hub and verdict helper run (the session layout). */
  runtime: string;
  /** A directory with the extension's compiled GSettings schema. */
  schemas: string;
  /** 12-character ids of a terok task container (its block already waits in the hub) and a standalone one. */
  task: string;
  standalone: string;
}
