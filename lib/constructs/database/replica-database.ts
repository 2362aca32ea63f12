import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { ESTATE_INSTANCE_SETTINGS } from '../../../functions/shared/estate-instance-settings';
import { acknowledgeFindings } from '../../compliance/nag';
import { DatabaseConfig } from '../../config/dr-config';
import { subnetGroupNameOf } from '../../config/resource-names';
import { DatabaseSecurityGroup } from './database-security-group';
import { createEnhancedMonitoringRole } from './enhanced-monitoring-role';
import { acknowledgeEstateDatabaseFindings, createPostgresParameterGroup, keepSnapshotWhenReplaced } from './postgres-engine';

export interface ReplicaDatabaseProps {
  readonly instanceIdentifier: string;
  /** ARN of the primary instance in the other region (a cross-region replica needs the ARN, not the id). */
  readonly sourceInstanceArn: string;
  readonly database: DatabaseConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** This region's key: RDS re-encrypts the replica with it. */
  readonly key: kms.IKey;
  readonly clientCidrs: Record<string, string>;
  /**
   * The replica was promoted by a regional failover and is now the standalone writer. Its own parameter group gets
   * `writerParameters`; the instance resource does not change at all (see `SourceDBInstanceIdentifier` below).
   * @default false
   */
  readonly promoted?: boolean;
  /**
   * Parameters its own group gets beyond the estate's while it is the writer (`promoted`): the writer's
   * silent-session timeouts (`silentSessionParameters`), as the primary's group has them. Both are dynamic parameters,
   * which RDS applies to the instance at once, without a reboot ("changes to dynamic parameters are applied
   * immediately", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html).
   * @default none
   */
  readonly writerParameters?: Record<string, string>;
}

/**
 * The encrypted cross-region read replica in the DR region: Multi-AZ like the primary, with its own
 * automated backups so it has point-in-time recovery the moment it is promoted, TLS forced.
 *
 * Written with the L1 resource because the L2 read replica sets `StorageEncrypted`, which
 * CloudFormation rejects next to `SourceDBInstanceIdentifier` (encryption is inherited from the
 * source; the DR-region `KmsKeyId` is what makes the cross-region copy encrypted).
 */
export class ReplicaDatabase extends Construct {
  readonly instance: rds.CfnDBInstance;
  readonly securityGroup: ec2.SecurityGroup;
  /** The role RDS enhanced monitoring assumes for this instance, and for a replica a re-protection creates under its name. */
  readonly monitoringRole: iam.Role;

  constructor(scope: Construct, id: string, props: ReplicaDatabaseProps) {
    super(scope, id);
    const { database } = props;
    this.securityGroup = new DatabaseSecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      port: database.port,
      clientCidrs: props.clientCidrs,
      description: `PostgreSQL clients of ${props.instanceIdentifier}`,
    }).securityGroup;

    const subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      description: `Isolated subnets of ${props.instanceIdentifier}`,
      subnetGroupName: subnetGroupNameOf(props.instanceIdentifier),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const parameterGroup = createPostgresParameterGroup(this, props.instanceIdentifier, database, props.promoted ? props.writerParameters : {});
    this.monitoringRole = createEnhancedMonitoringRole(this, 'EnhancedMonitoringRole');

    this.instance = new rds.CfnDBInstance(this, 'Instance', {
      dbInstanceIdentifier: props.instanceIdentifier,
      // Kept for the life of the instance, also once promoted: the source is what the instance was created from, not
      // what it is now (as DBSnapshotIdentifier after a restore). CloudFormation's RDS handler
      // (aws-cloudformation-resource-providers-rds, aws-rds-dbinstance, commit 5a410e843efb90076c1c4d322707bc989e5a058b):
      // - removing it calls PromoteReadReplica (UpdateHandler, when ResourceModelHelper.isDBInstanceReadReplicaPromotion:
      //   the previous model had a source, the desired has none). After a failover the orchestrator promoted the
      //   instance already, and RDS refuses PromoteReadReplica on a standalone instance with InvalidDBInstanceState
      //   "DB Instance is not a read replica" (the error ansible-collections/amazon.aws plugins/module_utils/rds.py
      //   handle_errors treats as "already promoted"), which the handler fails as ResourceConflict
      //   (BaseHandlerStd.DEFAULT_DB_INSTANCE_ERROR_RULE_SET: InvalidDbInstanceStateException): the update would fail;
      // - adding or changing it is not updatable (ImmutabilityHelper.isSourceDBInstanceIdentifierMutable), and a
      //   custom-named instance cannot be replaced: the template could never name a source again.
      // So the property stays and the handler never sees a source change; nothing else in its update path treats a
      // model with a source differently.
      sourceDbInstanceIdentifier: props.sourceInstanceArn,
      kmsKeyId: props.key.keyArn,
      dbInstanceClass: database.instanceClass,
      multiAz: ESTATE_INSTANCE_SETTINGS.multiAz,
      storageType: ESTATE_INSTANCE_SETTINGS.storageType,
      maxAllocatedStorage: database.maxAllocatedStorageGiB,
      dbSubnetGroupName: subnetGroup.subnetGroupName,
      vpcSecurityGroups: [this.securityGroup.securityGroupId],
      dbParameterGroupName: parameterGroup.bindToInstance({}).parameterGroupName,
      port: String(database.port),
      backupRetentionPeriod: database.backupRetentionDays,
      preferredBackupWindow: '03:00-04:00',
      // A day before the primary's window, so automatic minor upgrades reach the replica first.
      preferredMaintenanceWindow: 'sat:05:00-sat:06:00',
      copyTagsToSnapshot: ESTATE_INSTANCE_SETTINGS.copyTagsToSnapshot,
      enableIamDatabaseAuthentication: ESTATE_INSTANCE_SETTINGS.iamDatabaseAuthentication,
      enablePerformanceInsights: ESTATE_INSTANCE_SETTINGS.performanceInsights,
      performanceInsightsKmsKeyId: props.key.keyArn,
      monitoringInterval: ESTATE_INSTANCE_SETTINGS.monitoringIntervalSeconds,
      monitoringRoleArn: this.monitoringRole.roleArn,
      enableCloudwatchLogsExports: [...ESTATE_INSTANCE_SETTINGS.cloudwatchLogsExports],
      caCertificateIdentifier: ESTATE_INSTANCE_SETTINGS.caCertificateIdentifier,
      autoMinorVersionUpgrade: ESTATE_INSTANCE_SETTINGS.autoMinorVersionUpgrade,
      publiclyAccessible: ESTATE_INSTANCE_SETTINGS.publiclyAccessible,
      deletionProtection: false,
    });
    this.instance.applyRemovalPolicy(RemovalPolicy.DESTROY);
    keepSnapshotWhenReplaced(this.instance);

    acknowledgeEstateDatabaseFindings(this.instance);
    acknowledgeFindings(this.instance, 'A read replica inherits encryption from its encrypted source; CloudFormation rejects StorageEncrypted on a replica. KmsKeyId (the DR-region key) is set, so the replica is encrypted.',
      ['AwsSolutions-RDS2', 'PCI.DSS.321-RDSStorageEncrypted']);
  }
}
