/** Tests are transpiled by SWC (fast, no type-check); `npm test` runs `tsc --noEmit` first for types. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 120000,
  // Jest's default is one worker less than the cores: a single worker on the 2-core CI machine. The suites are mostly
  // CPU-bound synths and the PostgreSQL tests tolerate a busy machine, so two workers halve the wall time (measured:
  // jest 4 min 20 s → 2 min 34 s, docs/development.md).
  maxWorkers: 2,
  // A temp directory per run for the cdk.out directories of every synthesized App, removed at the end; the run fails if
  // any are left in the OS temp folder (test/support/run-temp-dir.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
