import { AspectPriority, Aspects, Validations } from 'aws-cdk-lib';
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
