import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { clearDatabaseCredentialsCache } from '../../../functions/adapters/aws/database-credentials';
import type { DatabaseTarget, ProbeResult } from '../../../functions/adapters/postgres/connectivity';
import { NotInRecoveryError, type ReplicationLag } from '../../../functions/adapters/postgres/replication-probe';
import { postgresReplicationProbes, type ReplicationProbes } from '../../../functions/adapters/postgres/replication-probes';
import { DEFAULT_MONITOR_DEADLINES } from '../../../functions/replication-monitor/monitor';

jest.mock('../../../functions/adapters/postgres/replication-probes');

const ENV = {
  ENVIRONMENT_SUFFIX: 'test',
  METRIC_NAMESPACE: 'PaymentsDR',
  PRIMARY_REGION: 'us-east-1',
  DR_REGION: 'us-east-2',
  PRIMARY_DB_INSTANCE_ID: 'rds-payments-primary-test',
  REPLICA_DB_INSTANCE_ID: 'rds-payments-replica-test',
  PRIMARY_DB_ENDPOINT: 'primary.abc.us-east-1.rds.amazonaws.com',
  REPLICA_DB_ENDPOINT: 'replica.abc.us-east-2.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'payments',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-test-AbCdEf',
  FAILOVER_STATE_TABLE: 'dynamodb-failover-state-test',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-2:111111111111:sns-alerts-test',
  POWERTOOLS_LOG_LEVEL: 'SILENT', // the run logs every datum; keep test output readable
};
Object.assign(process.env, ENV);
// Loaded after the environment is in place: the handler validates it at module load (cold start).
const { handler } = require('../../../functions/replication-monitor/handler') as typeof import('../../../functions/replication-monitor/handler');

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBClient);
const buildProbes = jest.mocked(postgresReplicationProbes);

const HEARTBEAT_LSN = '0/3000148';
const up = (inRecovery: boolean): ProbeResult => ({ reachable: true, latencyMs: 12, inRecovery });
const caughtUp: ReplicationLag = { lagSeconds: 0.05, method: 'caught-up', bytesBehind: 0 };

function fakeProbes(overrides: Partial<ReplicationProbes> = {}): jest.Mocked<ReplicationProbes> {
  const probes = {
    probePrimary: jest.fn().mockResolvedValue(up(false)),
    probeReplica: jest.fn().mockResolvedValue(up(true)),
    writeHeartbeat: jest.fn().mockResolvedValue({ lsn: HEARTBEAT_LSN, writtenAt: new Date() }),
    measureLag: jest.fn().mockResolvedValue(caughtUp),
    ...overrides,
  } as jest.Mocked<ReplicationProbes>;
  buildProbes.mockReturnValue(probes);
  return probes;
}

/** The failover item as the orchestrator's DynamoDB state store writes it (top-level attributes + JSON `state`). */
function failoverItem(status: string, failedOver: boolean, extra: Record<string, unknown> = {}) {
  const state = { runId: 'run-1', status, mode: 'failover', trigger: 'alarm:paydb-primary-down', failedOver, version: 3, steps: {}, ...extra };
  return {
    pk: { S: 'failover' },
    runId: { S: 'run-1' },
    status: { S: status },
    failedOver: { BOOL: failedOver },
    version: { N: '3' },
    state: { S: JSON.stringify(state) },
  };
}

function describeAs(instanceId: string, status: string) {
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instanceId }).resolves({ DBInstances: [{ DBInstanceIdentifier: instanceId, DBInstanceStatus: status }] });
}

/** The single PutMetricData call of the run, as `{ name: datum }`. */
function published(): Record<string, MetricDatum> {
  const calls = cloudWatch.commandCalls(PutMetricDataCommand);
  expect(calls).toHaveLength(1);
  expect(calls[0].args[0].input.Namespace).toBe('PaymentsDR');
  return Object.fromEntries((calls[0].args[0].input.MetricData ?? []).map((datum) => [datum.MetricName, datum]));
}

