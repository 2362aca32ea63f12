import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbFailoverStateStore } from '../../../../functions/adapters/aws/dynamodb-failover-state-store';
import { LeaseLostError, type FailoverState } from '../../../../functions/core/ports';

const dynamo = mockClient(DynamoDBClient);
const TABLE = 'paydb-failover-state-dev';
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const STATE: FailoverState = {
  runId: 'run-1', status: 'in_progress', phase: 'acting', mode: 'failover', trigger: 'alarm:a', reason: '', force: false, decisionAttempts: 1,
  request: { trigger: 'alarm:a', reason: '', force: false, switchover: false, confirmPrimaryDead: false },
  startedAt: '2026-11-21T10:00:00.000Z', failedOver: false, leaseOwner: 'run-1', leaseExpiresAt: 2_000, version: 0, steps: {},
};
const store = () => new DynamoDbFailoverStateStore(new DynamoDBClient({}), TABLE);
const itemOf = (state: FailoverState) => ({
  pk: { S: 'failover' }, runId: { S: state.runId }, status: { S: state.status }, leaseOwner: { S: state.leaseOwner },
  leaseExpiresAt: { N: String(state.leaseExpiresAt) }, version: { N: String(state.version) }, failedOver: { BOOL: state.failedOver },
  state: { S: JSON.stringify(state) },
});

beforeEach(() => dynamo.reset());

test('acquire creates the single item when none (or an aborted one) exists', async () => {
  dynamo.on(PutItemCommand).resolves({});
  const result = await store().acquire(STATE, 1_000);
  expect(result).toEqual({ acquired: true, resumed: false, state: { ...STATE, version: 1 } });
  expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
    TableName: TABLE, Item: itemOf({ ...STATE, version: 1 }),
    ConditionExpression: 'attribute_not_exists(pk) OR #status = :aborted',
    ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':aborted': { S: 'aborted' } },
  });
  expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
});

test('acquire takes over an expired lease, keeping the progress', async () => {
  const stored = { ...STATE, runId: 'dead', leaseOwner: 'dead', leaseExpiresAt: 500, version: 4, failedOver: true };
  dynamo.on(PutItemCommand).rejects(conditionFailed());
  dynamo.on(UpdateItemCommand).resolves({ Attributes: { ...itemOf(stored), leaseOwner: { S: 'run-1' }, leaseExpiresAt: { N: '2000' }, version: { N: '5' } } });

  const result = await store().acquire(STATE, 1_000);

  expect(result).toEqual({ acquired: true, resumed: true, state: { ...stored, leaseOwner: 'run-1', leaseExpiresAt: 2_000, version: 5 } });
  expect(dynamo.commandCalls(UpdateItemCommand)[0].args[0].input).toMatchObject({
    ConditionExpression: '#status = :inProgress AND leaseExpiresAt <= :now',
    ExpressionAttributeValues: { ':owner': { S: 'run-1' }, ':lease': { N: '2000' }, ':now': { N: '1000' }, ':inProgress': { S: 'in_progress' }, ':one': { N: '1' } },
    ReturnValues: 'ALL_NEW',
  });
});

test('acquire returns the held record when the lease is live or the failover completed', async () => {
  const held = { ...STATE, runId: 'other', leaseOwner: 'other', status: 'completed' as const, version: 9 };
  dynamo.on(PutItemCommand).rejects(conditionFailed());
  dynamo.on(UpdateItemCommand).rejects(conditionFailed());
  dynamo.on(GetItemCommand).resolves({ Item: itemOf(held) });

  expect(await store().acquire(STATE, 1_000)).toEqual({ acquired: false, state: held });
  expect(dynamo.commandCalls(GetItemCommand)[0].args[0].input).toEqual({ TableName: TABLE, Key: { pk: { S: 'failover' } }, ConsistentRead: true });
});

test('save is conditional on version and owner; a lost condition is LeaseLostError', async () => {
  dynamo.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).rejectsOnce(new Error('ProvisionedThroughputExceeded'));
  const saved = await store().save({ ...STATE, version: 3 });
  expect(saved.version).toBe(4);
  expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
    Item: itemOf({ ...STATE, version: 4 }),
    ConditionExpression: 'version = :expected AND leaseOwner = :owner',
    ExpressionAttributeValues: { ':expected': { N: '3' }, ':owner': { S: 'run-1' } },
  });
  await expect(store().save({ ...STATE, version: 3 })).rejects.toBeInstanceOf(LeaseLostError);
  await expect(store().save({ ...STATE, version: 3 })).rejects.toThrow('ProvisionedThroughputExceeded');
});

test('read returns undefined without an item', async () => {
  dynamo.on(GetItemCommand).resolves({});
  expect(await store().read()).toBeUndefined();
});
