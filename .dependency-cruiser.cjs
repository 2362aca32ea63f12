/**
 * Rules of direction between the runtime (functions/) and the infrastructure (lib/, bin/), and inside the runtime
 * between the pure core, the adapters and the handler folders (issue 12). `npm test` runs them
 * (test/architecture/import-rules.test.ts); by hand: `npx depcruise --config .dependency-cruiser.cjs functions`.
 *
 * Type-only imports count: the swc parser reads the TypeScript source before types are stripped.
 */

/** The Lambda handler folders and the local drill's CLI: composition roots, which nothing below them may import. */
const HANDLER_FOLDERS = '^functions/(failover-orchestrator|replication-monitor|lease-keeper|synthetic-drill|full-drill|local-drill)/';
/** The CDK and everything of the infrastructure wing. */
const INFRASTRUCTURE = ['^(lib|bin)/', '(^|/)node_modules/(aws-cdk-lib|constructs|cdk-nag|aws-cdk)/', '^(aws-cdk-lib|constructs|cdk-nag|aws-cdk)(/|$)'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'runtime-imports-infrastructure',
      comment: 'Runtime code (functions/**) is bundled into Lambda functions and the local drill: it never imports lib/**, bin/**, aws-cdk-lib, constructs or cdk-nag.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: INFRASTRUCTURE },
    },
    {
      name: 'core-imports-adapter',
      comment: 'functions/core is the pure domain: the adapters implement its ports, never the other way round.',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { path: '^functions/adapters/' },
    },
    {
      name: 'core-imports-handler',
      comment: 'functions/core never imports a handler folder (the handlers compose the core with adapters).',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { path: HANDLER_FOLDERS },
    },
    {
      name: 'core-imports-aws-sdk-or-pg',
      comment: 'functions/core talks to AWS and PostgreSQL only through its ports: no @aws-sdk/*, no pg.',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { path: ['(^|/)node_modules/(@aws-sdk/|pg/|pg-)', '^(@aws-sdk/|pg$|pg/)'] },
    },
    {
      name: 'adapter-imports-handler',
      comment: 'functions/adapters/** implement ports for the handlers; they never import a handler folder. Names both '
        + 'sides need belong in functions/core (e.g. core/metric-names.ts) or functions/shared.',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: HANDLER_FOLDERS },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would hide a dependency from the rules above.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json', '.d.ts'] },
  },
};
