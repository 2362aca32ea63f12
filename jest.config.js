/** Tests are transpiled by SWC (fast, no type-check); `npm test` runs `tsc --noEmit` first for types. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 120000,
  // A temp directory per run for the cdk.out directories of every synthesized App, removed at the end; the run fails if
  // any are left in the OS temp folder (test/support/run-temp-dir.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
