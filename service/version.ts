// The product version, stamped into GetInfo replies and installed units (a test keeps it equal to package.json's).
export const VERSION = '0.1.0';
export const VENDOR = 'terok';
export const URL = 'https://github.com/terok-ai/terok-clearance';
