/**
 * The other AWS adapters re-protection and fail-back need (aws-sdk-client-mock):
 * - a record that follows a completed one replaces exactly that one (conditional PutItem);
 * - Route53: the writer name moves to a database other than the configured DR one by an UPSERT of the PRIMARY record
 *   BEFORE the failed-over signal is withdrawn, https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html;
 * - the fleet binds RdsDatabaseControl to the fail-back pair: the DR instance is the one frozen (its own parameter
 *   group, ModifyDBParameterGroup) and fenced (the DR VPC's deny-all group, ModifyDBInstance), the primary-region
 *   replica the one promoted (PromoteReadReplica in us-east-1), at the configured primary's endpoint (the replica
 *   carries its name; RDS derives the endpoint from the identifier,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html).
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeDBInstancesCommand, ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetrics } from '../../../../functions/adapters/aws/cloudwatch-metrics';
import { DynamoDbFailoverStateStore } from '../../../../functions/adapters/aws/dynamodb-failover-state-store';
import { RdsDatabaseFleet } from '../../../../functions/adapters/aws/rds-database-fleet';
import { Route53Dns } from '../../../../functions/adapters/aws/route53-dns';
import type { DatabaseMember } from '../../../../functions/core/estate-roles';
import type { FailoverState } from '../../../../functions/core/ports';

const DR: DatabaseMember = { side: 'dr', instanceId: 'paydb-dr-replica-db-dev' };
/** The replica a re-protection created under the configured primary's name, promoted by the fail-back. */
const R2: DatabaseMember = { side: 'primary', instanceId: 'paydb-primary-db-dev' };
const R2_ENDPOINT = 'paydb-primary-db-dev.abc.us-east-1.rds.amazonaws.com';

describe('DynamoDB: a record follows a completed one', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeEach(() => dynamo.reset());

  test('acquire of a record that follows a completed one: the condition admits exactly that completed record', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const state = {
      runId: 'run-reprotect', status: 'in_progress', phase: 'acting', mode: 'reprotect', trigger: 'operator', reason: 'r', force: false, decisionAttempts: 0,
      request: { trigger: 'operator', reason: 'r', force: false, switchover: false, confirmPrimaryDead: false },
      startedAt: '2026-11-21T10:00:00.000Z', failedOver: true, leaseOwner: 'run-reprotect', leaseExpiresAt: 2_000, version: 0, steps: {},
      follows: 'run-failover', reprotect: { writer: DR, target: R2 },
    } satisfies FailoverState;

    await new DynamoDbFailoverStateStore(new DynamoDBClient({}), 'state').acquire(state, 1_000);

    expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk) OR #status = :aborted OR (#status = :completed AND runId = :follows)',
      ExpressionAttributeValues: { ':aborted': { S: 'aborted' }, ':completed': { S: 'completed' }, ':follows': { S: 'run-failover' } },
    });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });
});

describe('Route53: the writer name by role', () => {
  const route53 = mockClient(Route53Client);
  const cloudWatch = mockClient(CloudWatchClient);
  const log: string[] = [];
  const PRIMARY_RECORD = { Name: 'writer.db.paydb-dev.internal.', Type: 'CNAME' as const, SetIdentifier: 'primary', Failover: 'PRIMARY' as const, TTL: 30, HealthCheckId: 'hc', ResourceRecords: [{ Value: 'paydb-dr-replica-db-dev.xyz.us-east-2.rds.amazonaws.com' }] };
  const dns = () => new Route53Dns({
    route53: new Route53Client({}), drMetrics: new CloudWatchMetrics({ client: new CloudWatchClient({}), namespace: 'PaymentsDR', environmentSuffix: 'dev' }),
    hostedZoneId: 'Z1', writerRecordName: 'writer.db.paydb-dev.internal', primaryRecordSetId: 'primary', drEndpoint: 'paydb-dr-replica-db-dev.xyz.us-east-2.rds.amazonaws.com',
    roles: { drDatabase: DR, endpointOf: async (member) => (member.instanceId === R2.instanceId ? R2_ENDPOINT : 'unknown') },
  });
  beforeEach(() => {
    route53.reset();
    cloudWatch.reset();
    log.length = 0;
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [PRIMARY_RECORD], IsTruncated: false, MaxItems: 20 });
    route53.on(ChangeResourceRecordSetsCommand).callsFake(async (input) => {
      log.push(`UPSERT ${input.ChangeBatch.Changes[0].ResourceRecordSet.ResourceRecords[0].Value}`);
      return { ChangeInfo: { Id: 'c', Status: 'PENDING', SubmittedAt: new Date() } };
    });
    cloudWatch.on(PutMetricDataCommand).callsFake(async (input) => {
      log.push(`FailedOver=${input.MetricData[0].Value}`);
      return {};
    });
  });

  test('to the primary-region replica: the PRIMARY record points at it first, then FailedOver=0 (never healthy on the old writer)', async () => {
    await dns().moveWriterTo(R2);
    expect(log).toEqual([`UPSERT ${R2_ENDPOINT}`, 'FailedOver=0']);
    const change = route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch!.Changes![0];
    expect(change.ResourceRecordSet).toEqual({ ...PRIMARY_RECORD, ResourceRecords: [{ Value: R2_ENDPOINT }] });
  });

  test('back to the configured DR database (an undo): the data-plane signal alone', async () => {
    await dns().moveWriterTo(DR);
    expect(log).toEqual(['FailedOver=1']);
  });

  test('pinning to the replica is the UPSERT alone', async () => {
    await dns().pinWriterTo(R2);
    expect(log).toEqual([`UPSERT ${R2_ENDPOINT}`]);
  });
});

