import { readFileSync } from 'fs';
import { join } from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { acknowledgeCdkManagedResources } from '../compliance/cdk-managed-resources';
import { applyComplianceChecks, applyControlTowerChecks } from '../compliance/nag';
import { applyPermissionsBoundary } from '../compliance/permissions-boundary';
import { DrConfig, resourceName } from '../config/dr-config';
import { allowGrantsOnlyForAwsServices } from '../constructs/encryption/grants-for-aws-services-only';
import { DisasterRecoveryStage } from '../stages/disaster-recovery-stage';
import { grantSourceConnection } from './connection-grants';
import { makeArtifactBucketsDestroyable } from './artifact-buckets';
import { acknowledgePipelineFindings } from './pipeline-findings';
import { guardPlaceholderConnection } from './placeholder-guard';
import { PullRequestChecks } from './pull-request-checks';
import { synthCommand } from './synth-context';
import { syntheticDrillStep } from './synthetic-drill-step';
import { topologyGateStep } from './topology-gate-step';

export interface PipelineStackProps extends StackProps {
  readonly config: DrConfig;
}

/**
 * Node.js major of every CodeBuild project (synth, self-mutation, assets, PR checks, drill step): the newest LTS the
 * Ubuntu standard:7.0 image offers, and the major of the Lambda runtime (LAMBDA_RUNTIME), so the bundles are built and
 * tested on the Node they run on. Node 20 reached end of life in April 2026. Runtimes per image: "Available runtimes",
 * https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html (and the image's own list,
 * ubuntu/standard/7.0/runtimes.yml in github.com/aws/aws-codebuild-docker-images: nodejs 18, 20, 22, 24).
 * The GitHub Actions workflow (.github/workflows/pr-checks.yml) uses the same major; a test keeps them equal.
 */
export const CODEBUILD_NODE_MAJOR = '24';
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;
const NODE_RUNTIME = codebuild.BuildSpec.fromObject({
  version: '0.2',
  phases: { install: { 'runtime-versions': { nodejs: CODEBUILD_NODE_MAJOR } } },
});

/**
 * The CDK CLI the project pins, so self-mutation deploys with the CLI the synth used (`latest` of
 * `aws-cdk` is a broken 3.0.0 publish that fails against aws-cdk-lib 2.x with a cloud assembly schema mismatch).
 */
/** Version of the asset publisher the pipeline installs; pinned like the CLI so a new publish cannot change a running pipeline. */
const CDK_ASSETS_VERSION = '4.7.3';

function pinnedCliVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  return manifest.devDependencies['aws-cdk'];
}

/**
 * The self-mutating delivery pipeline in the tooling region: source from a CodeConnections
 * connection, synth (tests + cdk-nag gate), the DR stage in dependency order across the primary
 * and DR regions, then the synthetic drill that fails the pipeline when the DR side is not ready.
 * Also hosts the pull-request checks.
 */
export class PipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stage: DisasterRecoveryStage;
  readonly pullRequestChecks: PullRequestChecks;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { config } = props;
    super(scope, id, {
      stackName: `PipelineStack-${config.environmentSuffix}`,
      description: `Delivery pipeline of the PostgreSQL DR estate (${config.environmentSuffix})`,
      ...props,
      // Cross-region deploy actions need a concrete account on the pipeline stack.
      env: { account: config.toolingAccount, region: config.regions.tooling },
    });

    guardPlaceholderConnection(this, config);
    const source = pipelines.CodePipelineSource.connection(config.pipeline.repository, config.pipeline.branch, {
      connectionArn: config.pipeline.connectionArn,
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: resourceName(config, 'delivery-pipeline'),
      selfMutation: true,
      cliVersion: pinnedCliVersion(),
      cdkAssetsCliVersion: CDK_ASSETS_VERSION,
      // KMS-encrypted artifact buckets here and in the cross-region support stacks.
      crossAccountKeys: true,
      enableKeyRotation: true,
      // A handful of small file assets: one publishing project instead of one per asset.
      publishAssetsInParallel: false,
      // NodejsFunction bundles with the local esbuild; nothing in the app needs Docker.
      dockerEnabledForSynth: false,
      dockerEnabledForSelfMutation: false,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: BUILD_IMAGE },
        partialBuildSpec: NODE_RUNTIME,
      },
      synth: new pipelines.ShellStep('Synth', {
        input: source,
        commands: ['npm ci', 'npm test', synthCommand(config)],
        primaryOutputDirectory: 'cdk.out',
      }),
      synthCodeBuildDefaults: {
        // The integration tests start a local PostgreSQL primary and replica.
        buildEnvironment: { computeType: codebuild.ComputeType.MEDIUM },
        timeout: Duration.minutes(30),
      },
    });

    this.stage = new DisasterRecoveryStage(this, 'DisasterRecovery', { config });
    // First the topology gate: a configuration that does not describe the estate as it is never reaches an approval.
    const topologyGate = topologyGateStep(this, config, source);
    // A change that broadens IAM permissions or security groups waits for a human; nothing broadening approves itself.
    // "ConfirmPermissionsBroadening", https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.ConfirmPermissionsBroadening.html
    const confirmBroadening = config.pipeline.confirmPermissionsBroadening
      ? new pipelines.ConfirmPermissionsBroadening('ConfirmPermissionsBroadening', { stage: this.stage }) : undefined;
    confirmBroadening?.addStepDependency(topologyGate);
    this.pipeline.addStage(this.stage, {
      pre: [topologyGate, ...(confirmBroadening ? [confirmBroadening] : [])],
      post: [syntheticDrillStep(this, config)],
    });

    this.pullRequestChecks = new PullRequestChecks(this, 'PullRequestChecks', {
      config, buildImage: BUILD_IMAGE, nodeRuntime: NODE_RUNTIME,
    });

    // Suppressions name constructs that exist only once the pipeline is built.
    this.pipeline.buildPipeline();
    grantSourceConnection(this.pipeline, config.pipeline.connectionArn);
    const crossRegionSupport = Object.values(this.pipeline.pipeline.crossRegionSupport);
    makeArtifactBucketsDestroyable(this.pipeline.pipeline.artifactBucket, crossRegionSupport.map((support) => support.replicationBucket));
    for (const bucket of [this.pipeline.pipeline.artifactBucket, ...crossRegionSupport.map((support) => support.replicationBucket)]) {
      if (!bucket.encryptionKey) throw new Error(`${bucket.node.path} has no KMS key (crossAccountKeys must stay on)`);
      allowGrantsOnlyForAwsServices(bucket.encryptionKey);
    }
    acknowledgePipelineFindings(this.pipeline);
    acknowledgeCdkManagedResources(this);
    for (const scope of [this, ...crossRegionSupport.map((support) => support.stack)]) applyComplianceChecks(scope);
    applyControlTowerChecks(this, config.compliance);
    applyPermissionsBoundary(this, config);
  }
}
