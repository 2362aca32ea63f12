import { StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { backupBucketName, DrConfig, resourceName } from '../config/dr-config';
import { acknowledgeFindings, controlTowerFinding } from '../compliance/nag';
import { drResourceNames } from '../config/resource-names';
import { FailoverStateTable } from '../constructs/failover/failover-state-table';
import { RegionalKey } from '../constructs/encryption/regional-key';
import { WriterHostParameter } from '../constructs/dns/writer-host-parameter';
import { AlertTopic } from '../constructs/monitoring/alert-topic';
import { RegionalNetwork } from '../constructs/network/regional-network';
import { BackupBucket } from '../constructs/storage/backup-bucket';
import { PinnedZonesStack } from './pinned-zones-stack';

export interface DRRegionStackProps extends StackProps {
  readonly config: DrConfig;
}

/**
 * DR-region foundation, deployed first: key, VPC, the destination of the backup replication
 * (no replication configuration here: the primary stack owns it), the DR alert topic and the
 * failover state table.
 */
export class DRRegionStack extends PinnedZonesStack {
  readonly key: kms.Key;
  readonly network: RegionalNetwork;
  readonly backupBucket: s3.Bucket;
  readonly alertTopic: sns.Topic;
  readonly failoverStateTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DRRegionStackProps) {
    super(scope, id, { ...props, availabilityZones: props.config.network.drAvailabilityZones });
    const { config } = props;
    this.key = new RegionalKey(this, 'Encryption', {
      aliasName: resourceName(config, 'dr-key'),
      description: `Encrypts the DR-region database, backups, logs and topics of ${config.serviceName} (${config.environmentSuffix})`,
      // The DR alarms publish to the DR alert topic; the failover trigger rule's dead-letter queue is encrypted with this key.
      serviceEventSources: ['cloudwatch', 'events'],
    }).key;
    this.network = new RegionalNetwork(this, 'Network', {
      name: resourceName(config, 'dr-vpc'),
      cidr: config.network.drCidr,
      availabilityZones: config.network.drAvailabilityZones,
      availabilityZoneIds: config.network.drAvailabilityZoneIds,
      natGateways: config.network.natGatewaysPerRegion,
      key: this.key,
    });
    this.backupBucket = new BackupBucket(this, 'Backups', {
      bucketName: backupBucketName(config, 'dr'),
      key: this.key,
    }).bucket;
    acknowledgeFindings(this.backupBucket, 'This bucket is the DR-region destination of the primary bucket\'s replication; a further copy would need a third region, which the RPO/RTO targets do not require.',
      ['PCI.DSS.321-S3BucketReplicationEnabled']);
    acknowledgeFindings(this.backupBucket, 'Objects arrive here only by replication, which the source bucket in the primary region reports (replication-failure and threshold events to its alert topic); nothing acts on arrival here.',
      [controlTowerFinding('s3_event_notifications_enabled_check')]);
    this.alertTopic = new AlertTopic(this, 'Alerts', {
      topicName: resourceName(config, 'dr-alerts'),
      key: this.key,
      alertEmail: config.monitoring.alertEmail,
      alarmNamePattern: resourceName(config, '*'),
    }).topic;
    this.failoverStateTable = new FailoverStateTable(this, 'FailoverState', {
      tableName: drResourceNames(config).failoverStateTable,
      key: this.key,
    }).table;
    new WriterHostParameter(this, 'WriterHost', { parameterName: drResourceNames(config).writerHostParameter, writerRecordName: drResourceNames(config).writerRecordName });
  }
}
