import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { DatabaseControl } from '../../core/ports';
import { CloudWatchReplicationLag, METRIC_PERIOD_SECONDS } from './cloudwatch-replication-lag';
import { replicaStatusOf } from './rds-database-control';
import { describeInstance } from './rds-instance-status';

export interface ReplicaLagViewOptions {
  /** Clients in the DR region. */
  readonly rds: RDSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly replicaInstanceId: string;
  readonly metricNamespace: string;
  readonly environmentSuffix: string;
  readonly lagLookbackSeconds: number;
}

/**
 * The orchestrator's own read-only views of the DR replica (role/status/replication state and the lag as
 * the orchestrator reads it from `ReplicationLagSeconds` + `PrimaryReachable`), so a drill judges the replica
 * exactly as a failover would. Only these two methods are exposed: nothing that touches the primary, promotes or fences is reachable from here.
 * IAM: `rds:DescribeDBInstances` (replica ARN), `cloudwatch:GetMetricData` (`*`).
 */
export function describeReplicaAndLag(options: ReplicaLagViewOptions): Pick<DatabaseControl, 'describeReplica' | 'replicationLagSeconds'> {
  const lag = new CloudWatchReplicationLag({
    cloudWatch: options.cloudWatch,
    metricNamespace: options.metricNamespace,
    environmentSuffix: options.environmentSuffix,
    lagLookbackSeconds: options.lagLookbackSeconds,
    // Without the monitor's schedule, the data's own resolution is the least window; the gap between the
    // last reachable and the first unreachable sample covers a slower schedule.
    probeIntervalSeconds: METRIC_PERIOD_SECONDS,
  });
  return {
    describeReplica: async () => replicaStatusOf(await describeInstance(options.rds, options.replicaInstanceId)),
    replicationLagSeconds: () => lag.replicationLagSeconds(),
  };
}
