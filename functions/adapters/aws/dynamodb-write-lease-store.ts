import {
  ConditionalCheckFailedException, GetItemCommand, PutItemCommand, ReplicatedWriteConflictException,
  type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LeaseConflictError, type LeaseHolder, type WriteLease, type WriteLeaseStore } from '../../core/write-lease';

/** The single write-lease item (partition key `pk`, item `pk = "write-lease"`). */
export const WRITE_LEASE_ITEM_KEY = 'write-lease';

/**
 * The write was refused because another Region modified the lease item at the same moment (MRSC). Nothing was
 * written: the outcome is a refusal, not an unknown, so the caller may read again and retry.
 */
export class LeaseWriteContendedError extends Error {
  readonly retryable = true;

  constructor(message: string) {
    super(message);
    this.name = 'LeaseWriteContendedError';
  }
}

/**
 * `WriteLeaseStore` over one item of a DynamoDB global table with multi-Region strong consistency (MRSC): replicas
 * in both database Regions and the witness in a third. With MRSC a write succeeds only once it is replicated to
 * another Region, and a strongly consistent read from any replica returns the latest version, so the primary's
 * keeper and the DR orchestrator see one linearizable lease; a Region cut off from the others cannot write at all.
 * "Multi-Region strong consistency", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html
 * and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html#V2globaltables_HowItWorks.consistency-modes-mrsc
 *
 * Attributes: `pk`, `holder` (S: `primary` | `dr`), `epoch` (N), `expiresAt` (N, epoch ms), `writtenBy` (S),
 * `writtenAt` (N, epoch ms). The holder's region names the writer: its configured instance (a re-protection keeps the
 * configured names).
 * IAM: `dynamodb:GetItem` and `dynamodb:PutItem` on the table ARN of the caller's Region (+ `kms:Decrypt` /
 * `kms:GenerateDataKey` if the table has a customer-managed key).
 */
export class DynamoDbWriteLeaseStore implements WriteLeaseStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async read(): Promise<WriteLease | undefined> {
    // ConsistentRead: the latest version of the item; on an MRSC table that holds whichever Region wrote it last.
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html (ConsistentRead) and
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
    const response = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(), ConsistentRead: true }));
    return response.Item ? leaseFromItem(response.Item) : undefined;
  }

  async compareAndSet(expected: WriteLease | undefined, next: WriteLease): Promise<WriteLease> {
    const condition = expected === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#holder': 'holder', '#epoch': 'epoch', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':holder': { S: expected.holder },
            ':epoch': { N: String(expected.epoch) },
            ':expiresAt': { N: String(expected.expiresAt) },
          },
        };
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: leaseToItem(next),
        ...condition,
        // On a failed condition DynamoDB returns the stored item in the exception's `Item`, so a conflict carries the
        // lease that won without a second (racy) read. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
        // (ReturnValuesOnConditionCheckFailure; error ConditionalCheckFailedException, HTTP 400).
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = storedLeaseOf(error.Item);
        throw new LeaseConflictError(
          `the write lease is no longer ${expected ? `epoch ${expected.epoch} held by ${expected.holder} until ${expected.expiresAt}` : 'absent'}`
          + (current.lease ? `: it is epoch ${current.lease.epoch} held by ${current.lease.holder} until ${current.lease.expiresAt} (written by ${current.lease.writtenBy})` : `: ${current.problem}`),
          current.lease,
        );
      }
      if (error instanceof ReplicatedWriteConflictException) {
        // MRSC only: "The request was rejected because one or more items in the request are being modified by a
        // request in another Region" (PutItem errors, HTTP 400; the SDK models it as retryable, so it arrives here only
        // once maxAttempts are used up). https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#API_PutItem_Errors
        // The write did not happen, so this is a refusal the caller may retry, never "lease held".
        throw new LeaseWriteContendedError(`the write lease is being modified from another Region at the same time; nothing was written (${error.message})`);
      }
      throw error;
    }
    return next;
  }
}

function key(): Record<string, AttributeValue> {
  return { pk: { S: WRITE_LEASE_ITEM_KEY } };
}

export function leaseToItem(lease: WriteLease): Record<string, AttributeValue> {
  return {
    ...key(),
    holder: { S: lease.holder },
    epoch: { N: String(lease.epoch) },
    expiresAt: { N: String(lease.expiresAt) },
    writtenBy: { S: lease.writtenBy },
    writtenAt: { N: String(lease.writtenAt) },
  };
}

const HOLDERS: ReadonlySet<string> = new Set<LeaseHolder>(['primary', 'dr']);

/** THROWS a clear error naming what is wrong with a stored item: a malformed lease is never read as "no lease". */
export function leaseFromItem(item: Record<string, AttributeValue>): WriteLease {
  const problems: string[] = [];
  const holder = item.holder?.S;
  if (holder === undefined || !HOLDERS.has(holder)) problems.push(`holder must be "primary" or "dr", got ${JSON.stringify(item.holder?.S ?? item.holder)}`);
  const number = (name: 'epoch' | 'expiresAt' | 'writtenAt', integer: boolean): number => {
    const raw = item[name]?.N;
    const value = raw === undefined ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isSafeInteger(value)) || value < 0) problems.push(`${name} must be a non-negative number, got ${JSON.stringify(raw ?? item[name])}`);
    return value;
  };
  const epoch = number('epoch', true);
  const expiresAt = number('expiresAt', true);
  const writtenAt = number('writtenAt', true);
  const writtenBy = item.writtenBy?.S;
  if (writtenBy === undefined) problems.push('writtenBy is missing');
  if (problems.length > 0) throw new Error(`write lease item is malformed: ${problems.join('; ')}`);
  return { holder: holder as LeaseHolder, epoch, expiresAt, writtenBy: writtenBy!, writtenAt };
}

function storedLeaseOf(item: Record<string, AttributeValue> | undefined): { lease?: WriteLease; problem?: string } {
  if (!item) return { problem: 'the stored lease was not returned' };
  try {
    return { lease: leaseFromItem(item) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
