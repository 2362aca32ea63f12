import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { GetHealthCheckCommand, ListResourceRecordSetsCommand, NoSuchHealthCheck, Route53Client } from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { SyntheticDrillResult } from '../../../functions/core/drill-readiness';

const ACCOUNT = '111111111111';
const ORCHESTRATOR_ARN = `arn:aws:lambda:us-east-2:${ACCOUNT}:function:paydb-failover-orchestrator-test`;
const ALARMS = ['paydb-replication-lag-test', 'paydb-primary-region-failed-test', 'paydb-failed-over-test'];
const ENV = {
  ENVIRONMENT_SUFFIX: 'test',
  METRIC_NAMESPACE: 'PaymentsDR',
  DR_REGION: 'us-east-2',
  REPLICA_DB_INSTANCE_ID: 'paydb-dr-replica-db-test',
  REPLICA_DB_ENDPOINT: 'paydb-dr-replica-db-test.xyz.us-east-2.rds.amazonaws.com',
  REPLICA_DB_INSTANCE_ARN: `arn:aws:rds:us-east-2:${ACCOUNT}:db:paydb-dr-replica-db-test`,
  PRIMARY_DB_INSTANCE_ARN: `arn:aws:rds:us-east-1:${ACCOUNT}:db:paydb-primary-db-test`,
  ALERT_TOPIC_ARN: `arn:aws:sns:us-east-2:${ACCOUNT}:paydb-dr-alerts-test`,
  RUNBOOK_URL: 'https://runbooks.example.com/README.md',
  FAILOVER_STATE_TABLE: 'paydb-failover-state-test',
  FAILOVER_STATE_TABLE_ARN: `arn:aws:dynamodb:us-east-2:${ACCOUNT}:table/paydb-failover-state-test`,
  HOSTED_ZONE_ID: 'Z0123',
  WRITER_RECORD_NAME: 'writer.db.paydb-test.internal',
  ESTATE_ALARM_NAMES: ALARMS.join(','),
  COMPOSITE_ALARM_NAME: 'paydb-primary-region-failed-test',
  FAILOVER_RULE_NAME: 'paydb-failover-trigger-test',
  ORCHESTRATOR_FUNCTION_ARN: ORCHESTRATOR_ARN,
  ORCHESTRATOR_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/paydb-failover-orchestrator-role-test`,
  MAX_REPLICATION_LAG_SECONDS: '300',
  LAG_LOOKBACK_SECONDS: '540',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
Object.assign(process.env, ENV);
// Loaded after the environment is in place: the handler validates it at module load (cold start).
const { handler } = require('../../../functions/synthetic-drill/handler') as typeof import('../../../functions/synthetic-drill/handler');

const cloudWatch = mockClient(CloudWatchClient);
const rds = mockClient(RDSClient);
const route53 = mockClient(Route53Client);
const iam = mockClient(IAMClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

const replica = (overrides: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceStatus: 'available',
  ReadReplicaSourceDBInstanceIdentifier: ENV.PRIMARY_DB_INSTANCE_ARN,
  StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
  BackupRetentionPeriod: 7,
  InstanceCreateTime: new Date(Date.now() - 30 * 86_400_000),
  ...overrides,
});

/**
 * The replica's automated snapshots as DescribeDBSnapshots returns them. A PostgreSQL read replica reports no
 * LatestRestorableTime (no point-in-time recovery on replicas), so its backups are judged by these.
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html
 */
const snapshotsAt = (...hoursAgo: number[]) => ({
  DBSnapshots: hoursAgo.map((hours) => ({ SnapshotType: 'automated', SnapshotCreateTime: new Date(Date.now() - hours * 3_600_000) })),
});

/** The monitor's series as GetMetricData returns them (newest first), the primary reachable throughout. */
const lagData = (...newestFirst: number[]) => {
  const Timestamps = newestFirst.map((_, index) => new Date(Date.now() - (index + 1) * 60_000));
  return {
    MetricDataResults: [
      { Id: 'lag', Values: newestFirst, Timestamps },
      { Id: 'primaryReachable', Values: newestFirst.map(() => 1), Timestamps },
    ],
  };
};

function healthyEstate(): void {
  for (const client of [cloudWatch, rds, route53, iam, events, dynamo, sns]) client.reset();
  cloudWatch.on(DescribeAlarmsCommand).callsFake(async (input) => ({
    MetricAlarms: input.AlarmNames.filter((name: string) => name !== ENV.COMPOSITE_ALARM_NAME).map((AlarmName: string) => ({ AlarmName, StateValue: 'OK' })),
    CompositeAlarms: input.AlarmNames.filter((name: string) => name === ENV.COMPOSITE_ALARM_NAME).map((AlarmName: string) => ({ AlarmName, StateValue: 'OK' })),
  }));
  cloudWatch.on(GetMetricDataCommand).resolves(lagData(2.5, 1));
  cloudWatch.on(PutMetricDataCommand).resolves({});
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica()] });
  rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: ENV.REPLICA_DB_INSTANCE_ID, SnapshotType: 'automated' }).resolves(snapshotsAt(27, 3));
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: [
      { Name: `${ENV.WRITER_RECORD_NAME}.`, Type: 'CNAME', SetIdentifier: 'primary', Failover: 'PRIMARY', HealthCheckId: 'hc-1', TTL: 30, ResourceRecords: [{ Value: 'primary.rds' }] },
      { Name: `${ENV.WRITER_RECORD_NAME}.`, Type: 'CNAME', SetIdentifier: 'secondary', Failover: 'SECONDARY', TTL: 30, ResourceRecords: [{ Value: ENV.REPLICA_DB_ENDPOINT }] },
      { Name: `reader.db.paydb-test.internal.`, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'x' }] },
    ],
    IsTruncated: false,
    MaxItems: 20,
  });
  route53.on(GetHealthCheckCommand).resolves({ HealthCheck: { Id: 'hc-1', CallerReference: 'r', HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC' }, HealthCheckVersion: 1 } });
  iam.on(SimulatePrincipalPolicyCommand).callsFake(async (input) => ({
    EvaluationResults: [{ EvalActionName: input.ActionNames[0], EvalResourceName: input.ResourceArns[0], EvalDecision: 'allowed' }],
  }));
  events.on(DescribeRuleCommand).resolves({
    Name: ENV.FAILOVER_RULE_NAME, State: 'ENABLED',
    EventPattern: JSON.stringify({ source: ['aws.cloudwatch'], detail: { alarmName: [ENV.COMPOSITE_ALARM_NAME] } }),
  });
  events.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'orchestrator', Arn: ORCHESTRATOR_ARN }] });
  dynamo.on(GetItemCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
}

function failoverItem(status: string) {
  const state = { runId: 'run-7', status, mode: 'failover', trigger: 'alarm:x', failedOver: status === 'completed', version: 2, steps: {}, startedAt: '2026-11-20T10:00:00Z', completedAt: '2026-11-20T10:09:00Z' };
  return { Item: { pk: { S: 'failover' }, status: { S: status }, leaseOwner: { S: 'run-7' }, leaseExpiresAt: { N: '0' }, version: { N: '2' }, failedOver: { BOOL: state.failedOver }, runId: { S: 'run-7' }, state: { S: JSON.stringify(state) } } };
}

async function drill(): Promise<SyntheticDrillResult> {
  const response = await handler({ mode: 'synthetic', trigger: 'pipeline' });
  if (!('checks' in response)) throw new Error(`unexpected rejection: ${JSON.stringify(response)}`);
  return response;
}

function failed(result: SyntheticDrillResult) {
  return result.checks.filter((check) => !check.ok).map((check) => ({ name: check.name, detail: check.detail }));
}

beforeEach(healthyEstate);

describe('synthetic drill', () => {
  it('reports ready with every check passing, publishes DrillReady=1 and sends the report', async () => {
    const result = await drill();

    expect(failed(result)).toEqual([]);
    expect(result.ready).toBe(true);
    expect(result.trigger).toBe('pipeline');
    expect(result.checks.map((check) => check.name)).toEqual([
      'no-alarm-in-alarm', 'no-failover-in-progress', 'replica-available', 'replication-lag', 'replica-backups',
      'failover-records', 'orchestrator-permissions', 'alarm-rule-target-wiring',
    ]);
    expect(result.measured).toMatchObject({ replicationLagSeconds: 2.5, backupRetentionDays: 7, backupAgeHours: 3 });
    const data = cloudWatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData ?? [];
    expect(data.map((datum) => [datum.MetricName, datum.Value, datum.Unit])).toEqual([
      ['DrillReady', 1, 'Count'], ['DrillDurationSeconds', expect.any(Number), 'Seconds'],
    ]);
    expect(data[0].Dimensions).toEqual([{ Name: 'EnvironmentSuffix', Value: 'test' }, { Name: 'Drill', Value: 'synthetic' }]);
    const publish = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(publish.Subject).toBe('[test] Synthetic DR drill: READY');
    expect(publish.Message).toContain('PASS orchestrator-permissions');
  });

  it('reads the lag over LAG_LOOKBACK_SECONDS', async () => {
    await drill();

    const [{ StartTime, EndTime }] = cloudWatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
    expect(EndTime!.getTime() - StartTime!.getTime()).toBe(540_000);
  });

  it('never calls a mutating API', async () => {
    await drill();
    const rdsCommands = rds.calls().map((call) => call.args[0].constructor.name);
    expect(new Set(rdsCommands)).toEqual(new Set(['DescribeDBInstancesCommand', 'DescribeDBSnapshotsCommand']));
    expect(route53.calls().map((call) => call.args[0].constructor.name).sort()).toEqual(['GetHealthCheckCommand', 'ListResourceRecordSetsCommand']);
  });

  it('simulates the orchestrator key actions on their resources, with the metric namespace as condition context', async () => {
    await drill();
    const simulated = iam.commandCalls(SimulatePrincipalPolicyCommand).map((call) => call.args[0].input);
    expect(simulated.map((input) => [input.PolicySourceArn, input.ActionNames?.[0], input.ResourceArns?.[0]])).toEqual([
      [ENV.ORCHESTRATOR_ROLE_ARN, 'rds:DescribeDBInstances', ENV.REPLICA_DB_INSTANCE_ARN],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'rds:PromoteReadReplica', ENV.REPLICA_DB_INSTANCE_ARN],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'rds:ModifyDBInstance', ENV.PRIMARY_DB_INSTANCE_ARN],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'route53:ChangeResourceRecordSets', 'arn:aws:route53:::hostedzone/Z0123'],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'sns:Publish', ENV.ALERT_TOPIC_ARN],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'dynamodb:PutItem', ENV.FAILOVER_STATE_TABLE_ARN],
      [ENV.ORCHESTRATOR_ROLE_ARN, 'cloudwatch:PutMetricData', '*'],
    ]);
    expect(simulated[6].ContextEntries).toEqual([{ ContextKeyName: 'cloudwatch:namespace', ContextKeyValues: ['PaymentsDR'], ContextKeyType: 'string' }]);
  });

  it.each([
    ['an alarm of the estate in ALARM', () => {
      cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: ALARMS.map((AlarmName) => ({ AlarmName, StateValue: AlarmName === ALARMS[0] ? 'ALARM' : 'OK' })) });
    }, 'no-alarm-in-alarm', `in ALARM: ${ALARMS[0]}`],
    ['a failover in progress', () => {
      dynamo.on(GetItemCommand).resolves(failoverItem('in_progress'));
    }, 'no-failover-in-progress', 'failover run-7 is in progress (started 2026-11-20T10:00:00Z)'],
    ['a completed failover (DR is already the writer)', () => {
      dynamo.on(GetItemCommand).resolves(failoverItem('completed'));
    }, 'no-failover-in-progress', 'failover run-7 completed at 2026-11-20T10:09:00Z'],
    ['a replica that is not available', () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica({ DBInstanceStatus: 'storage-full' })] });
    }, 'replica-available', 'DR replica is not available (status storage-full)'],
    ['a replica that is no longer a replica', () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica({ ReadReplicaSourceDBInstanceIdentifier: undefined })] });
    }, 'replica-available', 'DR database is no longer a replica (role writer, status available)'],
    ['replication not replicating', () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica({ StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false }] })] });
    }, 'replica-available', 'DR replica is not replicating (replication state error)'],
    ['lag over the threshold', () => {
      cloudWatch.on(GetMetricDataCommand).resolves(lagData(420));
    }, 'replication-lag', 'replication lag 420 s over the 300 s budget'],
    ['no lag data', () => {
      cloudWatch.on(GetMetricDataCommand).resolves(lagData());
    }, 'replication-lag', 'replication lag unknown (counts as over the 300 s budget)'],
    ['backups off on the replica', () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [replica({ BackupRetentionPeriod: 0 })] });
    }, 'replica-backups', 'automated backups are off on the replica (retention 0): no PITR after promotion'],
    ['a stale automated backup of the replica', () => {
      rds.on(DescribeDBSnapshotsCommand).resolves(snapshotsAt(30));
    }, 'replica-backups', 'latest automated backup is 30 h old (limit 26 h)'],
    ['no automated backup of a replica created days ago', () => {
      rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    }, 'replica-backups', 'retention 7 d but no automated backup of the replica in the 720 h since it was created'],
    ['the SECONDARY record missing', () => {
      route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: `${ENV.WRITER_RECORD_NAME}.`, Type: 'CNAME', SetIdentifier: 'primary', Failover: 'PRIMARY', HealthCheckId: 'hc-1' }], IsTruncated: false, MaxItems: 20 });
    }, 'failover-records', 'SECONDARY failover record missing'],
    ['the PRIMARY health check deleted', () => {
      route53.on(GetHealthCheckCommand).rejects(new NoSuchHealthCheck({ message: 'No health check', $metadata: {} }));
    }, 'failover-records', 'health check hc-1 of the PRIMARY record does not exist'],
    ['a permission denied in the simulation', () => {
      iam.on(SimulatePrincipalPolicyCommand).callsFake(async (input) => ({
        EvaluationResults: [{ EvalActionName: input.ActionNames[0], EvalResourceName: input.ResourceArns[0], EvalDecision: input.ActionNames[0] === 'rds:PromoteReadReplica' ? 'implicitDeny' : 'allowed' }],
      }));
    }, 'orchestrator-permissions', `denied in policy simulation: rds:PromoteReadReplica on ${ENV.REPLICA_DB_INSTANCE_ARN} (implicitDeny)`],
    ['the rule not targeting the orchestrator', () => {
      events.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'other', Arn: 'arn:aws:lambda:us-east-2:111111111111:function:other' }] });
    }, 'alarm-rule-target-wiring', `failover rule does not target the orchestrator ${ORCHESTRATOR_ARN}`],
    ['the rule missing', () => {
      events.on(DescribeRuleCommand).rejects(new ResourceNotFoundException({ message: 'Rule does not exist', $metadata: {} }));
    }, 'alarm-rule-target-wiring', 'failover rule missing'],
    ['the rule disabled', () => {
      events.on(DescribeRuleCommand).resolves({ State: 'DISABLED', EventPattern: ENV.COMPOSITE_ALARM_NAME });
    }, 'alarm-rule-target-wiring', 'failover rule is disabled'],
  ])('is not ready with %s', async (_cause, arrange, check, detail) => {
    arrange();
    const result = await drill();

    expect(result.ready).toBe(false);
    expect(failed(result)).toEqual([{ name: check, detail: expect.stringContaining(detail) }]);
    expect(cloudWatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.[0]).toMatchObject({ MetricName: 'DrillReady', Value: 0 });
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain(`FAIL ${check}: ${detail}`);
  });

  it('reports a missing estate alarm as a wiring problem', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: ALARMS[0], StateValue: 'OK' }] });
    const result = await drill();
    expect(failed(result)).toEqual([
      { name: 'no-alarm-in-alarm', detail: `missing: ${ALARMS[1]}, ${ALARMS[2]}` },
      { name: 'alarm-rule-target-wiring', detail: `composite alarm ${ENV.COMPOSITE_ALARM_NAME} missing` },
    ]);
  });

  it('keeps every other result when some AWS APIs fail', async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    dynamo.on(GetItemCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const result = await drill();

    expect(result.ready).toBe(false);
    expect(failed(result)).toEqual([
      { name: 'no-failover-in-progress', detail: 'could not be checked: TimeoutError: connect ETIMEDOUT' },
      { name: 'orchestrator-permissions', detail: 'could not be checked: Throttling: Rate exceeded' },
    ]);
    expect(result.checks).toHaveLength(8);
  });

  it('still answers when metrics and SNS fail', async () => {
    cloudWatch.on(PutMetricDataCommand).rejects(new Error('metrics down'));
    sns.on(PublishCommand).rejects(new Error('sns down'));
    await expect(drill()).resolves.toMatchObject({ ready: true });
  });

  it('rejects a request to do anything but a synthetic drill, checking nothing', async () => {
    await expect(handler({ mode: 'full' })).resolves.toEqual({
      ready: false, rejected: 'Rejected, nothing checked: mode must be "synthetic" (this function never promotes anything), got "full"',
    });
    await expect(handler([1])).resolves.toMatchObject({ ready: false, rejected: expect.stringContaining('JSON object') });
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('synthetic drill configuration', () => {
  const { readSyntheticDrillConfig } = require('../../../functions/synthetic-drill/config') as typeof import('../../../functions/synthetic-drill/config');

  it('names every missing variable', () => {
    expect(() => readSyntheticDrillConfig({ ...ENV, HOSTED_ZONE_ID: '', ORCHESTRATOR_ROLE_ARN: undefined }))
      .toThrow('synthetic-drill: missing environment variable(s): HOSTED_ZONE_ID, ORCHESTRATOR_ROLE_ARN');
  });

  it('reads LAG_LOOKBACK_SECONDS and names it when it is missing', () => {
    expect(readSyntheticDrillConfig(ENV).lagLookbackSeconds).toBe(540);
    expect(() => readSyntheticDrillConfig({ ...ENV, LAG_LOOKBACK_SECONDS: undefined }))
      .toThrow(new Error('synthetic-drill: missing environment variable(s): LAG_LOOKBACK_SECONDS'));
  });

  it.each(['59', '86401', '600.5', '10m'])('rejects LAG_LOOKBACK_SECONDS=%s naming the variable and its range', (raw) => {
    expect(() => readSyntheticDrillConfig({ ...ENV, LAG_LOOKBACK_SECONDS: raw }))
      .toThrow(new Error(`synthetic-drill: LAG_LOOKBACK_SECONDS must be an integer from 60 to 86400, got "${raw}"`));
  });

  it('rejects a non-ARN and a bad lag budget', () => {
    expect(() => readSyntheticDrillConfig({ ...ENV, ORCHESTRATOR_ROLE_ARN: 'orchestrator', MAX_REPLICATION_LAG_SECONDS: '5m' }))
      .toThrow('synthetic-drill: MAX_REPLICATION_LAG_SECONDS must be a positive integer, got "5m"; ORCHESTRATOR_ROLE_ARN must be an ARN, got "orchestrator"');
  });
});