const values = (data: Record<string, MetricDatum>) => Object.fromEntries(Object.entries(data).map(([name, datum]) => [name, datum.Value]));

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
  secrets.reset();
  dynamo.reset();
  buildProbes.mockReset();
  clearDatabaseCredentialsCache();
  secrets.on(GetSecretValueCommand, { SecretId: ENV.DB_SECRET_ARN }).resolves({ SecretString: JSON.stringify({ username: 'monitor', password: 's3cret' }) });
  describeAs(ENV.PRIMARY_DB_INSTANCE_ID, 'available');
  describeAs(ENV.REPLICA_DB_INSTANCE_ID, 'available');
  dynamo.on(GetItemCommand).resolves({ Item: failoverItem('aborted', false) });
  cloudWatch.on(PutMetricDataCommand).resolves({});
});

/** What one cycle publishes when both databases answer but the primary region's RDS API does not. */
const PRIMARY_API_SILENT = {
  PrimaryReachable: 1,
  PrimaryWritable: 1,
  ReplicaReachable: 1,
  PrimaryAvailable: 0,
  ReplicaAvailable: 1,
  PrimaryFailedState: 0,
  PrimaryRoutineState: 0,
  PrimaryApiUnreachable: 1,
  ReplicationLagSeconds: 0.05,
  FailedOver: 0,
  WriterProtected: 1,
  MonitorErrors: 1,
};

test('a healthy run publishes every metric with its unit and the environment dimension', async () => {
  const probes = fakeProbes();

  const summary = await handler();

  const data = published();
  expect(values(data)).toEqual({
    PrimaryReachable: 1,
    PrimaryWritable: 1,
    ReplicaReachable: 1,
    PrimaryAvailable: 1,
    ReplicaAvailable: 1,
    PrimaryFailedState: 0,
    PrimaryRoutineState: 0,
    PrimaryApiUnreachable: 0,
    ReplicationLagSeconds: 0.05,
    FailedOver: 0,
    WriterProtected: 1,
    MonitorErrors: 0,
  });
  expect(Object.fromEntries(Object.entries(data).map(([name, datum]) => [name, datum.Unit]))).toEqual({
    PrimaryReachable: 'Count',
    PrimaryWritable: 'Count',
    ReplicaReachable: 'Count',
    PrimaryAvailable: 'Count',
    ReplicaAvailable: 'Count',
    PrimaryFailedState: 'Count',
    PrimaryRoutineState: 'Count',
    PrimaryApiUnreachable: 'Count',
    ReplicationLagSeconds: 'Seconds',
    FailedOver: 'Count',
    WriterProtected: 'Count',
    MonitorErrors: 'Count',
  });
  for (const datum of Object.values(data)) expect(datum.Dimensions).toEqual([{ Name: 'EnvironmentSuffix', Value: 'test' }]);
  // The commit is dated when the heartbeat write started (the evidence a lease expiry is compared with), not when published.
  expect(data.PrimaryWritable.Timestamp!.getTime()).toBeLessThanOrEqual(data.PrimaryReachable.Timestamp!.getTime());
  expect(summary).toEqual({ metrics: values(data), errors: [] });
  expect(probes.measureLag).toHaveBeenCalledWith(HEARTBEAT_LSN);
});

test('databases are reached over verified TLS with the secret\'s credentials and a short timeout', async () => {
  fakeProbes();

  await handler();

  const target = (host: string) => ({ host, port: 5432, database: 'payments', user: 'monitor', password: 's3cret', ssl: { rejectUnauthorized: true } });
  expect(buildProbes).toHaveBeenCalledWith({ primary: target(ENV.PRIMARY_DB_ENDPOINT), replica: target(ENV.REPLICA_DB_ENDPOINT), timeoutMs: 5000 });
});

test('each instance is described in its own region', async () => {
  fakeProbes();

  await handler();

  const regions = Object.fromEntries(
    await Promise.all(
      rds.commandCalls(DescribeDBInstancesCommand).map(async (call) => [call.args[0].input.DBInstanceIdentifier, await (call.thisValue as RDSClient).config.region()]),
    ),
  );
  expect(regions).toEqual({ [ENV.PRIMARY_DB_INSTANCE_ID]: 'us-east-1', [ENV.REPLICA_DB_INSTANCE_ID]: 'us-east-2' });
  expect(dynamo.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
    TableName: ENV.FAILOVER_STATE_TABLE,
    Key: { pk: { S: 'failover' } },
    ConsistentRead: true,
  });
});

