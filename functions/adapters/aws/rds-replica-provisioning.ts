/**
 * Re-protection on AWS: the old writer that holds the configured name of the destination region renamed away, a
 * cross-region read replica of the writer under that name, and the cross-region replication of the writer's automated
 * backups, all requested in the DESTINATION region (SDK v3, RDS API 2014-10-31).
 *
 * - Retiring the old writer follows RDS's "Renaming to replace an existing DB instance": stop its traffic, rename it "to
 *   a name that indicates it is no longer the primary", give the new instance the old name
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html). ModifyDBInstance
 *   `NewDBInstanceIdentifier` with `ApplyImmediately` reboots the instance at once; "the old DNS name … is immediately
 *   deleted", the new one takes about 10 minutes, during which the instance is not available
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html). A stopped instance cannot be
 *   modified ("You can't modify a stopped DB instance", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html),
 *   so a stopped old writer is started first, but only inside its fence security group (the failover's fence step put
 *   it there, `networkFenceOf`): started anywhere else it could take writes from clients that still reach it. A running
 *   one outside the fence is moved into it before the rename. The renamed instance is kept: it may hold writes that
 *   never reached the replica.
 * - The new replica's own parameter group is the one the old writer used, and a write freeze (the keeper's fence, a
 *   switchover) left `default_transaction_read_only` on there: it is lifted before the replica is created, once the old
 *   writer is renamed inside its fence, or the replica, once promoted, would refuse every write.
 *
 * - CreateDBInstanceReadReplica, called in the target region with `SourceDBInstanceIdentifier` = the writer's ARN:
 *   a replica in another region must name its source by ARN ("when you create an RDS DB instance read replica, you must
 *   supply the ARN for the source DB instance", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.ARN.html;
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html). An encrypted replica in another
 *   region needs `KmsKeyId` of a key in the destination region ("KMS keys are specific to the AWS Region that they are
 *   created in"); `DBSubnetGroupName`, `DBParameterGroupName` and `VpcSecurityGroupIds` are the destination's (a
 *   cross-region replica gets the default parameter group otherwise); RDS creates read replicas with backups disabled
 *   and the source must have backup retention enabled. Error `DBInstanceAlreadyExists` (HTTP 400): "The user already
 *   has a DB instance with the given identifier". Everything else the estate's instances are
 *   (`ESTATE_INSTANCE_SETTINGS`: Multi-AZ, gp3, IAM authentication, Performance Insights with the region's key,
 *   enhanced monitoring with the region's monitoring role, PostgreSQL logs to CloudWatch, the CA) is requested with it:
 *   CloudFormation would never add it later (it sends only what changes between templates). Passing the monitoring role
 *   needs `iam:PassRole` ("The user that enables Enhanced Monitoring must be granted the PassRole permission",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
 *   The SDK's RDS middleware signs the `PreSignedUrl` for the source region itself when the source is an ARN of another
 *   region (@aws-sdk/middleware-sdk-rds, `SourceDBInstanceIdentifier` and `SourceDBInstanceArn`).
 * - StartDBInstanceAutomatedBackupsReplication, called in the destination region: `SourceDBInstanceArn` (required),
 *   `KmsKeyId` ("the ARN for the KMS encryption key in the destination AWS Region"), `BackupRetentionPeriod`. Errors:
 *   DBInstanceAutomatedBackupQuotaExceeded, DBInstanceNotFound, InvalidDBInstanceAutomatedBackupState,
 *   InvalidDBInstanceState, KMSKeyNotAccessibleFault, StorageTypeNotSupported.
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstanceAutomatedBackupsReplication.html
 * - Whether it is on: the writer's `DBInstanceAutomatedBackupsReplications` (DescribeDBInstances,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), each an ARN of replicated automated
 *   backups (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstanceAutomatedBackupsReplication.html)
 *   read back in that region with DescribeDBInstanceAutomatedBackups `DBInstanceAutomatedBackupsArn`
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstanceAutomatedBackups.html); it counts
 *   as replicating once its `RestoreWindow` has a `LatestTime` ("the latest time you can restore an instance to",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreWindow.html): the destination can restore.
 * - The replica's source: `ReadReplicaSourceDBInstanceIdentifier`, its replication health: `StatusInfos` "read
 *   replication" (API_DBInstance.html, as `rds-database-control.ts` reads them).
 *
 * IAM (the caller's role; the SDK's presigned source-region request is evaluated against the same role):
 * - `rds:DescribeDBInstances` on the writer's `db:` ARN, the target's and its retired names' (`<target>-retired-*`);
 * - `rds:StartDBInstance` and `rds:ModifyDBInstance` on the target's `db:` ARN (the old writer), the fence `secgrp:`;
 * - `rds:ModifyDBParameterGroup` on the target's own `pg:` ARN;
 * - `iam:PassRole` on the target region's enhanced-monitoring role;
 * - `rds:CreateDBInstanceReadReplica` on the target `db:` ARN, the writer's (source) `db:` ARN, the target region's
 *   `subgrp:` and `pg:` ARNs (and its default `og:` of the engine);
 * - `rds:StartDBInstanceAutomatedBackupsReplication` on the writer's `db:` ARN (and the destination's `auto-backup:*`);
 * - `rds:DescribeDBInstanceAutomatedBackups` on the destination's `auto-backup:*`;
 * - `kms:CreateGrant` (kms:GrantIsForAWSResource) and `kms:DescribeKey` on the destination region's key.
 */
