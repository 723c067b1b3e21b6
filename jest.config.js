// Tests are TypeScript run as native ESM (node --experimental-vm-modules); @swc/jest only strips types.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {parser: {syntax: 'typescript'}, target: 'es2022'},
      module: {type: 'es6'},
    }],
  },
  moduleNameMapper: {'^(\\.{1,2}/.*)\\.js$': '$1'},
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/private-xdg.ts'],
  testTimeout: 30000,
};
