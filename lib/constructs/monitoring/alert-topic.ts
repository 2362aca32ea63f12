import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicProps {
  readonly topicName: string;
  readonly key: kms.IKey;
  readonly alertEmail?: string;
  /** Name pattern of this region's alarms that notify the topic, e.g. `paydb-*-dev`; the topic admits no other alarm. */
  readonly alarmNamePattern: string;
}

/**
 * The region's encrypted, TLS-only SNS topic for alarms, replication events and failover reports.
 *
 * `enforceSSL` gives the topic its own policy (AWS::SNS::TopicPolicy), which REPLACES the default topic policy that
 * lets AWS services of the owner account publish ("Amazon SNS grants a default policy to all newly created topics. The
 * default policy grants access to your topic to all other AWS services",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html). Every service that publishes here must
 * therefore be allowed by name: CloudWatch alarm actions below (ArnLike on the alarm's aws:SourceArn, the condition AWS
 * shows for alarms, https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger), S3 event
 * notifications through CDK's `SnsDestination` (the bucket's aws:SourceArn). Functions publish with their roles.
 */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: props.topicName,
      masterKey: props.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowAlarmsOfThisEstateToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: props.alarmNamePattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        },
      },
    }));
    if (props.alertEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
  }
}
