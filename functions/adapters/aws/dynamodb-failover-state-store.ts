import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { LeaseLostError, type AcquireResult, type FailoverState, type FailoverStateStore } from '../../core/ports';

/** The single failover item (shared runtime contract: partition key `pk`, item `pk = "failover"`). */
export const FAILOVER_ITEM_KEY = 'failover';

/**
 * `FailoverStateStore` over one DynamoDB item. Top-level attributes carry what conditions and other
 * readers need — `status`, `leaseOwner`, `leaseExpiresAt`, `version`, `failedOver` (BOOL, read by the
 * monitor to re-publish `FailedOver`), `runId` — and `state` holds the whole record as JSON.
 * IAM: `dynamodb:GetItem`, `dynamodb:PutItem`, `dynamodb:UpdateItem` on the table ARN.
 */
export class DynamoDbFailoverStateStore implements FailoverStateStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async acquire(initial: FailoverState, now: number): Promise<AcquireResult> {
    try {
      const state = { ...initial, version: 1 };
      // A record that follows a completed one (re-protection, fail-back) may replace exactly that one.
      const follows = initial.follows;
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: toItem(state),
        ConditionExpression: follows === undefined
          ? 'attribute_not_exists(pk) OR #status = :aborted'
          : 'attribute_not_exists(pk) OR #status = :aborted OR (#status = :completed AND runId = :follows)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':aborted': { S: 'aborted' },
          ...(follows === undefined ? {} : { ':completed': { S: 'completed' }, ':follows': { S: follows } }),
        },
      }));
      return { acquired: true, state, resumed: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      const response = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: key(),
        UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :lease, version = version + :one',
        ConditionExpression: '#status = :inProgress AND leaseExpiresAt <= :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':owner': { S: initial.leaseOwner },
          ':lease': { N: String(initial.leaseExpiresAt) },
          ':one': { N: '1' },
          ':inProgress': { S: 'in_progress' },
          ':now': { N: String(now) },
        },
        ReturnValues: 'ALL_NEW',
      }));
      return { acquired: true, state: fromItem(response.Attributes), resumed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const held = await this.read();
    if (!held) throw new Error('failover record vanished while acquiring the lock');
    return { acquired: false, state: held };
  }

  async read(): Promise<FailoverState | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(), ConsistentRead: true }));
    return response.Item ? fromItem(response.Item) : undefined;
  }

  async save(state: FailoverState): Promise<FailoverState> {
    const next = { ...state, version: state.version + 1 };
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: toItem(next),
        ConditionExpression: 'version = :expected AND leaseOwner = :owner',
        ExpressionAttributeValues: { ':expected': { N: String(state.version) }, ':owner': { S: state.leaseOwner } },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(`failover record is no longer version ${state.version} owned by ${state.leaseOwner}`);
      }
      throw error;
    }
    return next;
  }
}

function key(): Record<string, AttributeValue> {
  return { pk: { S: FAILOVER_ITEM_KEY } };
}

function toItem(state: FailoverState): Record<string, AttributeValue> {
  return {
    ...key(),
    runId: { S: state.runId },
    status: { S: state.status },
    leaseOwner: { S: state.leaseOwner },
    leaseExpiresAt: { N: String(state.leaseExpiresAt) },
    version: { N: String(state.version) },
    failedOver: { BOOL: state.failedOver },
    state: { S: JSON.stringify(state) },
  };
}

/** Top-level attributes win over the JSON copy: the lease takeover updates only them. */
function fromItem(item: Record<string, AttributeValue> | undefined): FailoverState {
  const json = item?.state?.S;
  if (!item || json === undefined) throw new Error('failover record is malformed: no "state" attribute');
  const stored = JSON.parse(json) as FailoverState;
  return {
    ...stored,
    status: (item.status?.S ?? stored.status) as FailoverState['status'],
    leaseOwner: item.leaseOwner?.S ?? stored.leaseOwner,
    leaseExpiresAt: Number(item.leaseExpiresAt?.N ?? stored.leaseExpiresAt),
    version: Number(item.version?.N ?? stored.version),
    failedOver: item.failedOver?.BOOL ?? stored.failedOver,
  };
}
