import { readFileSync } from 'fs';
import { join } from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { DrConfig, loadConfig } from '../../../lib/config/dr-config';
import { DisasterRecoveryStage } from '../../../lib/stages/disaster-recovery-stage';

/** A concrete account, so tests can see it flow into stack environments and ARNs. */
export const TEST_ACCOUNT = '123456789012';

/**
 * A fixed synth date for configuration under test, so that warnings about support dates do not change with the day the
 * tests run: more than 6 months before the end of RDS standard support of the default PostgreSQL 14 (2027-02-28).
 */
export const TEST_SYNTH_DATE = new Date('2026-06-01T12:00:00Z');

/** Configuration as `loadConfig` builds it from the given context on TEST_SYNTH_DATE, with no process environment. */
export function configFrom(context: Record<string, unknown> = {}, env: Record<string, string | undefined> = {}): DrConfig {
  return loadConfig({ context: (key) => context[key], env, now: TEST_SYNTH_DATE });
}

/**
 * The default configuration of the product, with the test account. The Control Tower check (a cfn-guard run of
 * several seconds per synthesized App) is off unless a test asks for it: test/lib/compliance/control-tower.test.ts does.
 */
export function testConfig(context: Record<string, unknown> = {}): DrConfig {
  return configFrom({ account: TEST_ACCOUNT, controlTowerChecks: 'false', ...context });
}

/** The context of `cdk.json` (feature flags), so templates under test match what `cdk synth` produces. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * An App for template tests with the feature flags of `cdk.json`. Lambda code is not bundled (the templates are what is under test) and
 * CDK's built-in CloudFormation schema validation is off — it only reports warnings by default and
 * costs ~10 s per test file; `npm run lint:cfn` checks the templates with cfn-lint instead.
 */
export function testApp(): App {
  return new App({ builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

/**
 * A `DisasterRecoveryStage` in a fresh test App, not yet synthesized. `Template.fromStack` then
 * synthesizes the stage (aspects, the RDS tag check included) without the nag packs, so a nag
 * finding fails only the stage test instead of every template test.
 */
export function buildStage(config: DrConfig = testConfig()): DisasterRecoveryStage {
  return new DisasterRecoveryStage(testApp(), 'DisasterRecovery', { config });
}

/**
 * Synthesizes the whole App of `scope`, which runs the stage's cdk-nag packs and throws on any
 * unacknowledged finding. `Template.fromStack` alone synthesizes only the stack's Stage, and CDK
 * runs validation plugins only when the App is synthesized: it would check nothing.
 */
export function synthesizeApp(scope: IConstruct): void {
  const app = App.of(scope);
  if (!app) throw new Error(`${scope.node.path} is not inside an App`);
  app.synth();
}

/** Builds and synthesizes the stage (nag and the RDS tag check included); templates are then read with `Template.fromStack`. */
export function synthesizedStage(config: DrConfig = testConfig()): DisasterRecoveryStage {
  const stage = buildStage(config);
  synthesizeApp(stage);
  return stage;
}

type Json = Record<string, unknown>;

/** The one resource of `type` whose properties match `properties`; fails when none or several match. */
export function findOne(template: Template, type: string, properties: object = {}): { logicalId: string; resource: Json } {
  const found = template.findResources(type, { Properties: properties });
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected exactly one ${type} matching ${JSON.stringify(properties)}, found ${ids.length}: ${ids.join(', ')}`);
  return { logicalId: ids[0], resource: found[ids[0]] as Json };
}

/** Properties of the one resource of `type` matching `properties`. */
export function propertiesOf(template: Template, type: string, properties: object = {}): Json {
  return (findOne(template, type, properties).resource.Properties ?? {}) as Json;
}

/**
 * Follows a CDK cross-region reference: `value` is `Fn::GetAtt` on the consumer's
 * `Custom::CrossRegionExportReader`; returns the expression the producer's
 * `Custom::CrossRegionExportWriter` publishes under the same SSM name (e.g. `{ Ref: <logical id> }`).
 */
export function crossRegionSource(value: unknown, consumer: Template, producer: Template): unknown {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (!getAtt) throw new Error(`not a cross-region reference: ${JSON.stringify(value)}`);
  const [readerId, exportName] = getAtt;
  const reader = consumer.findResources('Custom::CrossRegionExportReader')[readerId] as Json | undefined;
  if (!reader) throw new Error(`${readerId} is not a CrossRegionExportReader of the consumer`);
  const imports = ((reader.Properties as Json).ReaderProps as Json).imports as Json;
  if (!(exportName in imports)) throw new Error(`reader does not import ${exportName}`);
  for (const writer of Object.values(producer.findResources('Custom::CrossRegionExportWriter')) as Json[]) {
    const exports = ((writer.Properties as Json).WriterProps as Json).exports as Json;
    if (exportName in exports) return exports[exportName];
  }
  throw new Error(`no CrossRegionExportWriter of the producer writes ${exportName}`);
}

/** Logical id of the resource an intrinsic `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attr] }` points at. */
export function referencedLogicalId(value: unknown): string {
  const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = intrinsic.Ref ?? intrinsic['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a Ref or GetAtt: ${JSON.stringify(value)}`);
  return id;
}

/** True when `value` is a `Ref` or `Fn::GetAtt` to `logicalId` (false for any other value). */
export function pointsAt(value: unknown, logicalId: string): boolean {
  const intrinsic = (value ?? {}) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return (intrinsic.Ref ?? intrinsic['Fn::GetAtt']?.[0]) === logicalId;
}

/** Follows a same-region `Fn::ImportValue` to the value the producer's exported Output holds. */
export function importedFrom(value: unknown, producer: Template): unknown {
  const exportName = (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (!exportName) throw new Error(`not an Fn::ImportValue: ${JSON.stringify(value)}`);
  const output = Object.values(producer.findOutputs('*')).find((candidate) => (candidate as Json).Export && ((candidate as Json).Export as Json).Name === exportName);
  if (!output) throw new Error(`the producer exports no ${exportName}`);
  return (output as Json).Value;
}

/** Logical ids of the route tables of the VPC subnets of the given CDK subnet types (`Public`, `Private`, `Isolated`). */
export function routeTableIdsOfSubnets(template: Template, subnetTypes: string[]): string[] {
  const subnets = template.findResources('AWS::EC2::Subnet');
  const subnetIds = Object.keys(subnets).filter((id) => {
    const tags = (((subnets[id] as Json).Properties as Json).Tags ?? []) as Array<{ Key: string; Value: string }>;
    return tags.some((tag) => tag.Key === 'aws-cdk:subnet-type' && subnetTypes.includes(tag.Value));
  });
  const associations = Object.values(template.findResources('AWS::EC2::SubnetRouteTableAssociation')) as Json[];
  return subnetIds.map((subnetId) => {
    const association = associations.find((candidate) => referencedLogicalId((candidate.Properties as Json).SubnetId) === subnetId);
    if (!association) throw new Error(`subnet ${subnetId} has no route table association`);
    return referencedLogicalId((association.Properties as Json).RouteTableId);
  });
}
