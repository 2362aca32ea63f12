import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { DrConfig } from '../config/dr-config';

/**
 * Puts the configured permissions boundary (`permissionsBoundaryPolicyName`) on EVERY IAM role of every stack under
 * `scope`, so an execution policy that lets CloudFormation create roles can require that boundary on iam:CreateRole and
 * iam:PutRolePolicy ("Create and apply permissions boundaries for the AWS CDK",
 * https://docs.aws.amazon.com/cdk/v2/guide/customize-permissions-boundaries.html). Does nothing without the setting.
 *
 * CDK's own `PermissionsBoundary` is an aspect, and aspects run before CDK creates the providers of cross-region
 * references (`Custom::CrossRegionExportWriter`/`Reader`, made while references are resolved), so their roles would
 * have no boundary and a boundary-requiring execution policy would refuse them. A stack's validations run after that
 * and before its template is rendered: the boundary is set there, on every `AWS::IAM::Role` resource of the stack
 * (test/lib/compliance/service-wiring-defects.test.ts checks every role of every template).
 */
export function applyPermissionsBoundary(scope: IConstruct, config: Pick<DrConfig, 'iam'>): void {
  const policyName = config.iam.permissionsBoundaryPolicyName;
  if (policyName === undefined) return;
  for (const stack of scope.node.findAll().filter((node): node is Stack => node instanceof Stack)) {
    stack.node.addValidation({ validate: () => { boundEveryRole(stack, policyName); return []; } });
  }
}

function boundEveryRole(stack: Stack, policyName: string): void {
  const boundaryArn = stack.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: policyName });
  for (const node of stack.node.findAll()) {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::IAM::Role' || Stack.of(node) !== stack) continue;
    if (node instanceof iam.CfnRole) node.permissionsBoundary = boundaryArn;
    else node.addPropertyOverride('PermissionsBoundary', boundaryArn);
  }
}
