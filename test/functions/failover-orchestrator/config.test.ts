import { ORCHESTRATOR_ENV_VARS, ORCHESTRATOR_OPTIONAL_ENV_VARS, readOrchestratorConfig } from '../../../functions/failover-orchestrator/config';
import { CONFIG } from './aws-fakes';

const ENV: NodeJS.ProcessEnv = {
  ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', DR_REGION: 'us-east-2',
  PRIMARY_DB_INSTANCE_ID: CONFIG.primaryInstanceId, REPLICA_DB_INSTANCE_ID: CONFIG.replicaInstanceId,
  PRIMARY_DB_ENDPOINT: CONFIG.primaryEndpoint, REPLICA_DB_ENDPOINT: CONFIG.replicaEndpoint, DB_PORT: '5432', DB_NAME: 'payments',
  DB_SECRET_ARN: CONFIG.secretArn, ALERT_TOPIC_ARN: CONFIG.alertTopicArn, RUNBOOK_URL: CONFIG.runbookUrl, FAILOVER_STATE_TABLE: CONFIG.failoverStateTable,
  FENCE_SECURITY_GROUP_ID: 'sg-fence', HOSTED_ZONE_ID: 'Z123', WRITER_RECORD_NAME: CONFIG.writerRecordName,
  PRIMARY_RECORD_SET_ID: 'primary', MAX_PROMOTION_LAG_SECONDS: '300', PROMOTION_TIMEOUT_SECONDS: '600', PROBE_INTERVAL_SECONDS: '60',
  LAG_LOOKBACK_SECONDS: '600', FAILOVER_MODE: 'manual-confirm', PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-dev-params',
};

/** What the variables this change added read as with ENV (the shared CONFIG fixture may not list them yet). */
const LEASE_AND_SWITCHOVER = {
  failoverMode: 'manual-confirm', writeLeaseTable: undefined, leaseTakeoverMarginSeconds: 30,
  switchoverCatchUpTimeoutSeconds: 300, primaryParameterGroup: 'paydb-primary-dev-params',
};

test('reads every variable into a typed configuration', () => {
  expect(readOrchestratorConfig(ENV)).toEqual({ ...CONFIG, ...LEASE_AND_SWITCHOVER });
  expect(ORCHESTRATOR_ENV_VARS.sort()).toEqual(Object.keys(ENV).sort());
});

test('the primary re-verification settings default to the core\'s and are read when set', () => {
  expect(ORCHESTRATOR_OPTIONAL_ENV_VARS).toEqual([
    'PRIMARY_PROBE_ATTEMPTS', 'PRIMARY_PROBE_TIMEOUT_MS', 'PRIMARY_PROBE_INTERVAL_MS',
    'WRITE_LEASE_TABLE', 'LEASE_TAKEOVER_MARGIN_SECONDS', 'SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS',
    'PRIMARY_KMS_KEY_ARN', 'PRIMARY_DB_SUBNET_GROUP', 'PRIMARY_DB_SECURITY_GROUP_IDS', 'DR_KMS_KEY_ARN', 'DR_DB_SUBNET_GROUP', 'DR_DB_SECURITY_GROUP_IDS',
    'PRIMARY_DB_MONITORING_ROLE_ARN', 'DR_DB_MONITORING_ROLE_ARN', 'REPROTECT_DB_INSTANCE_CLASS', 'REPROTECT_MAX_ALLOCATED_STORAGE_GIB', 'REPROTECT_BACKUP_RETENTION_DAYS', 'DR_DB_PARAMETER_GROUP', 'DR_FENCE_SECURITY_GROUP_ID',
  ]);
  expect(readOrchestratorConfig({ ...ENV, PRIMARY_PROBE_ATTEMPTS: '4', PRIMARY_PROBE_TIMEOUT_MS: '2500', PRIMARY_PROBE_INTERVAL_MS: '0' }))
    .toMatchObject({ primaryProbeAttempts: 4, primaryProbeTimeoutMs: 2500, primaryProbeIntervalMs: 0 });
});

test('invalid re-verification settings and a missing probe interval are named', () => {
  const env = { ...ENV, PROBE_INTERVAL_SECONDS: undefined, PRIMARY_PROBE_ATTEMPTS: '0', PRIMARY_PROBE_TIMEOUT_MS: 'fast', PRIMARY_PROBE_INTERVAL_MS: '60001' };
  expect(() => readOrchestratorConfig(env)).toThrow(
    'failover-orchestrator: missing environment variable(s): PROBE_INTERVAL_SECONDS; '
    + 'PRIMARY_PROBE_ATTEMPTS must be an integer from 1 to 10, got "0"; '
    + 'PRIMARY_PROBE_TIMEOUT_MS must be an integer from 100 to 60000, got "fast"; '
    + 'PRIMARY_PROBE_INTERVAL_MS must be an integer from 0 to 60000, got "60001"',
  );
});

