import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand, type DBInstance,
} from '@aws-sdk/client-rds';
import { lagAtPrimaryFailure, type LagSample } from '../../core/lag-at-primary-failure';
import type {
  ConnectivityProbe, DatabaseControl, FenceOutcome, InstanceStatus, Logger, ReplicaStatus,
} from '../../core/ports';
import { describeError } from '../../core/retry';
import { reachableIfAnswered, type DatabaseTarget, type ProbeResult } from '../postgres/connectivity';
import { ENVIRONMENT_DIMENSION } from './cloudwatch-metrics';
import { describeInstance, describeInstanceStatus } from './rds-instance-status';

export interface RdsDatabaseControlOptions {
  /** RDS client in the PRIMARY region: only used for the old primary (describe, fence). */
  readonly primaryRds: RDSClient;
  /** RDS client in the DR region: the replica. */
  readonly drRds: RDSClient;
  /** CloudWatch client in the DR region, where the monitor publishes `ReplicationLagSeconds`. */
  readonly drCloudWatch: CloudWatchClient;
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly fenceSecurityGroupId: string;
  readonly metricNamespace: string;
  readonly environmentSuffix: string;
  /** How the primary is reached (credentials are read lazily; a failure there throws from `probePrimary`). */
  readonly primaryTarget: () => Promise<DatabaseTarget>;
  readonly probe: (target: DatabaseTarget, timeoutMs: number) => Promise<ProbeResult>;
  /** Lag data older than this is no measurement at all. */
  readonly lagLookbackMinutes: number;
  /**
   * The monitor's schedule: after the last successful probe of the primary, the first failed one came at
   * most this much later (the uncertainty window added to the lag once the primary is unreachable).
   */
  readonly probeIntervalSeconds: number;
  /** Where the basis of each lag estimate is logged. */
  readonly logger?: Logger;
  /** Injectable for tests. */
  readonly now?: () => Date;
}

/** Resolution of the monitor's data as read back: one sample per minute. */
export const METRIC_PERIOD_SECONDS = 60;
const LAG_QUERY_ID = 'lag';
const PRIMARY_REACHABLE_QUERY_ID = 'primaryReachable';

/** RDS states in which a replica is (or has just been asked to be) turned into a standalone instance. */
const PROMOTION_IN_FLIGHT_STATES = new Set(['modifying', 'rebooting', 'backing-up']);
const REPLICATION_STATUS_TYPE = 'read replication';

/**
 * `DatabaseControl` over RDS (SDK v3). IAM: `rds:DescribeDBInstances` (both instance ARNs),
 * `rds:PromoteReadReplica` (replica ARN), `rds:ModifyDBInstance` + `rds:StopDBInstance` (primary ARN),
 * `cloudwatch:GetMetricData` (`*`), and whatever `primaryTarget` needs (Secrets Manager).
 */
export class RdsDatabaseControl implements DatabaseControl {
  constructor(private readonly options: RdsDatabaseControlOptions) {}

  async probePrimary(timeoutMs: number): Promise<ConnectivityProbe> {
    return reachableIfAnswered(await this.options.probe(await this.options.primaryTarget(), timeoutMs));
  }

  describePrimary(): Promise<InstanceStatus> {
    return describeInstanceStatus(this.options.primaryRds, this.options.primaryInstanceId);
  }

  async describeReplica(): Promise<ReplicaStatus> {
    return replicaStatusOf(await describeInstance(this.options.drRds, this.options.replicaInstanceId));
  }

