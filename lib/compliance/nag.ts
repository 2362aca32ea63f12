import { AspectPriority, Aspects, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { RdsTagValueAspect } from './rds-tag-values';

/**
 * Runs the AwsSolutions and PCI DSS 3.2.1 packs and the RDS tag-value check on everything under
 * `scope`. Must be applied to each Stage (pipeline stages are synthesized on their own, so checks on
 * the App never reach them) and to stacks outside a stage.
 */
export function applyComplianceChecks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new PCIDSS321Checks(scope));
  Aspects.of(scope).add(new RdsTagValueAspect(), { priority: AspectPriority.READONLY });
}

/** Acknowledges specific cdk-nag findings on one construct, with the reason written beside it. */
export function acknowledgeFindings(scope: IConstruct, reason: string, findingIds: string[]): void {
  for (const id of findingIds) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The id of cdk-nag's wildcard-resource finding (AwsSolutions-IAM5) for `resource` exactly as the
 * rule renders it (`<Logical.Arn>`, `<AWS::Partition>`, or literals where CDK resolved them, as with
 * the partition-literals flag), so an acknowledgement matches in every configuration.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${renderAsNag(Stack.of(scope).resolve(resource))}]`;
}

function renderAsNag(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(renderAsNag).join(separator);
  }
  throw new Error(`Cannot name the cdk-nag finding of ${JSON.stringify(value)}`);
}
