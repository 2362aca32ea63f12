import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeDBInstancesCommand, ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { OrchestratorConfig } from '../../../functions/failover-orchestrator/config';

export const CONFIG: OrchestratorConfig = {
  environmentSuffix: 'dev',
  metricNamespace: 'PaymentsDR',
  primaryRegion: 'us-east-1',
  drRegion: 'us-east-2',
  primaryInstanceId: 'paydb-primary-dev',
  replicaInstanceId: 'paydb-replica-dev',
  primaryEndpoint: 'paydb-primary-dev.abc.us-east-1.rds.amazonaws.com',
  replicaEndpoint: 'paydb-replica-dev.def.us-east-2.rds.amazonaws.com',
  port: 5432,
  database: 'payments',
  secretArn: 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-dev-AbCdEf',
  alertTopicArn: 'arn:aws:sns:us-east-2:111111111111:paydb-alerts-dev',
  failoverStateTable: 'paydb-failover-state-dev',
  fenceSecurityGroupId: 'sg-fence',
  hostedZoneId: 'Z123',
  writerRecordName: 'writer.db.paydb-dev.internal',
  primaryRecordSetId: 'primary',
  maxPromotionLagSeconds: 300,
  promotionTimeoutSeconds: 600,
  probeIntervalSeconds: 60,
  lagLookbackSeconds: 600,
  primaryProbeAttempts: 3,
  primaryProbeTimeoutMs: 5000,
  primaryProbeIntervalMs: 5000,
  failoverMode: 'manual-confirm',
  leaseTtlSeconds: 45,
  leaseTakeoverMarginSeconds: 30,
  switchoverCatchUpTimeoutSeconds: 300,
  primaryParameterGroup: 'paydb-primary-db-dev-params',
};

/**
 * The monitor's data as GetMetricData returns it (newest first) about 7 minutes into a primary outage: lag 3 s
 * while the primary answered, then the heartbeat age on the replica, growing past the 300 s budget.
 */
export function outageMetricData(lagWhileReachable = 3) {
  const minutes = [0, 1, 2, 3, 4, 5, 6, 7].reverse();
  const Timestamps = minutes.map((minute) => new Date(Date.UTC(2026, 10, 21, 9, 53 + minute)));
  return {
    MetricDataResults: [
      { Id: 'lag', Timestamps, Values: minutes.map((minute) => (minute === 0 ? lagWhileReachable : lagWhileReachable + minute * 60)) },
      { Id: 'primaryReachable', Timestamps, Values: minutes.map((minute) => (minute === 0 ? 1 : 0)) },
    ],
  };
}

export const PRIMARY_RECORD = {
  Name: 'writer.db.paydb-dev.internal.', Type: 'CNAME' as const, SetIdentifier: 'primary', Failover: 'PRIMARY' as const,
  TTL: 30, HealthCheckId: 'hc-primary', ResourceRecords: [{ Value: CONFIG.primaryEndpoint }],
};

/**
 * Mocked AWS with just enough behaviour: a DR replica that becomes a writer once promoted, a primary
 * region that can be "down", and a DynamoDB table that enforces the store's condition expressions.
 */
export function fakeAws() {
  const rds = mockClient(RDSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const dynamo = mockClient(DynamoDBClient);
  const route53 = mockClient(Route53Client);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const world = { promoted: false, primaryRegionDown: false, primarySecurityGroups: ['sg-app'], item: undefined as Record<string, AttributeValue> | undefined };

  rds.on(DescribeDBInstancesCommand).callsFake(async (input) => {
    if (input.DBInstanceIdentifier === CONFIG.primaryInstanceId) {
      if (world.primaryRegionDown) throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
      return { DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: world.primarySecurityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })) }] };
    }
    const replica: DBInstance = world.promoted
      ? { DBInstanceStatus: 'available', BackupRetentionPeriod: 7 }
      : { DBInstanceStatus: 'available', BackupRetentionPeriod: 7, ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-dev', StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false }] };
    return { DBInstances: [replica] };
  });
  rds.on(PromoteReadReplicaCommand).callsFake(async () => {
    world.promoted = true;
    return {};
  });
  rds.on(ModifyDBInstanceCommand).callsFake(async (input) => {
    if (world.primaryRegionDown) throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
    world.primarySecurityGroups = input.VpcSecurityGroupIds ?? [];
    return {};
  });
  rds.on(StopDBInstanceCommand).rejects(Object.assign(new Error('Instance is modifying'), { name: 'InvalidDBInstanceStateFault' }));
  cloudWatch.on(GetMetricDataCommand).resolves(outageMetricData());
  cloudWatch.on(PutMetricDataCommand).resolves({});
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [PRIMARY_RECORD], IsTruncated: false, MaxItems: 20 });
  route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: 'c1', Status: 'PENDING', SubmittedAt: new Date() } });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"probe","password":"pw"}' });

  const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  dynamo.on(GetItemCommand).callsFake(async () => ({ Item: world.item }));
  dynamo.on(PutItemCommand).callsFake(async (input) => {
    const values = input.ExpressionAttributeValues ?? {};
    const allowed = input.ConditionExpression?.startsWith('attribute_not_exists')
      ? !world.item || world.item.status.S === 'aborted'
      : world.item?.version.N === values[':expected'].N && world.item?.leaseOwner.S === values[':owner'].S;
    if (!allowed) throw conditionFailed();
    world.item = input.Item;
    return {};
  });
  dynamo.on(UpdateItemCommand).callsFake(async (input) => {
    const values = input.ExpressionAttributeValues!;
    const item = world.item;
    if (!item || item.status.S !== 'in_progress' || Number(item.leaseExpiresAt.N) > Number(values[':now'].N)) throw conditionFailed();
    world.item = { ...item, leaseOwner: values[':owner'], leaseExpiresAt: values[':lease'], version: { N: String(Number(item.version.N) + 1) } };
    return { Attributes: world.item };
  });

  const reset = () => [rds, cloudWatch, dynamo, route53, sns, secrets].forEach((mock) => mock.restore());
  const totalCalls = () => [rds, cloudWatch, dynamo, route53, sns, secrets].reduce((sum, mock) => sum + mock.calls().length, 0);
  return { rds, cloudWatch, dynamo, route53, sns, secrets, world, reset, totalCalls };
}
