/** Socket paths the jest side serves for test/gjs/varlink-connection.gjs.ts. */
export interface Plan {
  example: string;
  garbage: string;
  hangup: string;
  missing: string;
  foreign: string;
}
