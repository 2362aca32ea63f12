import {
  ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand, type DBInstance,
} from '@aws-sdk/client-rds';
import { formatSeconds } from '../../core/format-seconds';
import { isAuthenticationFailure, serverAnswered } from '../../core/instance-health';
import type { LagAtPrimaryFailure, PrimaryEndEvidence } from '../../core/lag-at-primary-failure';
import type {
  Clock, ConnectivityProbe, DatabaseControl, FenceOutcome, FrozenPrimary, InstanceStatus, ReplicaStatus, WriterCheck,
} from '../../core/ports';
import { describeError } from '../../core/retry';
import { systemClock } from '../../core/system-clock';
import type { DatabaseTarget, ProbeResult } from '../postgres/connectivity';
import { checkWriter, FENCE_APPLICATION_NAME, verifyWriteFence, walFlushLsn, walReplayLsn } from '../postgres/write-fence';
import { withDatabaseSession, type TargetProvider } from './database-session';
import { describeInstance, describeInstanceStatus } from './rds-instance-status';
import { cutSessionsOnceReadOnly, hasExactlySecurityGroups, networkFenceOf, setReadOnlyDefault } from './rds-write-fence';

export interface RdsDatabaseControlOptions {
  /** RDS client in the PRIMARY region: only used for the old primary (describe, fence, freeze). */
  readonly primaryRds: RDSClient;
  /** RDS client in the DR region: the replica. */
  readonly drRds: RDSClient;
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly fenceSecurityGroupId: string;
  /** The primary's own DB parameter group (env `PRIMARY_DB_PARAMETER_GROUP`): the switchover's write freeze. */
  readonly primaryParameterGroup: string;
  /**
   * Retention the promoted database gets when the replica keeps no automated backups of its own (RDS creates a read
   * replica with backups off unless they are turned on; promoted without `BackupRetentionPeriod` it would get RDS's
   * default of 1 day): the one its template gives the instance under that name.
   */
  readonly promotedBackupRetentionDays?: number;
  /**
   * How the primary is reached over SQL (credentials are read lazily; `refreshCredentials` re-reads a rotated
   * secret). A failure to read them throws from `probePrimary`.
   */
  readonly primaryTarget: TargetProvider;
  /** How the DR database is reached over SQL (replay position, writer check). */
  readonly replicaTarget: TargetProvider;
  readonly probe: (target: DatabaseTarget, timeoutMs: number) => Promise<ProbeResult>;
  /** The lag at the primary's failure with its basis (`CloudWatchReplicationLag` on AWS). */
  readonly replicationLag: Required<Pick<DatabaseControl, 'replicationLagEstimate'>>;
  /** Bound for each SQL connect and statement. Default 5 s. */
  readonly sqlTimeoutMs?: number;
  /** How long `freezePrimary` retries while the read-only parameter reaches the server. Default 60 s. */
  readonly freezeTimeoutMs?: number;
  /** Pause between those checks. Default 2 s. */
  readonly freezePollMs?: number;
  readonly clock?: Clock;
}

const REPLICATION_STATUS_TYPE = 'read replication';
const DEFAULT_SQL_TIMEOUT_MS = 5_000;
const DEFAULT_FREEZE_TIMEOUT_MS = 60_000;
const DEFAULT_FREEZE_POLL_MS = 2_000;

/**
 * `DatabaseControl` over RDS (SDK v3) and SQL. IAM: `rds:DescribeDBInstances` (both instance ARNs),
 * `rds:PromoteReadReplica` (replica ARN), `rds:ModifyDBInstance` + `rds:StopDBInstance` (primary ARN),
 * `rds:ModifyDBParameterGroup` (the primary's parameter group ARN), whatever `replicationLag` needs
 * (`cloudwatch:GetMetricData` on `*`) and the targets need (Secrets Manager).
 */
export class RdsDatabaseControl implements DatabaseControl {
  private readonly clock: Clock;
  private readonly sqlTimeoutMs: number;

  constructor(private readonly options: RdsDatabaseControlOptions) {
    this.clock = options.clock ?? systemClock;
    this.sqlTimeoutMs = options.sqlTimeoutMs ?? DEFAULT_SQL_TIMEOUT_MS;
  }

  /**
   * One definition of "reachable" (`serverAnswered`): a server that answered with its own SQLSTATE is alive. A
   * stale password (the secret rotated) is re-read ONCE and the probe repeated, so the probe measures the server,
   * not our cache.
   */
  async probePrimary(timeoutMs: number): Promise<ConnectivityProbe> {
    const { primaryTarget, probe } = this.options;
    let result = await probe(await primaryTarget(), timeoutMs);
    if (isAuthenticationFailure(result)) result = await probe(await primaryTarget({ refreshCredentials: true }), timeoutMs);
    return { ...result, reachable: serverAnswered(result) };
  }

  describePrimary(): Promise<InstanceStatus> {
    return describeInstanceStatus(this.options.primaryRds, this.options.primaryInstanceId);
  }

  async describeReplica(): Promise<ReplicaStatus> {
    return replicaStatusOf(await describeInstance(this.options.drRds, this.options.replicaInstanceId));
  }

  /** Delegated: the lag is read from the monitor's metrics, not from RDS. */
  async replicationLagSeconds(evidence?: PrimaryEndEvidence): Promise<number | undefined> {
    return (await this.replicationLagEstimate(evidence)).lagSeconds;
  }

  replicationLagEstimate(evidence?: PrimaryEndEvidence): Promise<LagAtPrimaryFailure> {
    return this.options.replicationLag.replicationLagEstimate(evidence);
  }

