import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, ReplicatedWriteConflictException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DynamoDbWriteLeaseStore, LeaseWriteContendedError, leaseToItem,
} from '../../../../functions/adapters/aws/dynamodb-write-lease-store';
import { HELD_UNTIL_RELEASED, LeaseConflictError, type WriteLease } from '../../../../functions/core/write-lease';

const dynamo = mockClient(DynamoDBClient);
const TABLE = 'paydb-write-lease-dev';
const store = () => new DynamoDbWriteLeaseStore(new DynamoDBClient({ region: 'us-east-1' }), TABLE);

const primaryLease: WriteLease = { holder: 'primary', epoch: 3, expiresAt: 1_800_000_045_000, writtenBy: 'keeper:req-1', writtenAt: 1_800_000_000_000 };
const item = (lease: WriteLease) => ({
  pk: { S: 'write-lease' }, holder: { S: lease.holder }, epoch: { N: String(lease.epoch) }, expiresAt: { N: String(lease.expiresAt) },
  writtenBy: { S: lease.writtenBy }, writtenAt: { N: String(lease.writtenAt) },
});

beforeEach(() => dynamo.reset());

describe('read', () => {
  test('a strongly consistent GetItem of the single lease item', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: item(primaryLease) });

    await expect(store().read()).resolves.toEqual(primaryLease);
    expect(dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: 'write-lease' } }, ConsistentRead: true },
    ]);
  });

  test('no item: the lease was never established', async () => {
    dynamo.on(GetItemCommand).resolves({});
    await expect(store().read()).resolves.toBeUndefined();
  });

  test('a DR lease held until released survives the round trip exactly', async () => {
    const dr: WriteLease = { holder: 'dr', epoch: 4, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-7', writtenAt: 1_800_000_100_000 };
    dynamo.on(GetItemCommand).resolves({ Item: leaseToItem(dr) });
    await expect(store().read()).resolves.toEqual(dr);
  });

  test.each([
    ['an unknown holder', { ...item(primaryLease), holder: { S: 'both' } }, /holder must be "primary" or "dr", got "both"/],
    ['a non-numeric epoch', { ...item(primaryLease), epoch: { S: '3' } }, /epoch must be a non-negative number/],
    ['no expiry', (({ expiresAt: _dropped, ...rest }) => rest)(item(primaryLease)), /expiresAt must be a non-negative number/],
    ['no writer', (({ writtenBy: _dropped, ...rest }) => rest)(item(primaryLease)), /writtenBy is missing/],
  ])('a malformed item (%s) is a clear error, never "no lease"', async (_name, malformed, message) => {
    dynamo.on(GetItemCommand).resolves({ Item: malformed });
    await expect(store().read()).rejects.toThrow(/^write lease item is malformed: /);
    await expect(store().read()).rejects.toThrow(message);
  });

  test('a store that does not answer throws (the caller treats it as "not held by me")', async () => {
    dynamo.on(GetItemCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    await expect(store().read()).rejects.toThrow('ETIMEDOUT');
  });
});

describe('compareAndSet', () => {
  test('first grant: written only if no lease item exists, with the stored lease returned on failure', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await expect(store().compareAndSet(undefined, { ...primaryLease, epoch: 1 })).resolves.toEqual({ ...primaryLease, epoch: 1 });
    expect(dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([{
      TableName: TABLE,
      Item: item({ ...primaryLease, epoch: 1 }),
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }]);
  });

  test('renewal: the stored holder, epoch AND expiry must all still be the expected ones', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const renewed = { ...primaryLease, expiresAt: primaryLease.expiresAt + 10_000, writtenAt: primaryLease.writtenAt + 10_000 };

    await expect(store().compareAndSet(primaryLease, renewed)).resolves.toEqual(renewed);
    expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: item(renewed),
      ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #expiresAt = :expiresAt',
      ExpressionAttributeNames: { '#holder': 'holder', '#epoch': 'epoch', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':holder': { S: 'primary' }, ':epoch': { N: '3' }, ':expiresAt': { N: '1800000045000' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  test('conflict: a LeaseConflictError carrying the lease that is stored (here: the DR side took it)', async () => {
    const taken: WriteLease = { holder: 'dr', epoch: 4, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-9', writtenAt: 1_800_000_090_000 };
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: leaseToItem(taken) }));

    const failure = store().compareAndSet(primaryLease, { ...primaryLease, expiresAt: primaryLease.expiresAt + 10_000 });

    await expect(failure).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(failure).rejects.toMatchObject({ current: taken, message: expect.stringMatching(/no longer epoch 3 held by primary.*it is epoch 4 held by dr/) });
  });

  test('conflict on a first grant when someone else created the lease meanwhile', async () => {
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item(primaryLease) }));

    await expect(store().compareAndSet(undefined, { ...primaryLease, epoch: 1 })).rejects.toMatchObject({ name: 'LeaseConflictError', current: primaryLease });
  });

  test('a conflict whose stored item is malformed is still a conflict, with no lease and the reason', async () => {
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: { pk: { S: 'write-lease' }, holder: { S: 'nobody' } } }));

    const failure = store().compareAndSet(primaryLease, primaryLease);
    await expect(failure).rejects.toBeInstanceOf(LeaseConflictError);
    await expect(failure).rejects.toMatchObject({ current: undefined, message: expect.stringMatching(/write lease item is malformed/) });
  });

  test('MRSC: a concurrent write from another Region is a retryable refusal, not a conflict and not "held"', async () => {
    dynamo.on(PutItemCommand).rejects(new ReplicatedWriteConflictException({ message: 'being modified by a request in another Region', $metadata: {} }));

    const failure = store().compareAndSet(primaryLease, primaryLease);

    await expect(failure).rejects.toBeInstanceOf(LeaseWriteContendedError);
    await expect(failure).rejects.not.toBeInstanceOf(LeaseConflictError);
    await expect(failure).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(/another Region.*nothing was written/) });
  });

  test('any other failure propagates as is (the outcome is unknown)', async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error('Internal server error'), { name: 'InternalServerError' }));
    await expect(store().compareAndSet(primaryLease, primaryLease)).rejects.toMatchObject({ name: 'InternalServerError' });
  });
});
