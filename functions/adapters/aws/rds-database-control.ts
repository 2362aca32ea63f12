import {
  ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand, type DBInstance,
} from '@aws-sdk/client-rds';
import type {
  ConnectivityProbe, DatabaseControl, FenceOutcome, InstanceStatus, ReplicaStatus,
} from '../../core/ports';
import { describeError } from '../../core/retry';
import { reachableIfAnswered, type DatabaseTarget, type ProbeResult } from '../postgres/connectivity';
import { describeInstance, describeInstanceStatus } from './rds-instance-status';

export interface RdsDatabaseControlOptions {
  /** RDS client in the PRIMARY region: only used for the old primary (describe, fence). */
  readonly primaryRds: RDSClient;
  /** RDS client in the DR region: the replica. */
  readonly drRds: RDSClient;
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly fenceSecurityGroupId: string;
  /** How the primary is reached (credentials are read lazily; a failure there throws from `probePrimary`). */
  readonly primaryTarget: () => Promise<DatabaseTarget>;
  readonly probe: (target: DatabaseTarget, timeoutMs: number) => Promise<ProbeResult>;
  /** The lag at the primary's failure (`CloudWatchReplicationLag` on AWS). */
  readonly replicationLag: Pick<DatabaseControl, 'replicationLagSeconds'>;
}

/** RDS states in which a replica is (or has just been asked to be) turned into a standalone instance. */
const PROMOTION_IN_FLIGHT_STATES = new Set(['modifying', 'rebooting', 'backing-up']);
const REPLICATION_STATUS_TYPE = 'read replication';

/**
 * `DatabaseControl` over RDS (SDK v3). IAM: `rds:DescribeDBInstances` (both instance ARNs),
 * `rds:PromoteReadReplica` (replica ARN), `rds:ModifyDBInstance` + `rds:StopDBInstance` (primary ARN),
 * whatever `replicationLag` needs (`cloudwatch:GetMetricData` on `*`) and `primaryTarget` needs (Secrets Manager).
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

  /** Delegated: the lag is read from the monitor's metrics, not from RDS. */
  replicationLagSeconds(): Promise<number | undefined> {
    return this.options.replicationLag.replicationLagSeconds();
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

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