  /**
   * Returns silently only when RDS no longer lists a replication source (`ReadReplicaSourceDBInstanceIdentifier`,
   * "the identifier of the source DB instance if this DB instance is a read replica",
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html): it is promoted or promoting.
   * Every refusal of PromoteReadReplica propagates, `InvalidDBInstanceState` included ("The DB instance isn't in a
   * valid state", HTTP 400, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html):
   * while the instance still lists its source it is NOT promoting, whatever its status (a replica in `backing-up` or
   * `modifying` refuses promotion), so the core must ask again rather than wait for a promotion nobody started.
   */
  async promoteReplica(): Promise<void> {
    const replica = await describeInstance(this.options.drRds, this.options.replicaInstanceId);
    if (!replica.ReadReplicaSourceDBInstanceIdentifier) return;
    // Omitting BackupRetentionPeriod would reset it to RDS's default of 1 day: keep the replica's PITR window, or give
    // a replica without backups the template's.
    const retention = replica.BackupRetentionPeriod !== undefined && replica.BackupRetentionPeriod > 0 ? replica.BackupRetentionPeriod : this.options.promotedBackupRetentionDays;
    await this.options.drRds.send(new PromoteReadReplicaCommand({
      DBInstanceIdentifier: this.options.replicaInstanceId,
      ...(retention !== undefined && retention > 0 ? { BackupRetentionPeriod: retention } : {}),
    }));
  }

  /**
   * Isolates the old primary in the deny-all group (ModifyDBInstance `VpcSecurityGroupIds`, `ApplyImmediately`,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html), then asks to stop it.
   * `verified` only when DescribeDBInstances lists the fence group alone and `active` (`networkFenceOf`); a change
   * still being applied reads `verified: false` and the core calls again.
   */
  async fencePrimary(): Promise<FenceOutcome> {
    const { primaryRds, primaryInstanceId, fenceSecurityGroupId } = this.options;
    let instance = await describeInstance(primaryRds, primaryInstanceId);
    if (!hasExactlySecurityGroups(instance, [fenceSecurityGroupId])) {
      await primaryRds.send(new ModifyDBInstanceCommand({
        DBInstanceIdentifier: primaryInstanceId,
        VpcSecurityGroupIds: [fenceSecurityGroupId],
        ApplyImmediately: true,
      }));
      instance = await describeInstance(primaryRds, primaryInstanceId);
    }
    const network = networkFenceOf(instance, fenceSecurityGroupId);
    const outcome = (stopped: boolean, detail: string): FenceOutcome => ({
      isolated: true, stopped, verified: network.fenced, detail: `${detail}; ${network.detail}`,
    });
    const status = instance.DBInstanceStatus ?? 'unknown';
    if (status === 'stopped' || status === 'stopping') return outcome(true, `already ${status}`);
    try {
      await primaryRds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: primaryInstanceId }));
      return outcome(true, 'stop requested (RDS restarts a stopped instance after 7 days; the deny-all security group stays)');
    } catch (error) {
      // Stopping is a bonus: RDS refuses it while the fence modification is applied or replicas exist.
      return outcome(false, `stop refused: ${describeError(error)}`);
    }
  }

  /**
   * The switchover's write freeze: the read-only default on the primary's own parameter group (`setReadOnlyDefault`),
   * then, once new sessions are read-only, every older client session cut; verified from a NEW session
   * (`verifyWriteFence`), which then reads the WAL flush position. The parameter reaches the server asynchronously,
   * so this retries for up to `freezeTimeoutMs`. THROWS if the primary cannot be reached or the freeze is not verified.
   */
  async freezePrimary(): Promise<FrozenPrimary> {
    const { primaryRds, primaryParameterGroup, primaryTarget } = this.options;
    // The freeze's own sessions carry FENCE_APPLICATION_NAME: the primary's keeper fencing at the same time never cuts them.
    const session = { timeoutMs: this.sqlTimeoutMs, applicationName: FENCE_APPLICATION_NAME };
    await setReadOnlyDefault(primaryRds, primaryParameterGroup, true);
    const timeoutMs = this.options.freezeTimeoutMs ?? DEFAULT_FREEZE_TIMEOUT_MS;
    const deadline = this.clock.now() + timeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      const cut = await withDatabaseSession(primaryTarget, session, cutSessionsOnceReadOnly);
      let notYet = 'new sessions are not read-only yet (the parameter group change applies asynchronously)';
      if (cut) {
        const verified = await withDatabaseSession(primaryTarget, session, async (client) => {
          const check = await verifyWriteFence(client, cut.fencedAt);
          return check.fenced ? { check, flushLsn: await walFlushLsn(client) } : { check };
        });
        if (verified.flushLsn !== undefined) {
          return {
            flushLsn: verified.flushLsn,
            detail: `${verified.check.detail}; ${cut.terminated} client session(s) terminated; WAL flushed up to ${verified.flushLsn} (check ${attempt})`,
          };
        }
        notYet = verified.check.detail;
      }
      if (this.clock.now() >= deadline) {
        throw new Error(`the write freeze of the primary is not verified after ${formatSeconds(timeoutMs / 1000)}: ${notYet}`);
      }
      await this.clock.sleep(this.options.freezePollMs ?? DEFAULT_FREEZE_POLL_MS);
    }
  }

  /** Puts the read-only default back to off (a switchover abandoned before any promotion request). */
  async thawPrimary(): Promise<void> {
    await setReadOnlyDefault(this.options.primaryRds, this.options.primaryParameterGroup, false);
  }

  replicaReplayLsn(): Promise<string | undefined> {
    return withDatabaseSession(this.options.replicaTarget, { timeoutMs: this.sqlTimeoutMs }, walReplayLsn);
  }

  verifyWriter(): Promise<WriterCheck> {
    return withDatabaseSession(this.options.replicaTarget, { timeoutMs: this.sqlTimeoutMs }, checkWriter);
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