import {
  CreateDBInstanceReadReplicaCommand, DBInstanceAlreadyExistsFault, DBInstanceNotFoundFault, DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand, InvalidDBInstanceStateFault, ModifyDBInstanceCommand, StartDBInstanceAutomatedBackupsReplicationCommand, StartDBInstanceCommand,
  type DBInstance, type RDSClient,
} from '@aws-sdk/client-rds';
import { describeMember, type DatabaseMember, type RegionSide } from '../../core/estate-roles';
import {
  ReplicaTargetConflictError, type BackupReplicationStatus, type ReplicaProvisioning, type ReplicaTargetStatus, type RetirementProgress,
} from '../../core/ports';
import { ESTATE_INSTANCE_SETTINGS } from '../../shared/estate-instance-settings';
import { hasExactlySecurityGroups, networkFenceOf, setReadOnlyDefault } from './rds-write-fence';

const REPLICATION_STATUS_TYPE = 'read replication';

/** One region of the estate: its name and an RDS client there. */
export interface RdsRegion {
  readonly region: string;
  readonly rds: RDSClient;
}

/** Where and how the re-protection replica of a writer in the OTHER region is created (infrastructure settings). */
export interface ReplicaTargetSettings {
  /** DB instance identifier of the replica in this region: the configured instance of the region. */
  readonly instanceId: string;
  /** The region's deny-all security group: the old writer is renamed only inside it. */
  readonly fenceSecurityGroupId: string;
  /** ARN of this region's KMS key (the replica and the replicated backups are encrypted with it). */
  readonly kmsKeyId: string;
  readonly dbSubnetGroupName: string;
  /** The replica's own DB parameter group in this region (a later write freeze sets its read-only default; lifted before creating). */
  readonly dbParameterGroupName: string;
  readonly vpcSecurityGroupIds: readonly string[];
  /** Default: the source's class. */
  readonly dbInstanceClass?: string;
  /** The region's enhanced-monitoring role (the one its instance's template uses). */
  readonly monitoringRoleArn: string;
  /** Storage autoscaling ceiling of the template's instance; default: none. */
  readonly maxAllocatedStorageGiB?: number;
  /** Retention of the replicated automated backups, days. */
  readonly backupRetentionDays: number;
}

export interface RdsReplicaProvisioningOptions {
  readonly regions: Readonly<Record<RegionSide, RdsRegion>>;
  /** Re-protection targets by the region they are created in. */
  readonly targets: Readonly<Partial<Record<RegionSide, ReplicaTargetSettings>>>;
}

export class RdsReplicaProvisioning implements ReplicaProvisioning {
  constructor(private readonly options: RdsReplicaProvisioningOptions) {}

  targetFor(writer: DatabaseMember): DatabaseMember | undefined {
    const side: RegionSide = writer.side === 'primary' ? 'dr' : 'primary';
    const settings = this.options.targets[side];
    return settings ? { side, instanceId: settings.instanceId } : undefined;
  }

  async describeTarget(target: DatabaseMember): Promise<ReplicaTargetStatus | undefined> {
    const instance = await this.describe(target);
    if (!instance) return undefined;
    const status = instance.DBInstanceStatus ?? 'unknown';
    const source = instance.ReadReplicaSourceDBInstanceIdentifier;
    const replicationState = instance.StatusInfos?.find((info) => info.StatusType === REPLICATION_STATUS_TYPE)?.Status;
    return {
      status,
      available: status === 'available',
      ...(source ? { source: this.memberOf(source, target.side) } : {}),
      ...(replicationState ? { replicationState } : {}),
    };
  }

