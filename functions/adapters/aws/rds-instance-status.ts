import { DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { InstanceStatus } from '../../core/ports';

/**
 * Control-plane status of one RDS instance (DescribeDBInstances in the instance's own region: pass a client
 * for that region). THROWS if the API fails or the instance does not exist (`DBInstanceNotFoundFault`).
 * IAM: `rds:DescribeDBInstances` on `arn:aws:rds:<region>:<account>:db:<instanceId>`.
 */
export async function describeInstanceStatus(client: RDSClient, instanceId: string): Promise<InstanceStatus> {
  const response = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
  const status = response.DBInstances?.[0]?.DBInstanceStatus;
  if (status === undefined) throw new Error(`DescribeDBInstances returned no status for ${instanceId}`);
  return { status, available: status === 'available' };
}