  /**
   * The lag at the primary's failure (`lagAtPrimaryFailure`) from the monitor's `ReplicationLagSeconds`
   * (Maximum: the worst in each period) and `PrimaryReachable` (Minimum: a period with any failed probe
   * counts as unreachable, so its heartbeat-age lag is never taken for a measurement of a live primary).
   */
  async replicationLagSeconds(): Promise<number | undefined> {
    const end = this.options.now?.() ?? new Date();
    const metric = (Id: string, MetricName: string, Stat: string) => ({
      Id,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: this.options.metricNamespace,
          MetricName,
          Dimensions: [{ Name: ENVIRONMENT_DIMENSION, Value: this.options.environmentSuffix }],
        },
        Period: METRIC_PERIOD_SECONDS,
        Stat,
      },
    });
    const response = await this.options.drCloudWatch.send(new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - this.options.lagLookbackMinutes * 60_000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        metric(LAG_QUERY_ID, 'ReplicationLagSeconds', 'Maximum'),
        metric(PRIMARY_REACHABLE_QUERY_ID, 'PrimaryReachable', 'Minimum'),
      ],
    }));
    const estimate = lagAtPrimaryFailure(samplesOf(response.MetricDataResults ?? []), this.options.probeIntervalSeconds);
    this.options.logger?.info('replication lag estimate', { ...estimate });
    return estimate.lagSeconds;
  }

  async promoteReplica(): Promise<void> {
    const replica = await describeInstance(this.options.drRds, this.options.replicaInstanceId);
    if (!replica.ReadReplicaSourceDBInstanceIdentifier) return;
    // Omitting BackupRetentionPeriod would reset it to RDS's default of 1 day: keep the replica's PITR window.
    const retention = replica.BackupRetentionPeriod;
    try {
      await this.options.drRds.send(new PromoteReadReplicaCommand({
        DBInstanceIdentifier: this.options.replicaInstanceId,
        ...(retention !== undefined && retention > 0 ? { BackupRetentionPeriod: retention } : {}),
      }));
    } catch (error) {
      if (errorName(error) !== 'InvalidDBInstanceStateFault') throw error;
      // A repeated request (a run died after promoting) is refused while the first one is under way.
      const replica = await this.describeReplica();
      if (replica.role === 'replica' && !PROMOTION_IN_FLIGHT_STATES.has(replica.status)) throw error;
    }
  }

  async fencePrimary(): Promise<FenceOutcome> {
    const { primaryRds, primaryInstanceId, fenceSecurityGroupId } = this.options;
    const instance = await describeInstance(primaryRds, primaryInstanceId);
    const groups = (instance.VpcSecurityGroups ?? []).map((group) => group.VpcSecurityGroupId);
    const alreadyIsolated = groups.length === 1 && groups[0] === fenceSecurityGroupId;
    if (!alreadyIsolated) {
      await primaryRds.send(new ModifyDBInstanceCommand({
        DBInstanceIdentifier: primaryInstanceId,
        VpcSecurityGroupIds: [fenceSecurityGroupId],
        ApplyImmediately: true,
      }));
    }
    const status = instance.DBInstanceStatus ?? 'unknown';
    if (status === 'stopped' || status === 'stopping') return { isolated: true, stopped: true, detail: `already ${status}` };
    try {
      await primaryRds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: primaryInstanceId }));
      return { isolated: true, stopped: true, detail: 'stop requested (RDS restarts a stopped instance after 7 days; the deny-all security group stays)' };
    } catch (error) {
      // Stopping is a bonus: RDS refuses it while the fence modification is applied or replicas exist.
      return { isolated: true, stopped: false, detail: `stop refused: ${describeError(error)}` };
    }
  }
}

/** Maps an RDS instance description to the core's replica role. */
export function replicaStatusOf(instance: DBInstance): ReplicaStatus {
  const status = instance.DBInstanceStatus ?? 'unknown';
  const available = status === 'available';
  const replicationState = instance.StatusInfos?.find((info) => info.StatusType === REPLICATION_STATUS_TYPE)?.Status;
  const stillReplica = Boolean(instance.ReadReplicaSourceDBInstanceIdentifier);
  return {
    role: stillReplica ? 'replica' : available ? 'writer' : 'promoting',
    status,
    available,
    ...(replicationState ? { replicationState } : {}),
  };
}

/** One sample per period timestamp, joining the two series. */
function samplesOf(results: readonly MetricDataResult[]): LagSample[] {
  const series = (id: string): Map<number, number> => {
    const result = results.find((candidate) => candidate.Id === id);
    return new Map((result?.Timestamps ?? []).flatMap((timestamp, index) => {
      const value = result?.Values?.[index];
      return value === undefined ? [] : [[new Date(timestamp).getTime(), value] as const];
    }));
  };
  const lag = series(LAG_QUERY_ID);
  const reachable = series(PRIMARY_REACHABLE_QUERY_ID);
  return [...new Set([...lag.keys(), ...reachable.keys()])].map((time) => {
    const lagSeconds = lag.get(time);
    const reachableMinimum = reachable.get(time);
    return {
      at: new Date(time),
      ...(lagSeconds !== undefined ? { lagSeconds } : {}),
      ...(reachableMinimum !== undefined ? { primaryReachable: reachableMinimum >= 1 } : {}),
    };
  });
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
