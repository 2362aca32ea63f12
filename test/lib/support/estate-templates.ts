import { readFileSync } from 'fs';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { DrConfig, loadConfig } from '../../../lib/config/dr-config';
import { PipelineStack } from '../../../lib/pipeline/pipeline-stack';

/** Accounts and connection of the whole-estate synth: separate tooling and workload accounts, a codeconnections ARN. */
export const WORKLOAD_ACCOUNT = '111111111111';
export const TOOLING_ACCOUNT = '222222222222';
export const CONNECTION_ARN = 'arn:aws:codeconnections:us-west-2:222222222222:connection/12345678-abcd-4ef0-9abc-1234567890ab';

/** One synthesized CloudFormation template with where it deploys. */
export interface EstateTemplate {
  /** Construct path of the stack (unique), e.g. `PipelineStack/DisasterRecovery/DRRegionStack`. */
  readonly path: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: Record<string, any>;
}

export interface Estate {
  readonly config: DrConfig;
  readonly pipeline: PipelineStack;
  /** Every template `cdk synth` writes: the pipeline stack, its cross-region support stacks and every stage stack. */
  readonly templates: EstateTemplate[];
}

/**
 * The whole app as `npx cdk synth` builds it (pipeline stack, support stacks, the DR stage inside the pipeline), not
 * yet synthesized: with every optional part on (full drill), separate tooling and workload accounts, cdk.json's
 * feature flags, and without Lambda bundling (templates are what is under test). `outdir`: where the assembly goes.
 */
export function buildEstate(context: Record<string, unknown> = {}, outdir?: string): { app: App; config: DrConfig; pipeline: PipelineStack } {
  const app = new App({
    outdir,
    context: {
      ...JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')).context,
      'aws:cdk:bundling-stacks': [],
      account: WORKLOAD_ACCOUNT,
      toolingAccount: TOOLING_ACCOUNT,
      connectionArn: CONNECTION_ARN,
      fullDrillEnabled: 'true',
      // A cfn-guard run of several seconds per synthesized App: only test/lib/compliance/control-tower.test.ts turns it on.
      controlTowerChecks: 'false',
      ...context,
    },
    postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true },
  });
  const config = loadConfig({ context: (key) => app.node.tryGetContext(key), env: {} });
  return { app, config, pipeline: new PipelineStack(app, 'PipelineStack', { config }) };
}

/** Synthesizes `buildEstate(context)`: cdk-nag runs; an open finding throws. */
export function synthesizeEstate(context: Record<string, unknown> = {}): Estate {
  const { app, config, pipeline } = buildEstate(context);
  const assembly = app.synth();
  const stacks = [
    ...app.node.children.filter((child): child is Stack => child instanceof Stack),
    ...pipeline.stage.node.children.filter((child): child is Stack => child instanceof Stack),
  ];
  const templates = stacks.map((stack) => {
    const artifact = stack.nestedStackParent ? undefined : (pipeline.stage.node.children.includes(stack) ? pipeline.stage.synth() : assembly).getStackArtifact(stack.artifactId);
    if (!artifact) throw new Error(`no artifact for ${stack.node.path}`);
    return { path: stack.node.path, stackName: stack.stackName, account: stack.account, region: stack.region, template: artifact.template };
  });
  return { config, pipeline, templates };
}

/** The `AWS::<Namespace>` of every resource type in `templates` (CDK's own metadata resource left out). */
export function resourceNamespaces(templates: readonly EstateTemplate[]): string[] {
  const namespaces = new Set<string>();
  for (const { template } of templates) {
    for (const resource of Object.values(template.Resources ?? {}) as Array<{ Type: string }>) {
      const match = /^(AWS::[A-Za-z0-9]+)::/.exec(resource.Type);
      if (match && match[1] !== 'AWS::CDK') namespaces.add(match[1]);
    }
  }
  return [...namespaces].sort();
}