test('an unreachable primary publishes PrimaryReachable=0, skips the heartbeat and still publishes the rest', async () => {
  const probes = fakeProbes({
    probePrimary: jest.fn().mockResolvedValue({ reachable: false, latencyMs: 5000, error: 'timeout expired' }),
    measureLag: jest.fn().mockResolvedValue({ lagSeconds: 42, method: 'heartbeat-age' }),
  });

  await handler();

  expect(values(published())).toEqual({
    PrimaryReachable: 0,
    PrimaryWritable: 0,
    ReplicaReachable: 1,
    PrimaryAvailable: 1,
    ReplicaAvailable: 1,
    PrimaryFailedState: 0,
    PrimaryRoutineState: 0,
    PrimaryApiUnreachable: 0,
    ReplicationLagSeconds: 42,
    FailedOver: 0,
    WriterProtected: 1,
    MonitorErrors: 0,
  });
  expect(probes.writeHeartbeat).not.toHaveBeenCalled();
  expect(probes.measureLag).toHaveBeenCalledWith(undefined);
});

test('an RDS API failure publishes PrimaryApiUnreachable=1 (no evidence either way), PrimaryAvailable=0 and counts a monitor error', async () => {
  fakeProbes();
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: ENV.PRIMARY_DB_INSTANCE_ID }).rejects(new Error('connect ETIMEDOUT rds.us-east-1.amazonaws.com'));

  const summary = await handler();

  expect(values(published())).toEqual(PRIMARY_API_SILENT);
  expect(summary.errors).toEqual([expect.stringMatching(/^describe writer rds-payments-primary-test: .*ETIMEDOUT/)]);
});

test('a missing replica instance and a failed status both count as unavailable; the failed state is evidence', async () => {
  fakeProbes();
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: ENV.REPLICA_DB_INSTANCE_ID }).rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
  describeAs(ENV.PRIMARY_DB_INSTANCE_ID, 'storage-full');

  const summary = await handler();

  expect(values(published())).toMatchObject({
    PrimaryAvailable: 0, ReplicaAvailable: 0, PrimaryFailedState: 1, PrimaryRoutineState: 0, PrimaryApiUnreachable: 0, MonitorErrors: 1,
  });
  expect(summary.errors).toEqual([expect.stringMatching(/^describe replica rds-payments-replica-test: /)]);
});

/** A re-protection's replica takes the configured name of its region (the old writer renamed away first). */
const REPROTECTION = { writer: { side: 'dr', instanceId: ENV.REPLICA_DB_INSTANCE_ID }, target: { side: 'primary', instanceId: ENV.PRIMARY_DB_INSTANCE_ID } };

test.each([
  ['the failedOver flag is set', failoverItem('in_progress', true), 1],
  ['the failover completed (even without the flag)', failoverItem('completed', false), 1],
  ['a failover is under way but DNS not switched', failoverItem('in_progress', false), 0],
  ['the estate was re-protected after a failover (the flag carried over)', failoverItem('completed', true, { mode: 'reprotect', reprotect: REPROTECTION }), 1],
  // Issue 11: the fail-back pointed the PRIMARY record at the new primary-region writer and withdrew the signal; a 1
  // here would keep that record unhealthy and send the writer name back to the fenced DR database.
  ['a fail-back toward the re-protection replica completed (it withdrew the signal)', failoverItem('completed', false, {
    mode: 'switchover', pair: { writer: REPROTECTION.writer, replica: REPROTECTION.target },
  }), 0],
])('FailedOver is re-published from the state table when %s', async (_, item, expected) => {
  fakeProbes();
  dynamo.on(GetItemCommand).resolves({ Item: item });

  await handler();

  expect(published().FailedOver.Value).toBe(expected);
});

test.each([
  ['nothing failed over (the configured DR replica protects the primary)', undefined, 1],
  ['a failover promoted the replica', failoverItem('completed', true), 0],
  ['the promotion was requested (the replica may already write)', failoverItem('in_progress', true, { promoteRequestedAt: '2026-11-30T10:00:00.000Z' }), 0],
  ['a failover was aborted before any promotion', failoverItem('aborted', false), 1],
  ['a re-protection is still waiting for its replica', failoverItem('in_progress', true, { mode: 'reprotect', reprotect: REPROTECTION }), 0],
  ['a re-protection completed', failoverItem('completed', true, { mode: 'reprotect', reprotect: REPROTECTION }), 1],
])('WriterProtected: %s', async (_, item, expected) => {
  fakeProbes();
  dynamo.on(GetItemCommand).resolves(item ? { Item: item } : {});

  await handler();

  expect(published().WriterProtected.Value).toBe(expected);
});

