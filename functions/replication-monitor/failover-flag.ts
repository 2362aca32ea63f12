import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Key of the single failover state/lock item (shared runtime contract). */
export const FAILOVER_ITEM_KEY = 'failover';

/**
 * Whether the orchestrator has failed over, from the failover state item (`pk = "failover"`): true once its
 * `failedOver` flag is set (data-plane DNS signal published) or its status says the failover completed.
 * No item means no failover. THROWS if the table does not answer: the caller must then publish nothing rather
 * than guess, because `FailedOver` steers DNS.
 * IAM: `dynamodb:GetItem` on the table ARN.
 */
export async function readFailedOver(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: FAILOVER_ITEM_KEY } }, ConsistentRead: true }),
  );
  if (!Item) return false;
  return Item.failedOver?.BOOL === true || Item.status?.S === 'completed';
}
