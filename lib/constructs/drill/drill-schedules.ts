import { CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** What every scheduled drill is built from: its function and schedule names, where it runs, the DR key and topic. */
export interface ScheduledDrillProps {
  readonly functionName: string;
  readonly scheduleName: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** DR key: encrypts logs and queues (and the full drill's disposable replica). */
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  /** Variables shared with the other DR functions (ENVIRONMENT_SUFFIX, METRIC_NAMESPACE, DR_REGION, …). */
  readonly commonEnvironment: Record<string, string>;
}

/** The cdk-nag finding for `lambda:InvokeFunction` on `<function ARN>:*` (its versions), which CDK grants invokers. */
export function functionVersionsFinding(fn: lambda.IFunction): string {
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`;
}

/** The role EventBridge Scheduler assumes to start a drill; only schedules of this account may use it. */
export function createScheduleRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description,
  });
}
