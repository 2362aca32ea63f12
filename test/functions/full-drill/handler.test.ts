import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateDBInstanceReadReplicaCommand, DeleteDBInstanceCommand, DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient,
} from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { DrillDatabase, FullDrillReport, FullDrillState } from '../../../functions/core/drill-full';
import { postgresDrillDatabase } from '../../../functions/full-drill/postgres-drill-database';

jest.mock('../../../functions/full-drill/postgres-drill-database');

const ACCOUNT = '111111111111';
const ENV = {
  ENVIRONMENT_SUFFIX: 'test',
  METRIC_NAMESPACE: 'PaymentsDR',
  DR_REGION: 'us-east-2',
  PRIMARY_DB_ENDPOINT: 'paydb-primary-db-test.abc.us-east-1.rds.amazonaws.com',
  PRIMARY_DB_INSTANCE_ARN: `arn:aws:rds:us-east-1:${ACCOUNT}:db:paydb-primary-db-test`,
  DB_PORT: '5432',
  DB_NAME: 'payments',
  DB_SECRET_ARN: `arn:aws:secretsmanager:us-east-2:${ACCOUNT}:secret:paydb-db-credentials-test-AbCdEf`,
  ALERT_TOPIC_ARN: `arn:aws:sns:us-east-2:${ACCOUNT}:paydb-dr-alerts-test`,
  RUNBOOK_URL: 'https://runbooks.example.com/drill-cleanup-failed.md',
  FAILOVER_STATE_TABLE: 'paydb-failover-state-test',
  DRILL_INSTANCE_PREFIX: 'paydb-drill-test-',
  DRILL_INSTANCE_CLASS: 'db.r6g.large',
  DRILL_KMS_KEY_ARN: `arn:aws:kms:us-east-2:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  DRILL_SUBNET_GROUP: 'paydb-dr-replica-db-test-subnets',
  DRILL_SECURITY_GROUP_ID: 'sg-0replica',
  DRILL_PARAMETER_GROUP: 'paydb-dr-replica-db-test-params',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
const database: jest.Mocked<DrillDatabase> = { writeMarker: jest.fn(), hasMarker: jest.fn(), writeAndRead: jest.fn() };
jest.mocked(postgresDrillDatabase).mockReturnValue(database);
Object.assign(process.env, ENV);
// Loaded after the environment is in place: the handler validates it at module load (cold start).
const { handler } = require('../../../functions/full-drill/handler') as typeof import('../../../functions/full-drill/handler');

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
mockClient(SecretsManagerClient);

const ID = 'paydb-drill-test-20261121030000';
const STARTED: FullDrillState = { runId: ID, instanceId: ID, startedAt: '2026-11-21T03:00:00.000Z' };
const notFound = () => Object.assign(new Error(`DBInstance ${ID} not found`), { name: 'DBInstanceNotFoundFault' });

beforeEach(() => {
  for (const client of [rds, cloudWatch, dynamo, sns]) client.reset();
  cloudWatch.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  dynamo.on(GetItemCommand).resolves({});
  jest.useFakeTimers({ now: new Date('2026-11-21T03:00:00Z'), doNotFake: ['setTimeout', 'setImmediate', 'nextTick', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

describe('full drill tasks', () => {
  it('start: names the disposable instance after the prefix and the time', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'paydb-dr-replica-db-test' }] });
    await expect(handler({ task: 'start' })).resolves.toEqual(STARTED);
  });

  it.each([
    ['a failover is in progress', () => {
      const state = { runId: 'run-1', status: 'in_progress' };
      dynamo.on(GetItemCommand).resolves({ Item: { pk: { S: 'failover' }, status: { S: 'in_progress' }, state: { S: JSON.stringify(state) } } });
    }, 'no drill: failover run-1 is in progress'],
    ['another drill instance exists', () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'paydb-drill-test-20261114030000' }] });
    }, 'another drill instance exists (running drill or failed cleanup): paydb-drill-test-20261114030000'],
  ])('start: refuses when %s, before creating anything', async (_case, arrange, message) => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    arrange();
    await expect(handler({ task: 'start' })).rejects.toMatchObject({ name: 'DrillRefused', message: expect.stringContaining(message) });
    expect(rds.commandCalls(CreateDBInstanceReadReplicaCommand)).toHaveLength(0);
  });

  it('create: an encrypted, small, single-AZ, tagged replica of the primary in the DR replica\'s network', async () => {
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});
    await expect(handler({ task: 'create', drill: STARTED })).resolves.toEqual(STARTED);
    expect(rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: ID,
      SourceDBInstanceIdentifier: ENV.PRIMARY_DB_INSTANCE_ARN,
      KmsKeyId: ENV.DRILL_KMS_KEY_ARN,
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: ENV.DRILL_SUBNET_GROUP,
      VpcSecurityGroupIds: [ENV.DRILL_SECURITY_GROUP_ID],
      DBParameterGroupName: ENV.DRILL_PARAMETER_GROUP,
      MultiAZ: false,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      DeletionProtection: false,
      Tags: [{ Key: 'drill', Value: 'true' }, { Key: 'Name', Value: ID }],
    });
  });

  it('refuses to act on an instance outside the drill prefix (production is out of reach)', async () => {
    for (const task of ['create', 'promote', 'cleanup']) {
      await expect(handler({ task, drill: { ...STARTED, instanceId: 'paydb-dr-replica-db-test' } })).rejects.toThrow('does not start with the drill prefix paydb-drill-test-');
    }
    expect(rds.calls()).toHaveLength(0);
  });

  it('awaitAvailable: not ready while creating, then carries the endpoint', async () => {
    rds.on(DescribeDBInstancesCommand).resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'creating', ReadReplicaSourceDBInstanceIdentifier: 'src' }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'src', Endpoint: { Address: 'drill.rds' } }] });
    await expect(handler({ task: 'awaitAvailable', drill: STARTED })).rejects.toMatchObject({ name: 'DrillNotReady', message: `drill instance ${ID} is creating` });
    await expect(handler({ task: 'awaitAvailable', drill: STARTED })).resolves.toEqual({ ...STARTED, endpoint: 'drill.rds' });
  });

  it('writeMarker + awaitMarker: measure the time until the copy has replayed the marker', async () => {
    database.writeMarker.mockResolvedValue(new Date('2026-11-21T03:20:00.000Z'));
    const marked = await handler({ task: 'writeMarker', drill: { ...STARTED, endpoint: 'drill.rds' } }) as FullDrillState;
    expect(marked.markerWrittenAt).toBe('2026-11-21T03:20:00.000Z');

    database.hasMarker.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    await expect(handler({ task: 'awaitMarker', drill: marked })).rejects.toMatchObject({ name: 'DrillNotReady' });
    jest.setSystemTime(new Date('2026-11-21T03:20:04.000Z'));
    await expect(handler({ task: 'awaitMarker', drill: marked })).resolves.toMatchObject({ markerSeenAt: '2026-11-21T03:20:04.000Z' });
    expect(database.hasMarker).toHaveBeenLastCalledWith('drill.rds', new Date('2026-11-21T03:20:00.000Z'));
  });

  it('promote: promotes only the drill instance, keeping backups like a real failover', async () => {
    rds.on(PromoteReadReplicaCommand).resolves({});
    await expect(handler({ task: 'promote', drill: STARTED })).resolves.toMatchObject({ promotionStartedAt: '2026-11-21T03:00:00.000Z' });
    expect(rds.commandCalls(PromoteReadReplicaCommand).map((call) => call.args[0].input)).toEqual([{ DBInstanceIdentifier: ID, BackupRetentionPeriod: 1 }]);
  });

  it('awaitWritable: not ready while still a replica or read-only, then writable', async () => {
    const drill = { ...STARTED, endpoint: 'drill.rds', promotionStartedAt: '2026-11-21T03:00:00.000Z' };
    rds.on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: 'src' }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'available', Endpoint: { Address: 'drill.rds' } }] });
    database.writeAndRead.mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    await expect(handler({ task: 'awaitWritable', drill })).rejects.toMatchObject({ name: 'DrillNotReady', message: `drill instance ${ID} is modifying` });
    await expect(handler({ task: 'awaitWritable', drill })).rejects.toMatchObject({ name: 'DrillNotReady', message: 'promoted copy is still read-only' });
    jest.setSystemTime(new Date('2026-11-21T03:06:30.000Z'));
    await expect(handler({ task: 'awaitWritable', drill })).resolves.toMatchObject({ writableAt: '2026-11-21T03:06:30.000Z' });
    expect(database.writeAndRead).toHaveBeenLastCalledWith('drill.rds', ID);
  });

  it('cleanup: deletes without snapshot; absent counts as clean; retries while RDS refuses', async () => {
    rds.on(DeleteDBInstanceCommand).resolvesOnce({}).rejectsOnce(notFound())
      .rejects(Object.assign(new Error('busy'), { name: 'InvalidDBInstanceStateFault' }));
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'modifying' }] });
    await expect(handler({ task: 'cleanup', drill: STARTED })).resolves.toMatchObject({ cleanup: 'deleting' });
    await expect(handler({ task: 'cleanup', drill: STARTED })).resolves.toMatchObject({ cleanup: 'absent' });
    await expect(handler({ task: 'cleanup', drill: STARTED })).rejects.toMatchObject({ name: 'DrillNotReady', message: `drill instance ${ID} cannot be deleted while modifying` });
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
  });

  it('report: a successful drill publishes RTO, RPO and success', async () => {
    const drill: FullDrillState = {
      ...STARTED, markerWrittenAt: '2026-11-21T03:20:00.000Z', markerSeenAt: '2026-11-21T03:20:04.000Z',
      promotionStartedAt: '2026-11-21T03:21:00.000Z', writableAt: '2026-11-21T03:27:30.000Z', cleanup: 'deleting',
    };
    const report = await handler({ task: 'report', drill }) as FullDrillReport;
    expect(report).toMatchObject({ succeeded: true, rtoSeconds: 390, rpoSeconds: 4 });
    const data = cloudWatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData ?? [];
    expect(data.map((datum) => [datum.MetricName, datum.Value, datum.Unit])).toEqual([
      ['DrillSucceeded', 1, 'Count'], ['DrillRtoSeconds', 390, 'Seconds'], ['DrillRpoSeconds', 4, 'Seconds'],
    ]);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe('[test] Full DR drill: SUCCEEDED');
  });

  it('after a failed step: cleanup still deletes the copy and the report says what failed', async () => {
    // The state machine's Catch adds `error` and routes to cleanup, then report.
    const failedAt: FullDrillState = {
      ...STARTED, endpoint: 'drill.rds', promotionStartedAt: '2026-11-21T03:21:00.000Z',
      error: { Error: 'States.Timeout', Cause: '{"errorMessage":"promotion did not finish"}' },
    };
    rds.on(DeleteDBInstanceCommand).resolves({});
    const cleaned = await handler({ task: 'cleanup', drill: failedAt }) as FullDrillState;
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0].args[0].input.DBInstanceIdentifier).toBe(ID);

    const report = await handler({ task: 'report', drill: cleaned }) as FullDrillReport;
    expect(report.succeeded).toBe(false);
    expect(report.message).toContain('Failure: States.Timeout: promotion did not finish');
    expect(report.message).toContain(`Disposable instance ${ID}: deleting`);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.map((datum) => [datum.MetricName, datum.Value])).toEqual([['DrillSucceeded', 0]]);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe('[test] Full DR drill: FAILED');
  });

  it('report after a failed cleanup tells the operator to delete the copy by hand', async () => {
    const report = await handler({ task: 'report', drill: { ...STARTED, error: { Error: 'DrillNotReady', Cause: 'gave up' } } }) as FullDrillReport;
    expect(report.message).toContain(`Disposable instance ${ID}: CLEANUP FAILED — delete it by hand`);
  });

  it('rejects malformed events', async () => {
    await expect(handler({ task: 'explode' })).rejects.toThrow('task must be one of start, create');
    await expect(handler({ task: 'promote' })).rejects.toThrow('task promote needs the drill state with an instanceId');
  });
});

describe('full drill configuration', () => {
  const { readFullDrillConfig } = require('../../../functions/full-drill/config') as typeof import('../../../functions/full-drill/config');

  it('names every missing variable and rejects a bad prefix', () => {
    expect(() => readFullDrillConfig({ ...ENV, DRILL_KMS_KEY_ARN: '' })).toThrow('full-drill: missing environment variable(s): DRILL_KMS_KEY_ARN');
    expect(() => readFullDrillConfig({ ...ENV, DRILL_INSTANCE_PREFIX: '1drill' })).toThrow('DRILL_INSTANCE_PREFIX must be a valid RDS identifier start ending in "-"');
  });
});
