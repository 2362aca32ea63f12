import { App, AspectPriority, Aspects, Stack, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ComplianceConfig } from '../config/dr-config';
import { ControlTowerChecks } from './control-tower-rules';
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

/**
 * Checks every template the app writes against AWS Control Tower's proactive controls, unless configured off: the
 * rule set as AWS publishes it for CloudFormation, evaluated by cfn-guard (both bundled by the plugin) — the controls
 * an organization can enforce as CloudFormation hooks on the accounts we deploy to. Registered once, on the App: the
 * plugin is not scoped to a construct, and at the App it receives the templates of nested stages too (the pipeline's
 * stage), so a plugin on the stage as well would evaluate those templates twice.
 */
export function applyControlTowerChecks(scope: IConstruct, config: ComplianceConfig): void {
  if (!config.controlTowerChecks) return;
  const app = App.of(scope);
  if (!app) throw new Error(`${scope.node.path} is not inside an App`);
  if (appsWithControlTowerChecks.has(app)) return;
  appsWithControlTowerChecks.add(app);
  Validations.of(app).addPlugins(new ControlTowerChecks());
}

const appsWithControlTowerChecks = new WeakSet<Stage>();

/**
 * The acknowledgement id of a failed Control Tower control, by the cfn-guard rule name the report shows (for example
 * `s3_bucket_logging_enabled_check` for CT.S3.PR.2): CDK matches acknowledgements per plugin, as `<plugin>::<rule>`.
 */
export function controlTowerFinding(ruleName: string): string {
  return `cdk-validator-cfnguard::${ruleName}`;
}

/**
 * Acknowledges Control Tower findings on a property whose value another stack exports (subnets, keys of the region
 * stack): cfn-guard sees `Fn::ImportValue`, which its rules accept neither as a string nor as a reference in the same
 * template, so the rule fails although the property is set. At deployment a Control Tower hook evaluates a resource
 * operation on the properties CloudFormation is about to provision ("Resource operation Guard rules",
 * https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-write-rules.html).
 */
export function acknowledgeImportedValueFindings(scope: IConstruct, property: string, ruleNames: string[]): void {
  acknowledgeFindings(scope, `${property} is set, from a value the region stack exports (Fn::ImportValue), which cfn-guard cannot resolve at synth.`,
    ruleNames.map(controlTowerFinding));
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
