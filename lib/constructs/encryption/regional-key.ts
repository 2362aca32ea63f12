import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface RegionalKeyProps {
  /** Alias name without the `alias/` prefix, e.g. `paydb-primary-dev`. */
  readonly aliasName: string;
  readonly description: string;
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
    // Encrypted log groups (VPC flow logs, Lambda logs) need the regional Logs service to use the key.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }));
    // CloudWatch alarms and S3 event notifications publish to SNS topics encrypted with this key;
    // EventBridge and Scheduler put undeliverable events into dead-letter queues encrypted with it.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowServicesToWriteEncryptedTopicsAndQueues',
      principals: ['cloudwatch.amazonaws.com', 's3.amazonaws.com', 'events.amazonaws.com', 'scheduler.amazonaws.com']
        .map((service) => new iam.ServicePrincipal(service)),
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
  }
}
