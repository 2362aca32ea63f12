import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { allowGrantsOnlyForAwsServices } from './grants-for-aws-services-only';

/**
 * AWS services that deliver into a resource encrypted with this key with their own service principal (not a role of
 * ours), and therefore need the key policy itself to let them use the key:
 * - `cloudwatch`: alarm actions publish to the alert topic (SNS encrypts with this key),
 * - `s3`: bucket event notifications publish to the alert topic,
 * - `events`: EventBridge rules send undeliverable events to an encrypted dead-letter queue.
 * EventBridge Scheduler is not one of them: it delivers to its dead-letter queue and decrypts an encrypted schedule
 * with the schedule's execution role (a role of ours, granted in its own policy).
 */
export type KeyServiceEventSource = 'cloudwatch' | 's3' | 'events';

export interface RegionalKeyProps {
  /** Alias name without the `alias/` prefix, e.g. `paydb-primary-dev`. */
  readonly aliasName: string;
  readonly description: string;
  /** The services that deliver into topics or queues of this region encrypted with this key (see `KeyServiceEventSource`). */
  readonly serviceEventSources: readonly KeyServiceEventSource[];
}

/**
 * The customer-managed key of one region: encrypts the database, its secret, backups, logs and
 * alert topics of that region. Rotation on; destroyable with the estate.
 */
export class RegionalKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RegionalKeyProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${props.aliasName}`,
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    allowGrantsOnlyForAwsServices(this.key);
    // Encrypted log groups (VPC flow logs, Lambda logs) need the regional Logs service to use the key, and only for log
    // groups of this account and region (the encryption context CloudWatch Logs sends). "Encrypt log data in CloudWatch
    // Logs using AWS Key Management Service", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }));
    // A service event source publishing to an encrypted topic (or sending to an encrypted queue) needs kms:GenerateDataKey*
    // and kms:Decrypt in the KEY POLICY, for its service principal. AWS documents these statements without conditions:
    // "Enable compatibility between event sources from AWS services and encrypted topics",
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services ; the same for
    // queues, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html ; and for
    // S3 notifications ("AWS KMS key policy"), https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html .
    // No AWS page says that the KMS request SNS or SQS makes for the event source carries aws:SourceAccount or
    // aws:SourceArn, so these statements must not depend on them (a condition on an absent key drops every delivery).
    // The confused-deputy limits live where AWS documents those keys: the topic policy (alarms of this account, this
    // bucket) and the queue policy (this rule). Without them no other account's alarm, bucket or rule reaches the
    // topic or queue, so it cannot make SNS or SQS use this key either.
    for (const source of [...new Set(props.serviceEventSources)].sort()) {
      this.key.addToResourcePolicy(new iam.PolicyStatement({
        sid: `Allow${SERVICE_LABELS[source]}ToWriteEncryptedTopicsAndQueues`,
        principals: [new iam.ServicePrincipal(`${source}.amazonaws.com`)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }));
    }
  }
}

const SERVICE_LABELS: Record<KeyServiceEventSource, string> = { cloudwatch: 'CloudWatchAlarms', s3: 'S3Notifications', events: 'EventBridgeRules' };