  async createReplica(writer: DatabaseMember, target: DatabaseMember): Promise<void> {
    const settings = this.settingsIn(target.side);
    if (settings.instanceId !== target.instanceId) throw new Error(`${describeMember(target)} is not the configured re-protection replica (${settings.instanceId})`);
    const source = await this.describe(writer);
    if (!source?.DBInstanceArn) throw new Error(`the writer ${describeMember(writer)} was not found in ${this.regionOf(writer.side).region}`);
    if (!(await this.describe(target))) await setReadOnlyDefault(this.regionOf(target.side).rds, settings.dbParameterGroupName, false);
    try {
      await this.regionOf(target.side).rds.send(new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: target.instanceId,
        SourceDBInstanceIdentifier: source.DBInstanceArn,
        KmsKeyId: settings.kmsKeyId,
        DBSubnetGroupName: settings.dbSubnetGroupName,
        DBParameterGroupName: settings.dbParameterGroupName,
        VpcSecurityGroupIds: [...settings.vpcSecurityGroupIds],
        ...(settings.dbInstanceClass ? { DBInstanceClass: settings.dbInstanceClass } : {}),
        ...(settings.maxAllocatedStorageGiB !== undefined ? { MaxAllocatedStorage: settings.maxAllocatedStorageGiB } : {}),
        MultiAZ: ESTATE_INSTANCE_SETTINGS.multiAz,
        StorageType: ESTATE_INSTANCE_SETTINGS.storageType,
        EnableIAMDatabaseAuthentication: ESTATE_INSTANCE_SETTINGS.iamDatabaseAuthentication,
        EnablePerformanceInsights: ESTATE_INSTANCE_SETTINGS.performanceInsights,
        PerformanceInsightsKMSKeyId: settings.kmsKeyId,
        MonitoringInterval: ESTATE_INSTANCE_SETTINGS.monitoringIntervalSeconds,
        MonitoringRoleArn: settings.monitoringRoleArn,
        EnableCloudwatchLogsExports: [...ESTATE_INSTANCE_SETTINGS.cloudwatchLogsExports],
        CACertificateIdentifier: ESTATE_INSTANCE_SETTINGS.caCertificateIdentifier,
        AutoMinorVersionUpgrade: ESTATE_INSTANCE_SETTINGS.autoMinorVersionUpgrade,
        // The estate's instances are not reachable from the internet; a replica must not be either.
        PubliclyAccessible: ESTATE_INSTANCE_SETTINGS.publiclyAccessible,
        CopyTagsToSnapshot: ESTATE_INSTANCE_SETTINGS.copyTagsToSnapshot,
        DeletionProtection: true,
      }));
    } catch (error) {
      if (!(error instanceof DBInstanceAlreadyExistsFault)) throw error;
      // Taken: a retry whose first request went through (adopt), or someone else's database (refuse).
      const existing = await this.describeTarget(target);
      const from = existing?.source;
      if (from && 'side' in from && from.side === writer.side && from.instanceId === writer.instanceId) return;
      throw new ReplicaTargetConflictError(`${describeMember(target)} already exists (DBInstanceAlreadyExists) and `
        + `${from ? `replicates from ${'side' in from ? describeMember(from) : from.unknown}` : 'is not a replica'}, not from ${describeMember(writer)}`);
    }
  }

  async backupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus | undefined> {
    const instance = await this.describe(writer);
    if (!instance) throw new Error(`the writer ${describeMember(writer)} was not found in ${this.regionOf(writer.side).region}`);
    const region = this.regionOf(destination);
    const arn = instance.DBInstanceAutomatedBackupsReplications?.map((replication) => replication.DBInstanceAutomatedBackupsArn)
      .find((candidate) => candidate !== undefined && regionOfArn(candidate) === region.region);
    if (!arn) return undefined;
    const response = await region.rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceAutomatedBackupsArn: arn }));
    const backup = response.DBInstanceAutomatedBackups?.[0];
    const latest = backup?.RestoreWindow?.LatestTime;
    const detail = `${arn} ${backup?.Status ?? 'not described yet'}${latest ? `, restorable in ${region.region} up to ${latest.toISOString()}` : ''}`;
    return { state: latest ? 'replicating' : 'pending', detail };
  }

  async startBackupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus> {
    const settings = this.settingsIn(destination);
    const source = await this.describe(writer);
    if (!source?.DBInstanceArn) throw new Error(`the writer ${describeMember(writer)} was not found in ${this.regionOf(writer.side).region}`);
    const response = await this.regionOf(destination).rds.send(new StartDBInstanceAutomatedBackupsReplicationCommand({
      SourceDBInstanceArn: source.DBInstanceArn,
      KmsKeyId: settings.kmsKeyId,
      BackupRetentionPeriod: settings.backupRetentionDays,
    }));
    const backup = response.DBInstanceAutomatedBackup;
    return { state: 'pending', detail: `${backup?.DBInstanceAutomatedBackupsArn ?? 'replication'} ${backup?.Status ?? 'requested'}` };
  }

  async retireOldWriter(oldWriter: DatabaseMember, retiredId: string): Promise<RetirementProgress> {
    const { fenceSecurityGroupId } = this.settingsIn(oldWriter.side);
    const rds = this.regionOf(oldWriter.side).rds;
    const old = await this.describe(oldWriter);
    if (!old) {
      const renamed = await this.describe({ side: oldWriter.side, instanceId: retiredId });
      return { done: true, detail: renamed ? `${retiredId} is ${renamed.DBInstanceStatus ?? 'described'}; nothing answers to ${oldWriter.instanceId} any more` : `neither ${oldWriter.instanceId} nor ${retiredId} exists (deleted?): the name is free` };
    }
    if (old.ReadReplicaSourceDBInstanceIdentifier) {
      throw new ReplicaTargetConflictError(`${describeMember(oldWriter)} is a read replica of ${old.ReadReplicaSourceDBInstanceIdentifier}, not an old writer: nothing renamed`);
    }
    const status = old.DBInstanceStatus ?? 'unknown';
    const fence = networkFenceOf(old, fenceSecurityGroupId);
    if (status === 'stopped') {
      if (!hasExactlySecurityGroups(old, [fenceSecurityGroupId])) {
        throw new ReplicaTargetConflictError(`${describeMember(oldWriter)} is stopped outside its fence (${fence.detail}): started to be renamed, it could take `
          + 'writes from clients that still reach it. Nothing renamed or created; isolate it yourself (start it in a maintenance window and fence it, or delete it '
          + 'after a final snapshot), then re-protect again');
      }
      await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: oldWriter.instanceId }));
      return { done: false, detail: `stopped inside its fence security group: start requested (a stopped instance cannot be renamed)` };
    }
    if (status !== 'available') return { done: false, detail: `status ${status}: waiting until it is available` };
    if (!fence.fenced) {
      if (!hasExactlySecurityGroups(old, [fenceSecurityGroupId])) {
        await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: oldWriter.instanceId, VpcSecurityGroupIds: [fenceSecurityGroupId], ApplyImmediately: true }));
      }
      return { done: false, detail: `isolating it before the rename: ${fence.detail}` };
    }
    try {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: oldWriter.instanceId, NewDBInstanceIdentifier: retiredId, ApplyImmediately: true }));
    } catch (error) {
      // A rename that went through on an earlier call while the old name still answered (an instance goes by its former
      // identifier until it leaves `modifying`): the new name is taken by it, or the instance is busy with it.
      if (!(error instanceof DBInstanceAlreadyExistsFault) && !(error instanceof InvalidDBInstanceStateFault)) throw error;
    }
    return { done: false, detail: `isolated (${fence.detail}); rename to ${retiredId} requested (RDS reboots it; the new name takes about 10 minutes)` };
  }

  /** `undefined` when RDS has no such instance in that region (DBInstanceNotFound, HTTP 404). */
  private async describe(member: DatabaseMember): Promise<DBInstance | undefined> {
    try {
      const response = await this.regionOf(member.side).rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: member.instanceId }));
      return response.DBInstances?.[0];
    } catch (error) {
      if (error instanceof DBInstanceNotFoundFault) return undefined;
      throw error;
    }
  }

  /** A replication source as a member: an ARN names its region; a bare identifier is in the replica's own region. */
  private memberOf(source: string, replicaSide: RegionSide): DatabaseMember | { unknown: string } {
    const parsed = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):\d+:db:(.+)$/.exec(source);
    if (!parsed) return { side: replicaSide, instanceId: source };
    const side = (Object.keys(this.options.regions) as RegionSide[]).find((candidate) => this.options.regions[candidate].region === parsed[1]);
    return side ? { side, instanceId: parsed[2] } : { unknown: source };
  }

  private regionOf(side: RegionSide): RdsRegion {
    return this.options.regions[side];
  }

  private settingsIn(side: RegionSide): ReplicaTargetSettings {
    const settings = this.options.targets[side];
    if (!settings) throw new Error(`no re-protection replica is configured in the ${side} region`);
    return settings;
  }
}

function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3];
}
