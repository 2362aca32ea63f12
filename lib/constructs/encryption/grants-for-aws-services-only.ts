import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Lets nobody create a grant on `key` except for an AWS resource (RDS, DynamoDB, Secrets Manager... creating it on
 * the caller's behalf, `kms:GrantIsForAWSResource` true) or as an AWS service (`aws:PrincipalIsAWSService`): a grant
 * is a permission outside the key policy that survives it, so a principal with `kms:CreateGrant` could otherwise hand
 * the key to anyone. AWS Control Tower control CT.KMS.PR.3 requires exactly this statement. Condition keys:
 * "kms:GrantIsForAWSResource", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource ;
 * "aws:PrincipalIsAWSService", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice .
 * BoolIfExists: requests without the key (every non-grant action) are not denied by the statement; it names only
 * kms:CreateGrant anyway.
 */
export function allowGrantsOnlyForAwsServices(key: kms.IKey): void {
  const { statementAdded } = key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsNotForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
  if (!statementAdded) throw new Error(`${key.node.path} is an imported key: its policy is not ours to extend`);
}
