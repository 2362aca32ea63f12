/**
 * The lease keeper Lambda end to end: AWS mocked (aws-sdk-client-mock: a DynamoDB table that enforces the store's
 * conditions, RDS whose parameter change reaches a REAL local PostgreSQL primary, CloudWatch, SNS, Secrets Manager),
 * the database real (functions/adapters/local/postgres-cluster.ts).
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { clearDatabaseCredentialsCache } from '../../../functions/adapters/aws/database-credentials';
import { leaseToItem } from '../../../functions/adapters/aws/dynamodb-write-lease-store';
import { startCluster, type PostgresCluster } from '../../../functions/adapters/local/postgres-cluster';
import { HELD_UNTIL_RELEASED } from '../../../functions/core/write-lease';
import { readLeaseKeeperConfig } from '../../../functions/lease-keeper/config';
import { createLeaseKeeperHandler, regionOfArn } from '../../../functions/lease-keeper/create-handler';
import { FakeClock } from '../core/fakes';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const dynamo = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

let cluster: PostgresCluster;
let item: Record<string, AttributeValue> | undefined;
let securityGroups: string[];
let clock: FakeClock;

beforeAll(async () => {
  cluster = await startCluster({ database: 'payments' });
}, 120_000);
afterAll(async () => cluster?.stop());

function config(overrides: NodeJS.ProcessEnv = {}) {
  return readLeaseKeeperConfig({
    ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', PRIMARY_DB_INSTANCE_ID: 'paydb-primary-dev',
    PRIMARY_DB_ENDPOINT: '127.0.0.1', DB_PORT: String(cluster.primary.port), DB_NAME: 'payments', DB_SECRET_ARN: 'paydb-dev-credentials',
    PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-dev-params', PRIMARY_DB_SECURITY_GROUP_ID: 'sg-primary', FENCE_SECURITY_GROUP_ID: 'sg-fence',
    WRITE_LEASE_TABLE: 'paydb-write-lease-dev', ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:paydb-alerts-dev', RUNBOOK_URL: 'https://runbooks.example.com/alarms.md#primary-self-fenced',
    LEASE_TTL_SECONDS: '45', LEASE_RENEW_INTERVAL_SECONDS: '10', LEASE_FENCE_BUDGET_SECONDS: '15', KEEPER_RUN_SECONDS: '5',
    ...overrides,
  });
}

const keeperHandler = (env: NodeJS.ProcessEnv = {}) => createLeaseKeeperHandler(config(env), { clock, tls: false });
const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 100_000 });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });

beforeEach(() => {
  clock = new FakeClock();
  item = undefined;
  securityGroups = ['sg-primary'];
  clearDatabaseCredentialsCache();
  for (const mock of [dynamo, rds, cloudWatch, sns, secrets]) mock.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: cluster.primary.target.user, password: cluster.primary.target.password }) });
  dynamo.on(GetItemCommand).callsFake(async () => (item ? { Item: item } : {}));
  dynamo.on(PutItemCommand).callsFake(async (input) => {
    const values = input.ExpressionAttributeValues ?? {};
    const allowed = input.ConditionExpression === 'attribute_not_exists(pk)'
      ? item === undefined
      : item?.holder.S === values[':holder'].S && item?.epoch.N === values[':epoch'].N && item?.expiresAt.N === values[':expiresAt'].N;
    if (!allowed) throw conditionFailed();
    item = input.Item;
    return {};
  });
  // RDS applies the dynamic parameter to the (local) primary; the answer comes once it is in effect.
  rds.on(ModifyDBParameterGroupCommand).callsFake(async (input) => {
    await cluster.primary.configure({ default_transaction_read_only: input.Parameters?.[0]?.ParameterValue === '1' ? 'on' : 'off' });
    return {};
  });
  rds.on(DescribeDBInstancesCommand).callsFake(async () => ({
    DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })) }],
  }));
  rds.on(ModifyDBInstanceCommand).callsFake(async (input) => {
    securityGroups = input.VpcSecurityGroupIds ?? [];
    return {};
  });
  cloudWatch.on(PutMetricDataCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

afterEach(async () => cluster.primary.configure({ default_transaction_read_only: 'off' }));

const published = () => cloudWatch.commandCalls(PutMetricDataCommand).map((call) => Object.fromEntries(
  (call.args[0].input.MetricData ?? []).map((datum) => [datum.MetricName, datum.Value]),
));
const subjects = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
const storedLease = () => (item ? { holder: item.holder.S, epoch: Number(item.epoch.N), expiresAt: Number(item.expiresAt.N), writtenBy: item.writtenBy.S } : undefined);

test('a healthy primary: the lease is granted, then renewed by the same keeper in a warm container; WriteLeaseHeld=1', async () => {
  const handler = keeperHandler({ KEEPER_RUN_SECONDS: '25' });

  const first = await handler({}, context('req-1'));

  expect(first).toMatchObject({ state: 'held', fenceVerified: false, metrics: { WriteLeaseHeld: 1, PrimarySelfFenced: 0 } });
  // KEEPER_RUN_SECONDS=25 with a 10 s interval: ticks at 0, 10 and 20 s.
  expect(clock.sleeps).toEqual([10_000, 10_000]);
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(3);
  expect(storedLease()).toEqual({ holder: 'primary', epoch: 1, expiresAt: clock.now() + 45_000, writtenBy: 'keeper:req-1' });
  // A fresh keeper does not know whether an earlier one left the primary fenced: it releases once (idempotent).
  expect(rds.commandCalls(ModifyDBParameterGroupCommand).map((call) => call.args[0].input.Parameters?.[0]?.ParameterValue)).toEqual(['0']);
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);

  const second = await handler({}, context('req-2'));

  expect(second.state).toBe('held');
  expect(storedLease()).toMatchObject({ epoch: 1, writtenBy: 'keeper:req-1' });
  expect(rds.commandCalls(ModifyDBParameterGroupCommand)).toHaveLength(1);
  expect(published()).toEqual([{ WriteLeaseHeld: 1, PrimarySelfFenced: 0 }, { WriteLeaseHeld: 1, PrimarySelfFenced: 0 }]);
  const put = cloudWatch.commandCalls(PutMetricDataCommand)[0];
  expect(put.args[0].input.Namespace).toBe('PaymentsDR');
  expect(put.args[0].input.MetricData?.[0].Dimensions).toEqual([{ Name: 'EnvironmentSuffix', Value: 'dev' }]);
  expect(await (put.thisValue as CloudWatchClient).config.region()).toBe('us-east-1');
  expect(subjects()).toEqual([]);
});

test('the DR side took the lease: the keeper fences its primary through its own region, verified; PrimarySelfFenced=1', async () => {
  item = leaseToItem({ holder: 'dr', epoch: 2, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-7', writtenAt: clock.now() });
  const writer = await cluster.primary.connect();
  writer.on('error', () => undefined);

  const tick = await keeperHandler()({}, context('req-1'));

  expect(tick).toMatchObject({ state: 'fenced_lost', fenceVerified: true, metrics: { WriteLeaseHeld: 0, PrimarySelfFenced: 1 } });
  expect(tick.detail).toMatch(/the DR side holds the write lease \(epoch 2, written by run-7\).*verified/);
  await expect(writer.query('SELECT 1')).rejects.toThrow();
  await expect(cluster.primary.query('CREATE TABLE t (id int)')).rejects.toMatchObject({ code: '25006' });
  expect(securityGroups).toEqual(['sg-fence']);
  expect(storedLease()).toMatchObject({ holder: 'dr', epoch: 2 });
  expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  expect(subjects()).toEqual(['[dev] DR lease keeper: primary fenced']);
  expect(await (sns.commandCalls(PublishCommand)[0].thisValue as SNSClient).config.region()).toBe('us-east-1');
});

test('a fresh keeper that cannot reach the lease store fences at once, then lifts its fence when it holds the lease again', async () => {
  dynamo.on(GetItemCommand).rejects(Object.assign(new Error('connect ETIMEDOUT dynamodb.us-east-1.amazonaws.com'), { name: 'TimeoutError' }));
  const handler = keeperHandler();

  const cutOff = await handler({}, context('req-1'));

  expect(cutOff).toMatchObject({ state: 'fenced_unrenewed', fenceVerified: true, metrics: { WriteLeaseHeld: 0, PrimarySelfFenced: 1 } });
  expect(securityGroups).toEqual(['sg-fence']);

  dynamo.on(GetItemCommand).callsFake(async () => (item ? { Item: item } : {}));
  const back = await handler({}, context('req-2'));

  expect(back).toMatchObject({ state: 'held', metrics: { WriteLeaseHeld: 1, PrimarySelfFenced: 0 } });
  expect(securityGroups).toEqual(['sg-primary']);
  await cluster.primary.query('CREATE TABLE IF NOT EXISTS keeper_released (id int)');
  expect(subjects()).toEqual(['[dev] DR lease keeper: primary fenced', '[dev] DR lease keeper: released']);
});

test('a failure to publish the metrics does not fail the invocation (a retry would only start a second keeper)', async () => {
  cloudWatch.on(PutMetricDataCommand).rejects(new Error('Throttling'));

  const tick = await keeperHandler()({}, context('req-1'));

  expect(tick).toMatchObject({ state: 'held', metrics: { WriteLeaseHeld: 1, PrimarySelfFenced: 0 }, metricsError: 'Throttling' });
});

test('the run ends before the Lambda timeout leaves too little for a fence', async () => {
  const handler = keeperHandler({ KEEPER_RUN_SECONDS: '55' });
  await handler({}, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 40_000 });
  // 40 s left - 15 s fence budget - 5 s safety = 20 s: ticks at 0 and 10 s only.
  expect(clock.sleeps).toEqual([10_000]);
});

test('SNS and Secrets Manager are called in the region of their ARN; a bare secret name uses the primary region', () => {
  expect(regionOfArn('arn:aws:sns:us-west-2:111111111111:alerts', 'us-east-1')).toBe('us-west-2');
  expect(regionOfArn('paydb-dev-credentials', 'us-east-1')).toBe('us-east-1');
});
