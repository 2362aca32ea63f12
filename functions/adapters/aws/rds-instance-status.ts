import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import type { InstanceStatus } from '../../core/ports';

/**
 * DescribeDBInstances of one instance in the client's region. THROWS if the API fails or the instance does not
 * exist. IAM: `rds:DescribeDBInstances` on `arn:aws:rds:<region>:<account>:db:<instanceId>`.
 */
export async function describeInstance(client: RDSClient, instanceId: string): Promise<DBInstance> {
  const response = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
  const instance = response.DBInstances?.[0];
  if (!instance) throw new Error(`RDS instance ${instanceId} not found`);
  return instance;
}

/**
 * Control-plane status of one RDS instance (`describeInstance` in the instance's own region: pass a client
 * for that region). THROWS if the API fails or the instance does not exist (`DBInstanceNotFoundFault`).
 */
export async function describeInstanceStatus(client: RDSClient, instanceId: string): Promise<InstanceStatus> {
  const status = (await describeInstance(client, instanceId)).DBInstanceStatus;
  if (status === undefined) throw new Error(`DescribeDBInstances returned no status for ${instanceId}`);
  return { status, available: status === 'available' };
}