test('FailedOver is 0 when there is no failover item', async () => {
  fakeProbes();
  dynamo.on(GetItemCommand).resolves({});

  await handler();

  expect(published().FailedOver.Value).toBe(0);
});

test('a malformed failover item is an error, not a "no failover"', async () => {
  fakeProbes();
  dynamo.on(GetItemCommand).resolves({ Item: { pk: { S: 'failover' }, status: { S: 'completed' } } });

  const summary = await handler();

  expect(published().FailedOver).toBeUndefined();
  expect(summary.errors).toEqual([expect.stringMatching(/^read failover state: .*malformed/)]);
});

test('FailedOver is omitted, not guessed, when the state table does not answer', async () => {
  fakeProbes();
  dynamo.on(GetItemCommand).rejects(new Error('ResourceNotFoundException'));

  const summary = await handler();

  const data = published();
  expect(data.FailedOver).toBeUndefined();
  expect(data.WriterProtected).toBeUndefined();
  expect(values(data)).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, ReplicationLagSeconds: 0.05, MonitorErrors: 1 });
  expect(summary.errors).toEqual([expect.stringMatching(/^read failover state: /)]);
});

test('a promoted replica publishes no lag and no error', async () => {
  fakeProbes({
    probeReplica: jest.fn().mockResolvedValue(up(false)),
    measureLag: jest.fn().mockRejectedValue(new NotInRecoveryError()),
  });

  const summary = await handler();

  const data = published();
  expect(data.ReplicationLagSeconds).toBeUndefined();
  expect(values(data)).toMatchObject({ ReplicaReachable: 1, MonitorErrors: 0 });
  expect(summary.errors).toEqual([]);
});

test('an unreachable replica publishes ReplicaReachable=0 and no lag', async () => {
  const probes = fakeProbes({ probeReplica: jest.fn().mockResolvedValue({ reachable: false, latencyMs: 3, error: 'ECONNREFUSED' }) });

  await handler();

  const data = published();
  expect(data.ReplicationLagSeconds).toBeUndefined();
  expect(values(data)).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 0, MonitorErrors: 0 });
  expect(probes.writeHeartbeat).toHaveBeenCalled();
  expect(probes.measureLag).not.toHaveBeenCalled();
});

test('a failed heartbeat is an error and lag falls back to the replica\'s own evidence', async () => {
  const probes = fakeProbes({ writeHeartbeat: jest.fn().mockRejectedValue(new Error('25006: cannot execute INSERT in a read-only transaction')) });

  const summary = await handler();

  expect(probes.measureLag).toHaveBeenCalledWith(undefined);
  expect(values(published())).toMatchObject({ PrimaryReachable: 1, ReplicationLagSeconds: 0.05, MonitorErrors: 1 });
  expect(summary.errors).toEqual([expect.stringMatching(/^write heartbeat on primary: 25006/)]);
});

test('unreadable credentials make both databases unreachable but the control-plane metrics still go out', async () => {
  fakeProbes();
  secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));

  const summary = await handler();

  expect(values(published())).toEqual({
    PrimaryReachable: 0,
    PrimaryWritable: 0,
    ReplicaReachable: 0,
    PrimaryAvailable: 1,
    ReplicaAvailable: 1,
    PrimaryFailedState: 0,
    PrimaryRoutineState: 0,
    PrimaryApiUnreachable: 0,
    FailedOver: 0,
    WriterProtected: 1,
    MonitorErrors: 1,
  });
  expect(buildProbes).not.toHaveBeenCalled();
  expect(summary.errors).toEqual([expect.stringMatching(/^read database credentials: .*AccessDenied/)]);
});

test('a failure to publish the metrics fails the invocation', async () => {
  fakeProbes();
  cloudWatch.on(PutMetricDataCommand).rejects(new Error('Throttling'));

  await expect(handler()).rejects.toThrow('Throttling');
});


