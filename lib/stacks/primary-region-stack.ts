import { StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { backupBucketName, DrConfig, resourceName } from '../config/dr-config';
import { acknowledgeFindings, controlTowerFinding } from '../compliance/nag';
import { drResourceNames } from '../config/resource-names';
import { PrimaryDatabase, writerSilentSessionTimeout } from '../constructs/database/primary-database';
import { ReprotectionTarget } from '../constructs/database/reprotection-target';
import { RegionalKey } from '../constructs/encryption/regional-key';
import { AlertTopic } from '../constructs/monitoring/alert-topic';
import { WriterHostParameter } from '../constructs/dns/writer-host-parameter';
import { CrossRegionPeering } from '../constructs/network/cross-region-peering';
import { RegionalNetwork } from '../constructs/network/regional-network';
import { BackupBucket } from '../constructs/storage/backup-bucket';
import { PinnedZonesStack } from './pinned-zones-stack';

export interface PrimaryRegionStackProps extends StackProps {
  readonly config: DrConfig;
  /** From the DR-region stack (cross-region references). */
  readonly drVpcId: string;
  readonly drKey: kms.IKey;
  readonly drBackupBucketArn: string;
  /** The DR VPC's function subnets: the orchestrator there must still reach a frozen or fenced primary (switchover). */
  readonly drFunctionSubnetCidrs: string[];
}

/**
 * Primary-region resources: key, VPC and the peering to the DR VPC, the PostgreSQL primary, the
 * backup bucket with its replication to the DR bucket and the security group that fences the primary.
 * The lease keeper is in PrimaryLeaseKeeperStack: it must not run before the write lease table exists.
 */
export class PrimaryRegionStack extends PinnedZonesStack {
  readonly key: kms.Key;
  readonly network: RegionalNetwork;
  readonly database: PrimaryDatabase;
  readonly backupBucket: s3.Bucket;
  readonly alertTopic: sns.Topic;
  readonly peeringConnectionId: string;
  /**
   * The group the primary is moved into when fenced (by the orchestrator after a failover, by the lease keeper when
   * it cannot renew): it admits no client, only the lease keeper (failoverMode `automatic`).
   */
  readonly fenceSecurityGroup: ec2.SecurityGroup;
  /** Where the orchestrator re-protects the promoted DR instance: the subnet group the new primary-region replica is created in. */
  readonly reprotection: ReprotectionTarget;

  constructor(scope: Construct, id: string, props: PrimaryRegionStackProps) {
    super(scope, id, { ...props, availabilityZones: props.config.network.primaryAvailabilityZones });
    const { config } = props;
    const names = drResourceNames(config);
    this.key = new RegionalKey(this, 'Encryption', {
      aliasName: resourceName(config, 'primary-key'),
      description: `Encrypts the primary-region database, backups, logs and topics of ${config.serviceName} (${config.environmentSuffix})`,
      // The lease keeper's alarms and the backup bucket's replication notifications publish to the primary alert topic.
      serviceEventSources: ['cloudwatch', 's3'],
    }).key;
    this.network = new RegionalNetwork(this, 'Network', {
      name: resourceName(config, 'primary-vpc'),
      cidr: config.network.primaryCidr,
      availabilityZones: config.network.primaryAvailabilityZones,
      availabilityZoneIds: config.network.primaryAvailabilityZoneIds,
      natGateways: config.network.natGatewaysPerRegion,
      key: this.key,
    });
    this.peeringConnectionId = new CrossRegionPeering(this, 'PeeringToDr', {
      name: resourceName(config, 'primary-dr-peering'),
      vpcId: this.network.vpc.vpcId,
      routeTableIds: this.network.peeredRouteTableIds,
      peerVpcId: props.drVpcId,
      peerRegion: config.regions.dr,
      peerCidr: config.network.drCidr,
    }).peeringConnectionId;

    const silentSessionTimeout = writerSilentSessionTimeout(config);
    this.database = new PrimaryDatabase(this, 'Database', {
      instanceIdentifier: names.primaryDbInstance,
      secretName: names.dbSecret,
      database: config.database,
      vpc: this.network.vpc,
      subnets: this.network.databaseSubnets,
      functionSubnets: this.network.functionSubnets,
      key: this.key,
      clientCidrs: { 'primary VPC': config.network.primaryCidr, 'DR VPC (monitor and orchestrator over peering)': config.network.drCidr },
      secretReplica: { region: config.regions.dr, key: props.drKey },
      silentSessionTimeout,
    });
    this.reprotection = new ReprotectionTarget(this, 'ReprotectionTarget', {
      instanceIdentifier: names.primaryDbInstance,
      subnetGroupName: names.reprotectSubnetGroup,
      vpc: this.network.vpc,
      subnets: this.network.databaseSubnets,
    });
    this.fenceSecurityGroup = new ec2.SecurityGroup(this, 'FenceSecurityGroup', {
      vpc: this.network.vpc,
      securityGroupName: resourceName(config, 'primary-db-fence'),
      // Unchanged although the lease keeper may now reach the fenced primary: a new description replaces the group,
      // and its id is exported to the orchestrator's stack, whose import would block the change.
      description: 'Deny-all: the old primary is moved here after a failover so no client can write to it',
      allowAllOutbound: false,
    });
    // The DR orchestrator's switchover hands the lease over, then freezes the primary and reads its WAL position over
    // SQL; the keeper, seeing the DR side hold the lease, moves the primary here at its next renewal. Without this rule
    // that race cuts the orchestrator off mid-switchover. Only the DR function subnets: clients stay out, and the
    // read-only default plus the session cut are the data-level fence.
    for (const [index, cidr] of props.drFunctionSubnetCidrs.entries()) {
      this.fenceSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(config.database.port),
        `PostgreSQL from DR function subnet ${index + 1} (the orchestrator: switchover freeze, catch-up, undo)`);
    }

    // After a failover the old primary stays as the orchestrator left it (fence group, stopped, read-only default) and
    // its resource does not change with `writerRegion`: CloudFormation sends ModifyDBInstance only the properties that
    // changed between templates (aws-cloudformation-resource-providers-rds, aws-rds-dbinstance Translator
    // .modifyDbInstanceRequest: `vpcSecurityGroupIds(diff(previous, desired))`), so an unchanged template never lifts
    // the fence; and a changed one would fail, because "You can't modify a stopped DB instance" (RDS User Guide,
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html, Limitations).
    new WriterHostParameter(this, 'WriterHost', { parameterName: names.writerHostParameter, writerRecordName: names.writerRecordName });

    this.alertTopic = new AlertTopic(this, 'Alerts', {
      topicName: resourceName(config, 'primary-alerts'),
      key: this.key,
      alertEmail: config.monitoring.alertEmail,
      alarmNamePattern: resourceName(config, '*'),
    }).topic;
    this.backupBucket = new BackupBucket(this, 'Backups', {
      bucketName: backupBucketName(config, 'primary'),
      key: this.key,
      replication: {
        ruleId: resourceName(config, 'backup-to-dr'),
        destinationBucketArn: props.drBackupBucketArn,
        destinationBucketName: backupBucketName(config, 'dr'),
        destinationKeyArn: props.drKey.keyArn,
      },
    }).bucket;
    const replicationAlerts = new s3n.SnsDestination(this.alertTopic);
    for (const event of [
      s3.EventType.REPLICATION_OPERATION_FAILED_REPLICATION,
      s3.EventType.REPLICATION_OPERATION_MISSED_THRESHOLD,
      s3.EventType.REPLICATION_OPERATION_NOT_TRACKED,
    ]) {
      this.backupBucket.addEventNotification(event, replicationAlerts);
    }
    acknowledgeFindings(this.backupBucket.node.findChild('Notifications'), 'CDK writes the notification handler\'s permission to configure this one bucket as an inline policy; it grants only s3:PutBucketNotification on this bucket.',
      ['PCI.DSS.321-IAMNoInlinePolicy']);
    acknowledgeFindings(this.backupBucket, 'The replication events above are configured by CDK\'s notification custom resource, not in the bucket\'s NotificationConfiguration property that the control reads at synth.',
      [controlTowerFinding('s3_event_notifications_enabled_check')]);
  }
}
