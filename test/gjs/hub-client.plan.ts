/** What the jest side prepares for test/gjs/hub-client.gjs.ts. */
export interface Plan {
  /** A private, empty runtime directory (also the gjs process's XDG_RUNTIME_DIR). */
  runtime: string;
  /** The org.terok.test.HubControl socket. */
  control: string;
  /** A directory with the extension's compiled GSettings schema. */
  schemas: string;
  c1: string;
  c2: string;
}
