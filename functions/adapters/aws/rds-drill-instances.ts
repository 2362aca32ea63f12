import {
  CreateDBInstanceReadReplicaCommand, DeleteDBInstanceCommand, DescribeDBInstancesCommand, PromoteReadReplicaCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { DrillNotReadyError, type DrillInstances, type DrillInstanceView } from '../../core/drill-full';

export interface RdsDrillInstancesOptions {
  /** RDS client in the DR region, where the disposable replica lives. */
  readonly rds: RDSClient;
  /** The production primary (cross-region source: RDS needs the ARN). */
  readonly sourceInstanceArn: string;
  /** DR-region KMS key: RDS re-encrypts the cross-region copy with it. */
  readonly kmsKeyArn: string;
  readonly instanceClass: string;
  /** Same network and settings as the DR replica, so the drill rehearses what a failover gets. */
  readonly subnetGroupName: string;
  readonly securityGroupId: string;
  readonly parameterGroupName: string;
  readonly instancePrefix: string;
}

const PAGE_SIZE = 100;

/**
 * `DrillInstances` over RDS. IAM: `rds:CreateDBInstanceReadReplica` (drill instance ARNs `db:<prefix>*`, the source
 * instance ARN, the subnet group and parameter group ARNs), `rds:AddTagsToResource` (drill ARNs),
 * `rds:PromoteReadReplica` + `rds:DeleteDBInstance` (drill ARNs), `rds:DescribeDBInstances` (`db:*` of the DR region:
 * listing has no narrower resource), KMS `CreateGrant`/`DescribeKey` on the DR key.
 */
export class RdsDrillInstances implements DrillInstances {
  constructor(private readonly options: RdsDrillInstancesOptions) {}

  async listDrillInstances(): Promise<readonly string[]> {
    const ids: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.options.rds.send(new DescribeDBInstancesCommand({ MaxRecords: PAGE_SIZE, Marker: marker }));
      for (const instance of page.DBInstances ?? []) {
        if (instance.DBInstanceIdentifier?.startsWith(this.options.instancePrefix)) ids.push(instance.DBInstanceIdentifier);
      }
      marker = page.Marker;
    } while (marker);
    return ids;
  }

  async createReplica(instanceId: string): Promise<void> {
    const { rds, ...options } = this.options;
    await rds.send(new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: instanceId,
      SourceDBInstanceIdentifier: options.sourceInstanceArn,
      KmsKeyId: options.kmsKeyArn,
      DBInstanceClass: options.instanceClass,
      DBSubnetGroupName: options.subnetGroupName,
      VpcSecurityGroupIds: [options.securityGroupId],
      DBParameterGroupName: options.parameterGroupName,
      MultiAZ: false,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      DeletionProtection: false,
      Tags: [{ Key: 'drill', Value: 'true' }, { Key: 'Name', Value: instanceId }],
    }));
  }

  async describe(instanceId: string): Promise<DrillInstanceView | undefined> {
    try {
      const response = await this.options.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
      const instance = response.DBInstances?.[0];
      if (!instance) return undefined;
      return {
        status: instance.DBInstanceStatus ?? 'unknown',
        isReplica: Boolean(instance.ReadReplicaSourceDBInstanceIdentifier),
        ...(instance.Endpoint?.Address ? { endpoint: instance.Endpoint.Address } : {}),
      };
    } catch (error) {
      if (errorName(error) === 'DBInstanceNotFoundFault') return undefined;
      throw error;
    }
  }

  async promote(instanceId: string): Promise<void> {
    // Backups on, as the orchestrator keeps them on production: RDS then backs up during promotion, and the
    // measured RTO must include that. One day is the least retention that does so.
    await this.options.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: instanceId, BackupRetentionPeriod: 1 }));
  }

  async delete(instanceId: string): Promise<'deleting' | 'absent'> {
    try {
      await this.options.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
      return 'deleting';
    } catch (error) {
      const name = errorName(error);
      if (name === 'DBInstanceNotFoundFault') return 'absent';
      if (name === 'InvalidDBInstanceStateFault') {
        const view = await this.describe(instanceId);
        if (!view) return 'absent';
        if (view.status === 'deleting') return 'deleting';
        throw new DrillNotReadyError(`drill instance ${instanceId} cannot be deleted while ${view.status}`);
      }
      throw error;
    }
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
