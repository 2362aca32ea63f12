import { DBInstanceNotFoundFault, type RDSClient } from '@aws-sdk/client-rds';
import type { ObservedInstance } from '../../core/topology-gate';
import { describeInstance } from './rds-instance-status';

/**
 * One instance as the topology gate needs it, from DescribeDBInstances in the instance's own region:
 * `ReadReplicaSourceDBInstanceIdentifier` is set while it is a read replica ("Contains the identifier of the source DB
 * instance if this DB instance is a read replica", the source's ARN for a cross-Region replica:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), and `InstanceCreateTime` ("Indicates
 * when the DB instance was created", same page; kept by a promotion and a rename) tells the writer among two
 * standalone instances. A missing instance is the `DBInstanceNotFound` error (`DBInstanceNotFoundFault` in the SDK,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html#API_DescribeDBInstances_Errors).
 * Any other failure THROWS: the gate must not allow a deployment on what it could not see.
 */
export async function observeInstance(client: RDSClient, instanceId: string): Promise<ObservedInstance> {
  try {
    const instance = await describeInstance(client, instanceId);
    return {
      exists: true,
      status: instance.DBInstanceStatus ?? 'unknown',
      ...(instance.ReadReplicaSourceDBInstanceIdentifier ? { replicaOf: instance.ReadReplicaSourceDBInstanceIdentifier } : {}),
      ...(instance.InstanceCreateTime ? { createdAt: instance.InstanceCreateTime.toISOString() } : {}),
    };
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return { exists: false };
    throw error;
  }
}
