import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledgeFindings, controlTowerFinding } from './nag';

/**
 * Findings on the singleton helper functions CDK itself adds to a stack (S3 bucket-notification handler, the
 * auto-delete-objects, cross-region export reader/writer and default-security-group providers). Their code and
 * policies are CDK's; they run only during deployment.
 *
 * The export reader and writer are created while cross-stack references are resolved, after every aspect has run, so
 * the acknowledgements are added by a construct validation: CDK validates the tree after resolving references and
 * collects acknowledgements only later, when the validation plugins report.
 */
export function acknowledgeCdkManagedResources(stack: Stack): void {
  stack.node.addValidation({
    validate: () => {
      for (const child of stack.node.children) {
        if (child.node.id.startsWith('BucketNotificationsHandler')) acknowledgeBucketNotificationsHandler(child);
        if (/^Custom::\w+CustomResourceProvider$/.test(child.node.id)) acknowledgeDeploymentOnlyFunction(child);
      }
      return [];
    },
  });
}

function acknowledgeBucketNotificationsHandler(handler: IConstruct): void {
  acknowledgeFindings(handler, 'CDK\'s bucket-notification handler runs only at deployment to write the notification configuration; it needs only log delivery, which AWSLambdaBasicExecutionRole grants.',
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]']);
  acknowledgeDeploymentOnlyFunction(handler);
}

function acknowledgeDeploymentOnlyFunction(provider: IConstruct): void {
  acknowledgeFindings(provider, 'A CDK deployment helper: it calls only AWS APIs (S3, SSM, EC2) while CloudFormation deploys or deletes the stack and reaches no resource inside a VPC.',
    [controlTowerFinding('lambda_inside_vpc_check')]);
}
