import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';
import { acknowledgeFindings, controlTowerFinding, wildcardResourceFinding } from '../../compliance/nag';

export interface BackupBucketProps {
  /** Bucket name; must be globally unique, so it carries account and region. */
  readonly bucketName: string;
  readonly key: kms.IKey;
  /** Cross-region replication of every object, configured on the source side only. */
  readonly replication?: BackupReplication;
}

export interface BackupReplication {
  /** ARN of the destination bucket, from the DR-region stack. */
  readonly destinationBucketArn: string;
  /**
   * Name of the same destination bucket, from the shared naming rule. The replication role's
   * object permission is written with it so the policy stays readable (and its cdk-nag finding
   * nameable) instead of embedding the cross-region reference token.
   */
  readonly destinationBucketName: string;
  /** Key of the destination region that encrypts the replicas. */
  readonly destinationKeyArn: string;
  readonly ruleId: string;
}

/**
 * Object Lock (CT.S3.PR.9) can only be chosen when a bucket is created and would keep locked objects, and with them
 * the bucket and its stack, from being deleted: the estate must stay destroyable. Objects are versioned, TLS-only and
 * deletable only by the roles the estate grants.
 */
function acknowledgeBucketWithoutObjectLock(bucket: s3.IBucket): void {
  acknowledgeFindings(bucket, 'No Object Lock: it would keep the estate from being destroyed. Objects are versioned and deletable only by the estate\'s own roles.',
    [controlTowerFinding('s3_bucket_object_lock_enabled_check')]);
}

/**
 * A versioned, KMS-encrypted, TLS-only backup bucket with server access logs. With `replication`
 * it replicates every object to the DR region with Replication Time Control (15 minutes) and
 * replication metrics.
 */
export class BackupBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      bucketName: `${props.bucketName}-logs`,
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    acknowledgeFindings(accessLogs, 'This is the access-log target itself; logging it into itself would loop.',
      ['AwsSolutions-S1', 'PCI.DSS.321-S3BucketLoggingEnabled', controlTowerFinding('s3_bucket_logging_enabled_check')]);
    acknowledgeFindings(accessLogs, 'S3 server access logs can only be delivered to buckets encrypted with SSE-S3, not SSE-KMS.',
      ['PCI.DSS.321-S3DefaultEncryptionKMS', controlTowerFinding('s3_bucket_default_encryption_kms_check')]);
    acknowledgeFindings(accessLogs, 'Access logs are read when investigating, not processed on arrival: no consumer for event notifications.',
      [controlTowerFinding('s3_event_notifications_enabled_check')]);
    acknowledgeBucketWithoutObjectLock(accessLogs);
    acknowledgeFindings(accessLogs, 'Access logs are kept per region for 400 days; they are not payment data and need no DR copy.',
      ['PCI.DSS.321-S3BucketReplicationEnabled']);

    const replicationRole = props.replication && new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `Replicates ${props.bucketName} to the DR region`,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'access/',
      // Backups are kept until the operator deletes them (their retention is a regulatory decision, not ours); the one
      // rule only clears multipart uploads that never completed, which S3 otherwise stores and bills indefinitely.
      lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      replicationRole,
      replicationRules: props.replication && [{
        id: props.replication.ruleId,
        destination: s3.Bucket.fromBucketArn(this, 'ReplicationDestination', props.replication.destinationBucketArn),
        kmsKey: kms.Key.fromKeyArn(this, 'ReplicationDestinationKey', props.replication.destinationKeyArn),
        sseKmsEncryptedObjects: true,
        replicationTimeControl: s3.ReplicationTimeValue.FIFTEEN_MINUTES,
        metrics: s3.ReplicationTimeValue.FIFTEEN_MINUTES,
        deleteMarkerReplication: true,
        priority: 1,
      }],
    });
    if (props.replication && replicationRole) this.grantReplication(replicationRole, props.key, props.replication);
    acknowledgeBucketWithoutObjectLock(this.bucket);
  }

  /** What S3 replication needs, and nothing more: read source versions, write replicas, one key each side. */
  private grantReplication(role: iam.Role, sourceKey: kms.IKey, replication: BackupReplication): void {
    const sourceObjects = this.bucket.arnForObjects('*');
    const destinationObjects = `arn:${Aws.PARTITION}:s3:::${replication.destinationBucketName}/*`;
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      resources: [this.bucket.bucketArn],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      resources: [sourceObjects],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [destinationObjects],
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [sourceKey.keyArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [replication.destinationKeyArn] }));
    acknowledgeFindings(role, 'S3 replication reads and writes object versions, so object ARNs end in /*; each statement is limited to the one source or destination bucket.', [
      wildcardResourceFinding(this, sourceObjects),
      wildcardResourceFinding(this, destinationObjects),
    ]);
    acknowledgeRoleInlineGrants(role);
  }
}