describe('every check has its own deadline', () => {
  afterEach(() => jest.useRealTimers());
  const never = () => new Promise<never>(() => undefined);

  test('defect 6, no deadlines: a hanging DescribeDBInstances ends at its deadline and the cycle still publishes', async () => {
    jest.useFakeTimers();
    const probes = fakeProbes();
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: ENV.PRIMARY_DB_INSTANCE_ID }).callsFake(never);

    const run = handler();
    await jest.advanceTimersByTimeAsync(DEFAULT_MONITOR_DEADLINES.apiMs);
    const summary = await run;

    expect(values(published())).toEqual(PRIMARY_API_SILENT);
    expect(summary.errors).toEqual([`describe writer ${ENV.PRIMARY_DB_INSTANCE_ID}: describe writer ${ENV.PRIMARY_DB_INSTANCE_ID} did not answer within ${DEFAULT_MONITOR_DEADLINES.apiMs} ms`]);
    // The other checks did not wait for it: the heartbeat and lag ran on the same cycle.
    expect(probes.writeHeartbeat).toHaveBeenCalled();
  });

  test('defect 6: a hanging probe, state table and secret each end at their own deadline; control-plane metrics still go out', async () => {
    jest.useFakeTimers();
    fakeProbes({ probePrimary: jest.fn(never) });
    dynamo.on(GetItemCommand).callsFake(never);

    const run = handler();
    await jest.advanceTimersByTimeAsync(DEFAULT_MONITOR_DEADLINES.probeMs + DEFAULT_MONITOR_DEADLINES.heartbeatMs + DEFAULT_MONITOR_DEADLINES.lagMs);
    const summary = await run;

    const data = values(published());
    expect(data).toMatchObject({ PrimaryReachable: 0, ReplicaReachable: 1, PrimaryAvailable: 1, PrimaryApiUnreachable: 0, MonitorErrors: 2 });
    expect(data.FailedOver).toBeUndefined();
    expect(summary.errors).toEqual([
      `read failover state: read failover state did not answer within ${DEFAULT_MONITOR_DEADLINES.stateMs} ms`,
      `probe primary: probe primary did not answer within ${DEFAULT_MONITOR_DEADLINES.probeMs} ms`,
    ]);

    secrets.on(GetSecretValueCommand).callsFake(never);
    clearDatabaseCredentialsCache();
    cloudWatch.resetHistory();
    const second = handler();
    await jest.advanceTimersByTimeAsync(DEFAULT_MONITOR_DEADLINES.credentialsMs + DEFAULT_MONITOR_DEADLINES.apiMs);
    expect((await second).errors).toEqual(expect.arrayContaining([
      `read database credentials: read database credentials did not answer within ${DEFAULT_MONITOR_DEADLINES.credentialsMs} ms`,
    ]));
    expect(values(published())).toMatchObject({ PrimaryReachable: 0, ReplicaReachable: 0, PrimaryAvailable: 1, ReplicaAvailable: 1 });
  });
});

describe('control-plane states are classified, not read as "available or down"', () => {
  test('defect 2, routine states: storage-optimization counts as serving, not down', async () => {
    fakeProbes();
    describeAs(ENV.PRIMARY_DB_INSTANCE_ID, 'storage-optimization');
    describeAs(ENV.REPLICA_DB_INSTANCE_ID, 'backing-up');

    const summary = await handler();

    expect(values(published())).toMatchObject({
      PrimaryAvailable: 1, ReplicaAvailable: 1, PrimaryFailedState: 0, PrimaryRoutineState: 1, PrimaryApiUnreachable: 0, MonitorErrors: 0,
    });
    expect(summary.errors).toEqual([]);
  });

  test.each(['stopped', 'failed', 'inaccessible-encryption-credentials'])('%s is a failed state: evidence of an outage', async (status) => {
    fakeProbes();
    describeAs(ENV.PRIMARY_DB_INSTANCE_ID, status);

    await handler();

    expect(values(published())).toMatchObject({ PrimaryAvailable: 0, PrimaryFailedState: 1, PrimaryRoutineState: 0, PrimaryApiUnreachable: 0 });
  });
});