describe('the fleet binds the database control to the fail-back pair', () => {
  const primaryRds = new RDSClient({ region: 'us-east-1' });
  const drRds = new RDSClient({ region: 'us-east-2' });
  const primary = mockClient(primaryRds);
  const dr = mockClient(drRds);
  const fleet = (drFence?: string) => new RdsDatabaseFleet({
    configured: { writer: { side: 'primary', instanceId: 'paydb-primary-db-dev' }, replica: DR },
    regions: { primary: { region: 'us-east-1', rds: primaryRds }, dr: { region: 'us-east-2', rds: drRds } },
    settingsOf: (member) => (member.instanceId === DR.instanceId
      ? { endpoint: 'dr.example', ...(drFence ? { fenceSecurityGroupId: drFence, parameterGroup: 'paydb-dr-params' } : {}) }
      : member.instanceId === R2.instanceId ? { endpoint: R2_ENDPOINT, fenceSecurityGroupId: 'sg-primary-fence', parameterGroup: 'paydb-primary-params', backupRetentionDays: 7 } : {}),
    target: (host) => async () => ({ host, port: 5432, database: 'payments', user: 'u', password: 'p', ssl: { rejectUnauthorized: true } }),
    probe: async (target) => ({ reachable: true, latencyMs: 1, error: target.host }),
    sqlTimeoutMs: 1_000,
    clock: { now: () => 0, sleep: async () => undefined },
  });
  beforeEach(() => {
    primary.reset();
    dr.reset();
  });

  test('promotes the replica in ITS region, fences the DR writer with the DR VPC\'s group, probes the writer at its endpoint', async () => {
    primary.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: R2.instanceId, DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-2:1:db:paydb-dr-replica-db-dev', Endpoint: { Address: R2_ENDPOINT } }] });
    primary.on(PromoteReadReplicaCommand).resolves({});
    dr.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: DR.instanceId, DBInstanceStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-dr-db', Status: 'active' }] }] });
    dr.on(ModifyDBInstanceCommand).resolves({});
    dr.on(StopDBInstanceCommand).resolves({});
    const control = fleet('sg-dr-fence').control({ writer: DR, replica: R2 });

    expect((await control.probePrimary(1_000)).error).toBe('dr.example');
    await control.promoteReplica();
    await control.fencePrimary();

    // A replica RDS created with backups off gets its template's retention, not RDS's 1-day default.
    expect(primary.commandCalls(PromoteReadReplicaCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: R2.instanceId, BackupRetentionPeriod: 7 });
    expect(dr.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
    expect(dr.commandCalls(ModifyDBInstanceCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: DR.instanceId, VpcSecurityGroupIds: ['sg-dr-fence'], ApplyImmediately: true });
    expect(primary.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(await fleet('sg-dr-fence').endpointOf(R2)).toBe(R2_ENDPOINT);
  });

  test('a writer without a fence group or parameter group cannot be switched over from: refused before any call', () => {
    expect(() => fleet().control({ writer: DR, replica: R2 })).toThrow(/cannot act on paydb-dr-replica-db-dev \(DR region\) as the writer: a fence security group and its own DB parameter group not configured/);
  });

  test('a database the estate does not know has no endpoint: named, and RDS is not asked', async () => {
    await expect(fleet('sg').endpointOf({ side: 'primary', instanceId: 'paydb-someone-else' })).rejects.toThrow(/paydb-someone-else \(primary region\) has no known endpoint/);
    expect(primary.calls()).toHaveLength(0);
  });
});
