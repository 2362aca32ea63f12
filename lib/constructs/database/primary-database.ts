import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { silentSessionTimeoutMs } from '../../../functions/core/write-lease';
import { ESTATE_INSTANCE_SETTINGS } from '../../../functions/shared/estate-instance-settings';
import { DatabaseConfig, DrConfig, leaseTimingsOf, longestRenewalGapSeconds } from '../../config/dr-config';
import { DatabaseSecurityGroup } from './database-security-group';
import { createEnhancedMonitoringRole } from './enhanced-monitoring-role';
import { acknowledgeEstateDatabaseFindings, createPostgresParameterGroup, instanceTypeName, keepSnapshotWhenReplaced, postgresEngine } from './postgres-engine';

export interface PrimaryDatabaseProps {
  readonly instanceIdentifier: string;
  readonly secretName: string;
  readonly database: DatabaseConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Where the hosted rotation function runs (needs the Secrets Manager endpoint and the database). */
  readonly functionSubnets: ec2.SubnetSelection;
  readonly key: kms.IKey;
  readonly clientCidrs: Record<string, string>;
  /** The DR region and its key: the credentials secret is replicated there so the DR side can log in when this region is down. */
  readonly secretReplica: { region: string; key: kms.IKey };
  /**
   * Ends sessions idle (or idle in a transaction) this long: shorter than the silence after which the DR side may
   * take the write lease, so a frozen primary that resumes after a takeover cannot commit for its pooled sessions
   * (`silentSessionTimeoutMs` in functions/core/write-lease.ts). Both parameters are dynamic.
   */
  readonly silentSessionTimeout: Duration;
}

/**
 * The estate's silent-session timeout: shorter than the silence after which the DR side may take the write lease
 * (`silentSessionTimeoutMs`, for the lease timings and the longest gap between two keeper renewals).
 */
export function writerSilentSessionTimeout(config: Pick<DrConfig, 'failover'>): Duration {
  const lease = config.failover.lease;
  return Duration.millis(silentSessionTimeoutMs(leaseTimingsOf(lease), longestRenewalGapSeconds(lease) * 1000));
}

/**
 * The writer's parameters beyond the estate's (`createPostgresParameterGroup`): sessions idle, or idle in a transaction,
 * for `timeout` are ended (see `PrimaryDatabaseProps.silentSessionTimeout`). Also in the DR instance's own group while
 * it writes (`writerRegion: dr`).
 */
export function silentSessionParameters(timeout: Duration): Record<string, string> {
  const milliseconds = String(timeout.toMilliseconds());
  return { idle_session_timeout: milliseconds, idle_in_transaction_session_timeout: milliseconds };
}

/**
 * The writer: RDS PostgreSQL, Multi-AZ, encrypted with the region's key, TLS forced, PITR backups,
 * credentials generated into Secrets Manager, no public endpoint, destroyable.
 */
export class PrimaryDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: rds.DatabaseSecret;
  readonly securityGroup: ec2.SecurityGroup;
  /** The primary's own parameter group (`parameterGroupNames`): not shared with the replica, so a read-only default set here stays on this instance. */
  readonly parameterGroup: rds.ParameterGroup;
  /** The role RDS enhanced monitoring assumes for this instance, and for a replica a re-protection creates under its name. */
  readonly monitoringRole: iam.Role;

  constructor(scope: Construct, id: string, props: PrimaryDatabaseProps) {
    super(scope, id);
    const { database } = props;
    this.securityGroup = new DatabaseSecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      port: database.port,
      clientCidrs: props.clientCidrs,
      description: `PostgreSQL clients of ${props.instanceIdentifier}`,
    }).securityGroup;

    this.secret = new rds.DatabaseSecret(this, 'Credentials', {
      secretName: props.secretName,
      username: database.masterUsername,
      encryptionKey: props.key,
      replicaRegions: [{ region: props.secretReplica.region, encryptionKey: props.secretReplica.key }],
    });

    this.parameterGroup = createPostgresParameterGroup(this, props.instanceIdentifier, database, silentSessionParameters(props.silentSessionTimeout));
    this.monitoringRole = createEnhancedMonitoringRole(this, 'EnhancedMonitoringRole');
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine: postgresEngine(database.engineVersion),
      allowMajorVersionUpgrade: database.allowMajorVersionUpgrade,
      instanceType: new ec2.InstanceType(instanceTypeName(database.instanceClass)),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      port: database.port,
      databaseName: database.databaseName,
      credentials: rds.Credentials.fromSecret(this.secret),
      parameterGroup: this.parameterGroup,
      multiAz: ESTATE_INSTANCE_SETTINGS.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: database.allocatedStorageGiB,
      maxAllocatedStorage: database.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      backupRetention: Duration.days(database.backupRetentionDays),
      preferredBackupWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      copyTagsToSnapshot: ESTATE_INSTANCE_SETTINGS.copyTagsToSnapshot,
      iamAuthentication: ESTATE_INSTANCE_SETTINGS.iamDatabaseAuthentication,
      enablePerformanceInsights: ESTATE_INSTANCE_SETTINGS.performanceInsights,
      performanceInsightEncryptionKey: props.key,
      monitoringInterval: Duration.seconds(ESTATE_INSTANCE_SETTINGS.monitoringIntervalSeconds),
      monitoringRole: this.monitoringRole,
      cloudwatchLogsExports: [...ESTATE_INSTANCE_SETTINGS.cloudwatchLogsExports],
      caCertificate: rds.CaCertificate.of(ESTATE_INSTANCE_SETTINGS.caCertificateIdentifier),
      // The replica's maintenance window comes a day earlier, so it is upgraded first.
      autoMinorVersionUpgrade: ESTATE_INSTANCE_SETTINGS.autoMinorVersionUpgrade,
      publiclyAccessible: ESTATE_INSTANCE_SETTINGS.publiclyAccessible,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    keepSnapshotWhenReplaced(this.instance.node.defaultChild as rds.CfnDBInstance);
    // The rotation function needs only the Secrets Manager endpoint and the database, both in this VPC.
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: `Secret rotation of ${props.instanceIdentifier}: HTTPS to the Secrets Manager endpoint, PostgreSQL to the database`,
      allowAllOutbound: false,
    });
    rotationSecurityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'Secrets Manager VPC endpoint');
    rotationSecurityGroup.addEgressRule(ec2.Peer.ipv4(props.vpc.vpcCidrBlock), ec2.Port.tcp(database.port), 'PostgreSQL');
    this.secret.addRotationSchedule('Rotation', {
      automaticallyAfter: Duration.days(30),
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
        functionName: `${props.instanceIdentifier}-rotation`,
        vpc: props.vpc,
        vpcSubnets: props.functionSubnets,
        securityGroups: [rotationSecurityGroup],
      }),
    });

    acknowledgeEstateDatabaseFindings(this.instance);
  }
}
