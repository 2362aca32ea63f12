import { CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keyUseViaService } from '../encryption/key-use-via-service';

/** What every scheduled drill is built from: its function and schedule names, where it runs, the DR key and topic. */
export interface ScheduledDrillProps {
  readonly functionName: string;
  readonly scheduleName: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** DR key: encrypts logs and queues (and the full drill's disposable replica). */
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  /** The runbook page the drill's alerts link to (RUNBOOK_URL). */
  readonly runbookUrl: string;
  /** Variables shared with the other DR functions (ENVIRONMENT_SUFFIX, METRIC_NAMESPACE, DR_REGION, …). */
  readonly commonEnvironment: Record<string, string>;
  /** The drill function's reserved concurrency (configuration `reservedConcurrency`); undefined shares the unreserved pool. */
  readonly reservedConcurrentExecutions: number | undefined;
}

/** The cdk-nag finding for `lambda:InvokeFunction` on `<function ARN>:*` (its versions), which CDK grants invokers. */
export function functionVersionsFinding(fn: lambda.IFunction): string {
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`;
}

/**
 * The role EventBridge Scheduler assumes to start a drill; only schedules of this account may use it.
 *
 * Scheduler also delivers failed invocations to the schedule's dead-letter queue WITH THIS ROLE ("Set up execution role
 * permissions", https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html). CDK's target
 * grants sqs:SendMessage on the queue; when the queue is encrypted with a customer-managed key, a producer
 * also needs kms:GenerateDataKey and kms:Decrypt ("Configure KMS permissions for producers",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html), here only
 * through SQS of this region.
 */
export function createScheduleRole(scope: Construct, id: string, description: string, deadLetterQueue: sqs.IQueue): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description,
  });
  const deadLetterKey = deadLetterQueue.encryptionMasterKey;
  if (deadLetterKey) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SendDeadLettersToTheEncryptedQueue',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [deadLetterKey.keyArn],
      conditions: keyUseViaService('sqs', Stack.of(scope).region),
    }));
  }
  return role;
}