test('names every missing and invalid variable in one error', () => {
  const env = { ...ENV, HOSTED_ZONE_ID: ' ', DB_SECRET_ARN: undefined, DB_PORT: '99999', MAX_PROMOTION_LAG_SECONDS: '1.5' };
  expect(() => readOrchestratorConfig(env)).toThrow(
    'failover-orchestrator: missing environment variable(s): DB_SECRET_ARN, HOSTED_ZONE_ID; '
    + 'DB_PORT must be an integer from 1 to 65535, got "99999"; MAX_PROMOTION_LAG_SECONDS must be an integer from 1 to 86400, got "1.5"',
  );
});

test('LAG_LOOKBACK_SECONDS is required and named when missing', () => {
  expect(readOrchestratorConfig({ ...ENV, LAG_LOOKBACK_SECONDS: '2700' }).lagLookbackSeconds).toBe(2700);
  expect(() => readOrchestratorConfig({ ...ENV, LAG_LOOKBACK_SECONDS: undefined }))
    .toThrow(new Error('failover-orchestrator: missing environment variable(s): LAG_LOOKBACK_SECONDS'));
});

test.each(['59', '86401', '600.5', '10m'])('LAG_LOOKBACK_SECONDS=%s is rejected with the variable and its range', (raw) => {
  expect(() => readOrchestratorConfig({ ...ENV, LAG_LOOKBACK_SECONDS: raw }))
    .toThrow(new Error(`failover-orchestrator: LAG_LOOKBACK_SECONDS must be an integer from 60 to 86400, got "${raw}"`));
});

describe('failover mode and the write lease', () => {
  test('automatic mode reads the lease table and the lease timings', () => {
    expect(readOrchestratorConfig({
      ...ENV, FAILOVER_MODE: 'automatic', WRITE_LEASE_TABLE: 'paydb-write-lease-dev',
      LEASE_TAKEOVER_MARGIN_SECONDS: '40', SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: '120',
    })).toMatchObject({
      failoverMode: 'automatic', writeLeaseTable: 'paydb-write-lease-dev', leaseTakeoverMarginSeconds: 40, switchoverCatchUpTimeoutSeconds: 120,
    });
  });

  test('automatic mode without a lease table is refused: an alarm could promote while the primary still writes', () => {
    expect(() => readOrchestratorConfig({ ...ENV, FAILOVER_MODE: 'automatic' }))
      .toThrow(new Error('failover-orchestrator: WRITE_LEASE_TABLE is required when FAILOVER_MODE is "automatic"'));
  });

  test('the mode must be named explicitly, and only the two known modes are accepted', () => {
    expect(() => readOrchestratorConfig({ ...ENV, FAILOVER_MODE: undefined }))
      .toThrow(new Error('failover-orchestrator: missing environment variable(s): FAILOVER_MODE'));
    expect(() => readOrchestratorConfig({ ...ENV, FAILOVER_MODE: 'auto' }))
      .toThrow(new Error('failover-orchestrator: FAILOVER_MODE must be one of "automatic", "manual-confirm", got "auto"'));
  });

  test('invalid lease and switchover timings and a missing parameter group are named', () => {
    expect(() => readOrchestratorConfig({
      ...ENV, PRIMARY_DB_PARAMETER_GROUP: undefined, LEASE_TAKEOVER_MARGIN_SECONDS: '0', SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: '5m',
    })).toThrow(new Error(
      'failover-orchestrator: missing environment variable(s): PRIMARY_DB_PARAMETER_GROUP; '
      + 'LEASE_TAKEOVER_MARGIN_SECONDS must be an integer from 1 to 3600, got "0"; '
      + 'SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS must be an integer from 1 to 3600, got "5m"',
    ));
  });
});

test('refuses the same primary and DR region', () => {
  expect(() => readOrchestratorConfig({ ...ENV, DR_REGION: 'us-east-1' })).toThrow('PRIMARY_REGION and DR_REGION must differ (both "us-east-1")');
});

test('the Lambda entry point validates the environment at cold start', () => {
  const saved = process.env;
  process.env = { ...saved, ...ENV, FENCE_SECURITY_GROUP_ID: undefined };
  try {
    jest.isolateModules(() => {
      expect(() => require('../../../functions/failover-orchestrator/handler')).toThrow(/missing environment variable\(s\): FENCE_SECURITY_GROUP_ID/);
    });
    process.env = { ...saved, ...ENV, POWERTOOLS_LOG_LEVEL: 'SILENT' };
    jest.isolateModules(() => {
      expect(typeof require('../../../functions/failover-orchestrator/handler').handler).toBe('function');
    });
  } finally {
    process.env = saved;
  }
});