describe('one definition of "reachable": the server answered', () => {
  test('53300 counts as reachable', async () => {
    const probes = fakeProbes({ probePrimary: jest.fn().mockResolvedValue({ reachable: false, latencyMs: 8, error: '53300: sorry, too many clients already' }) });

    const summary = await handler();

    expect(values(published())).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, MonitorErrors: 0 });
    // Alive but no session: no heartbeat this cycle, and no secret re-read (not an authentication failure).
    expect(probes.writeHeartbeat).not.toHaveBeenCalled();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(summary.errors).toEqual([]);
  });

  test('57P03 (starting up) on the replica counts as reachable; a refused connection does not', async () => {
    fakeProbes({
      probePrimary: jest.fn().mockResolvedValue({ reachable: false, latencyMs: 3, error: 'ECONNREFUSED: connect ECONNREFUSED 10.1.2.3:5432' }),
      probeReplica: jest.fn().mockResolvedValue({ reachable: false, latencyMs: 3, error: '57P03: the database system is starting up' }),
    });

    await handler();

    expect(values(published())).toMatchObject({ PrimaryReachable: 0, ReplicaReachable: 1 });
  });
});

describe('password rotation', () => {
  const rotatedSecret = () => secrets.on(GetSecretValueCommand, { SecretId: ENV.DB_SECRET_ARN })
    .resolvesOnce({ SecretString: JSON.stringify({ username: 'monitor', password: 'old' }) })
    .resolves({ SecretString: JSON.stringify({ username: 'monitor', password: 'rotated' }) });
  const refused = { reachable: false, latencyMs: 20, error: '28P01: password authentication failed for user "monitor"' };

  test('defect 12, rotation blinds the monitor: 28P01 then success after re-reading the secret', async () => {
    rotatedSecret();
    const stale = fakeProbes({ probePrimary: jest.fn().mockResolvedValue(refused), probeReplica: jest.fn().mockResolvedValue(refused) });
    const fresh = fakeProbes();
    buildProbes.mockImplementation(({ primary }) => ((primary as DatabaseTarget).password === 'rotated' ? fresh : stale));

    const summary = await handler();

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(buildProbes.mock.calls.map(([targets]) => (targets.primary as DatabaseTarget).password)).toEqual(['old', 'rotated']);
    expect(values(published())).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, ReplicationLagSeconds: 0.05, MonitorErrors: 0 });
    expect(fresh.writeHeartbeat).toHaveBeenCalled();
    expect(fresh.measureLag).toHaveBeenCalledWith(HEARTBEAT_LSN);
    expect(stale.writeHeartbeat).not.toHaveBeenCalled();
    expect(summary.errors).toEqual([]);

    // The fresh credentials are cached: the next cycle reads nothing.
    cloudWatch.resetHistory();
    await handler();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('still refused after re-reading the secret once: the server is alive (reachable) and the refusal is an error', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'monitor', password: 'wrong' }) });
    fakeProbes({ probePrimary: jest.fn().mockResolvedValue(refused) });

    const summary = await handler();

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(values(published())).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, MonitorErrors: 1 });
    expect(summary.errors).toEqual([expect.stringMatching(/^probe primary: 28P01: .*still refused after re-reading the secret/)]);
  });
});

describe('cold-start validation of the environment', () => {
  const loadWith = (env: Record<string, string | undefined>) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
    try {
      jest.isolateModules(() => require('../../../functions/replication-monitor/handler'));
    } finally {
      process.env = saved;
    }
  };

  test('a missing variable fails with its name', () => {
    expect(() => loadWith({ DB_SECRET_ARN: undefined, REPLICA_DB_ENDPOINT: '' })).toThrow(
      'replication-monitor: missing environment variable(s): REPLICA_DB_ENDPOINT, DB_SECRET_ARN',
    );
  });

  test('a non-numeric port is rejected by name', () => {
    expect(() => loadWith({ DB_PORT: 'postgres' })).toThrow('DB_PORT must be an integer from 1 to 65535, got "postgres"');
  });
});

