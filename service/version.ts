// The product version, stamped into GetInfo replies and installed units (a test keeps it equal to package.json's).
export const VERSION = '0.1.0';
export const VENDOR = 'terok';
/** No public home page is fixed yet; GetInfo's url stays empty rather than guessed. */
export const URL = '';
