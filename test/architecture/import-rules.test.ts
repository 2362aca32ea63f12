import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { describeViolations, importViolations, REPOSITORY_ROOT } from './import-rules';

/**
 * Rules of direction (.dependency-cruiser.cjs), checked by dependency-cruiser:
 * - the runtime (functions/**) never imports the infrastructure (lib/**, bin/**, aws-cdk-lib, constructs, cdk-nag);
 * - functions/core imports no adapter, no handler folder, no @aws-sdk/*, no pg;
 * - functions/adapters/** import no handler folder.
 */

describe('import rules of direction', () => {
  it('the runtime breaks none of them', () => {
    const { violations, modules } = importViolations(['functions']);
    expect(modules).toBeGreaterThan(80);
    expect(describeViolations(violations)).toEqual([]);
  });

  describe('each rule fails on an import that breaks it (the check can fail)', () => {
    let fixture: string;
    /** A tiny tree that breaks every rule once, with the repository's node_modules, checked with the same configuration. */
    const files: Record<string, string> = {
      'lib/config/resource-names.ts': `export const METRIC_NAMESPACE = 'PaymentsDR';\n`,
      'functions/core/ports.ts': `export interface Clock { now(): number }\n`,
      'functions/core/uses-adapter.ts': `import { publish } from '../adapters/aws/publisher';\nexport const p = publish;\n`,
      // Type-only: erased by the compiler, still a dependency of the source.
      'functions/core/uses-handler.ts': `import type { Summary } from '../replication-monitor/handler';\nexport type S = Summary;\n`,
      'functions/core/uses-sdk.ts': `import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';\nimport { Client } from 'pg';\nexport const c = [CloudWatchClient, Client];\n`,
      'functions/adapters/aws/publisher.ts': `import { MonitorMetric } from '../../replication-monitor/handler';\nexport const publish = () => MonitorMetric;\n`,
      'functions/replication-monitor/handler.ts': [
        `import { Duration } from 'aws-cdk-lib';`,
        `import { Construct } from 'constructs';`,
        `import { METRIC_NAMESPACE } from '../../lib/config/resource-names';`,
        `import type { Clock } from '../core/ports';`,
        `export const MonitorMetric = { Lag: 'Lag' };`,
        `export type Summary = { clock?: Clock };`,
        `export const x = [Duration, Construct, METRIC_NAMESPACE];`,
      ].join('\n'),
    };

    beforeAll(() => {
      fixture = mkdtempSync(join(tmpdir(), 'import-rules-'));
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(fixture, path)), { recursive: true });
        writeFileSync(join(fixture, path), content);
      }
      symlinkSync(join(REPOSITORY_ROOT, 'node_modules'), join(fixture, 'node_modules'), 'dir');
    });
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));

    it('names every offending import with its rule', () => {
      const { violations } = importViolations(['functions'], fixture);
      const found = violations.map(({ rule, from, to }) => `${rule}: ${from} → ${to.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')}`);
      expect(found.sort()).toEqual([
        'adapter-imports-handler: functions/adapters/aws/publisher.ts → functions/replication-monitor/handler.ts',
        'core-imports-adapter: functions/core/uses-adapter.ts → functions/adapters/aws/publisher.ts',
        'core-imports-aws-sdk-or-pg: functions/core/uses-sdk.ts → @aws-sdk/client-cloudwatch',
        'core-imports-aws-sdk-or-pg: functions/core/uses-sdk.ts → pg',
        'core-imports-handler: functions/core/uses-handler.ts → functions/replication-monitor/handler.ts',
        'runtime-imports-infrastructure: functions/replication-monitor/handler.ts → aws-cdk-lib',
        'runtime-imports-infrastructure: functions/replication-monitor/handler.ts → constructs',
        'runtime-imports-infrastructure: functions/replication-monitor/handler.ts → lib/config/resource-names.ts',
      ]);
    });
  });
});