// Issue 11: after a failover and a re-protection the alarms must watch the new pair, not the fenced old primary. Kept
// last in this file: the handler remembers the roles of its last run (a warm container) and the silent-table test
// relies on the run before it.
describe('the monitor measures the writer and replica the failover state names', () => {
  const target = (host: string) => ({ host, port: 5432, database: 'payments', user: 'monitor', password: 's3cret', ssl: { rejectUnauthorized: true } });
  const describedIn = async () => Object.fromEntries(await Promise.all(
    rds.commandCalls(DescribeDBInstancesCommand).map(async (call) => [call.args[0].input.DBInstanceIdentifier, await (call.thisValue as RDSClient).config.region()]),
  ));

  test('after a failover: the promoted DR instance is the writer, no replica answers, no lag, WriterProtected=0', async () => {
    const probes = fakeProbes({ probePrimary: jest.fn().mockResolvedValue(up(false)) });
    dynamo.on(GetItemCommand).resolves({ Item: failoverItem('completed', true) });

    const summary = await handler();

    // The configured replica (REPLICA_DB_INSTANCE_ID) is the writer now: probed at its own endpoint, described in the DR region.
    expect(buildProbes).toHaveBeenCalledWith({ primary: target(ENV.REPLICA_DB_ENDPOINT), timeoutMs: 5000 });
    expect(await describedIn()).toEqual({ [ENV.REPLICA_DB_INSTANCE_ID]: 'us-east-2' });
    expect(values(published())).toEqual({
      PrimaryReachable: 1, PrimaryWritable: 1, ReplicaReachable: 0, PrimaryAvailable: 1, ReplicaAvailable: 0, PrimaryFailedState: 0, PrimaryRoutineState: 0,
      PrimaryApiUnreachable: 0, FailedOver: 1, WriterProtected: 0, MonitorErrors: 0,
    });
    expect(probes.probeReplica).not.toHaveBeenCalled();
    expect(probes.measureLag).not.toHaveBeenCalled();
    expect(summary.errors).toEqual([]);
  });

  test('after a re-protection: the DR writer and its replica under the primary\'s name (same endpoint), with lag; no other instance is asked', async () => {
    const probes = fakeProbes();
    dynamo.on(GetItemCommand).resolves({ Item: failoverItem('completed', true, { mode: 'reprotect', reprotect: REPROTECTION }) });

    const summary = await handler();

    // Roles swapped: the DR instance writes, the primary-region instance replicates; both at their configured endpoints.
    expect(buildProbes).toHaveBeenCalledWith({ primary: target(ENV.REPLICA_DB_ENDPOINT), replica: target(ENV.PRIMARY_DB_ENDPOINT), timeoutMs: 5000 });
    expect(await describedIn()).toEqual({ [ENV.REPLICA_DB_INSTANCE_ID]: 'us-east-2', [ENV.PRIMARY_DB_INSTANCE_ID]: 'us-east-1' });
    expect(values(published())).toEqual({
      PrimaryReachable: 1, PrimaryWritable: 1, ReplicaReachable: 1, PrimaryAvailable: 1, ReplicaAvailable: 1, PrimaryFailedState: 0, PrimaryRoutineState: 0,
      PrimaryApiUnreachable: 0, ReplicationLagSeconds: 0.05, FailedOver: 1, WriterProtected: 1, MonitorErrors: 0,
    });
    expect(probes.measureLag).toHaveBeenCalledWith(HEARTBEAT_LSN);
    expect(summary.errors).toEqual([]);
  });

  test('a silent state table keeps the roles of the last run (a warm container), not the configured pair', async () => {
    jest.useFakeTimers();
    try {
      fakeProbes();
      dynamo.on(GetItemCommand).callsFake(() => new Promise(() => undefined));
      const run = handler();
      await jest.advanceTimersByTimeAsync(DEFAULT_MONITOR_DEADLINES.stateMs);
      await run;
    } finally {
      jest.useRealTimers();
    }

    // The run before this one saw the re-protected pair.
    expect(await describedIn()).toEqual({ [ENV.REPLICA_DB_INSTANCE_ID]: 'us-east-2', [ENV.PRIMARY_DB_INSTANCE_ID]: 'us-east-1' });
    expect(values(published())).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, MonitorErrors: 1 });
    expect(published().FailedOver).toBeUndefined();
  });
});

test('a database the state names that is not one of the two instances fails only its own probe (no endpoint, no API call)', async () => {
  fakeProbes();
  dynamo.on(GetItemCommand).resolves({ Item: failoverItem('completed', true, {
    mode: 'reprotect', reprotect: { writer: REPROTECTION.writer, target: { side: 'primary', instanceId: 'paydb-someone-else' } },
  }) });

  await handler();

  const [[targets]] = buildProbes.mock.calls;
  expect(targets.primary).toEqual({ host: ENV.REPLICA_DB_ENDPOINT, port: 5432, database: 'payments', user: 'monitor', password: 's3cret', ssl: { rejectUnauthorized: true } });
  await expect((targets.replica as () => Promise<unknown>)()).rejects.toThrow(/paydb-someone-else \(primary region\) is not one of the estate's two instances/);
});
