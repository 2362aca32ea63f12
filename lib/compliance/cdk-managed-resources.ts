import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledgeFindings } from './nag';

/**
 * Findings on the singleton helper functions CDK itself adds to a stack (S3 bucket-notification
 * handler). Their code and policies are CDK's; they run only during deployment.
 */
export function acknowledgeCdkManagedResources(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler')) acknowledgeBucketNotificationsHandler(child);
  }
}

function acknowledgeBucketNotificationsHandler(handler: IConstruct): void {
  acknowledgeFindings(handler, 'CDK\'s bucket-notification handler runs only at deployment to write the notification configuration; it needs only log delivery, which AWSLambdaBasicExecutionRole grants.',
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]']);
}
