import { LEASE_KEEPER_ENV_VARS, readLeaseKeeperConfig } from '../../../functions/lease-keeper/config';

const KEEPER_ENV: NodeJS.ProcessEnv = {
  ENVIRONMENT_SUFFIX: 'dev',
  METRIC_NAMESPACE: 'PaymentsDR',
  PRIMARY_REGION: 'us-east-1',
  PRIMARY_DB_INSTANCE_ID: 'paydb-primary-dev',
  PRIMARY_DB_ENDPOINT: 'paydb-primary-dev.abc.us-east-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'payments',
  DB_SECRET_ARN: 'paydb-dev-credentials',
  PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-dev-params',
  PRIMARY_DB_SECURITY_GROUP_ID: 'sg-primary',
  FENCE_SECURITY_GROUP_ID: 'sg-fence',
  WRITE_LEASE_TABLE: 'paydb-write-lease-dev',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:paydb-alerts-dev',
  RUNBOOK_URL: 'https://runbooks.example.com/alarms.md#primary-self-fenced',
  LEASE_TTL_SECONDS: '45',
  LEASE_RENEW_INTERVAL_SECONDS: '10',
  LEASE_FENCE_BUDGET_SECONDS: '15',
  KEEPER_RUN_SECONDS: '55',
};

test('reads every variable into a typed configuration with the keeper\'s timings in milliseconds', () => {
  expect(readLeaseKeeperConfig(KEEPER_ENV)).toEqual({
    environmentSuffix: 'dev', metricNamespace: 'PaymentsDR', primaryRegion: 'us-east-1', primaryInstanceId: 'paydb-primary-dev',
    primaryEndpoint: KEEPER_ENV.PRIMARY_DB_ENDPOINT, port: 5432, database: 'payments', secretArn: 'paydb-dev-credentials',
    primaryParameterGroup: 'paydb-primary-dev-params', primarySecurityGroupId: 'sg-primary', fenceSecurityGroupId: 'sg-fence',
    writeLeaseTable: 'paydb-write-lease-dev', alertTopicArn: KEEPER_ENV.ALERT_TOPIC_ARN, runbookUrl: KEEPER_ENV.RUNBOOK_URL,
    leaseTtlSeconds: 45, leaseRenewIntervalSeconds: 10, leaseFenceBudgetSeconds: 15, keeperRunSeconds: 55,
    timings: { ttlMs: 45_000, renewIntervalMs: 10_000, fenceBudgetMs: 15_000, takeoverMarginMs: 30_000 },
  });
  expect([...LEASE_KEEPER_ENV_VARS].sort()).toEqual(Object.keys(KEEPER_ENV).sort());
});

test('names every missing and invalid variable in one error', () => {
  expect(() => readLeaseKeeperConfig({ ...KEEPER_ENV, WRITE_LEASE_TABLE: undefined, FENCE_SECURITY_GROUP_ID: ' ', KEEPER_RUN_SECONDS: '900', ALERT_TOPIC_ARN: 'alerts' }))
    .toThrow(new Error(
      'lease-keeper: missing environment variable(s): FENCE_SECURITY_GROUP_ID, WRITE_LEASE_TABLE; '
      + 'ALERT_TOPIC_ARN must be an ARN, got "alerts"; KEEPER_RUN_SECONDS must be an integer from 1 to 840, got "900"',
    ));
});

test.each([
  ['a renew interval over half the TTL', { LEASE_RENEW_INTERVAL_SECONDS: '25' }, /renew interval must be at most half the lease TTL/],
  ['a fence budget as long as the TTL', { LEASE_FENCE_BUDGET_SECONDS: '45' }, /fence budget must be shorter than the lease TTL/],
  ['renewal + fence budget over the TTL', { LEASE_RENEW_INTERVAL_SECONDS: '20', LEASE_FENCE_BUDGET_SECONDS: '30' }, /renew interval \+ fence budget must fit in the lease TTL/],
])('unsafe lease timings are refused at cold start: %s', (_name, env, message) => {
  expect(() => readLeaseKeeperConfig({ ...KEEPER_ENV, ...env })).toThrow(message);
  expect(() => readLeaseKeeperConfig({ ...KEEPER_ENV, ...env })).toThrow(/^lease-keeper: LEASE_\*_SECONDS: /);
});

test('the fence group must not be the primary\'s own group (fencing would change nothing)', () => {
  expect(() => readLeaseKeeperConfig({ ...KEEPER_ENV, FENCE_SECURITY_GROUP_ID: 'sg-primary' }))
    .toThrow('FENCE_SECURITY_GROUP_ID must differ from PRIMARY_DB_SECURITY_GROUP_ID (both "sg-primary")');
});

test('the Lambda entry point validates the environment at cold start', () => {
  const saved = process.env;
  process.env = { ...saved, ...KEEPER_ENV, LEASE_TTL_SECONDS: undefined };
  try {
    jest.isolateModules(() => {
      expect(() => require('../../../functions/lease-keeper/handler')).toThrow(/lease-keeper: missing environment variable\(s\): LEASE_TTL_SECONDS/);
    });
    process.env = { ...saved, ...KEEPER_ENV, POWERTOOLS_LOG_LEVEL: 'SILENT' };
    jest.isolateModules(() => {
      expect(typeof require('../../../functions/lease-keeper/handler').handler).toBe('function');
    });
  } finally {
    process.env = saved;
  }
});
