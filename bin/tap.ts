#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, configSourcesFrom, loadConfig } from '../lib/config/dr-config';
import { PipelineStack } from '../lib/pipeline/pipeline-stack';
import { DisasterRecoveryStage } from '../lib/stages/disaster-recovery-stage';

// Without this flag the CLI reports only the selected top-level stacks' validation results, so
// cdk-nag findings inside the pipeline's stage would not fail `cdk synth`.
const app = new App({ postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
const config = loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key)));
for (const warning of config.warnings) console.warn(`[WARNING] ${warning}`);

// `pipeline` (default): the delivery pipeline, which deploys the stage. `sandbox`: the stage alone,
// for a developer's own account: `npx cdk deploy -c target=sandbox -c account=... 'DisasterRecovery/*'`.
const target = String(app.node.tryGetContext('target') ?? 'pipeline');
if (target === 'pipeline') {
  new PipelineStack(app, 'PipelineStack', { config });
} else if (target === 'sandbox') {
  new DisasterRecoveryStage(app, 'DisasterRecovery', { config });
} else {
  throw new ConfigError('target', `"${target}" must be "pipeline" (default) or "sandbox"`);
}
app.synth();
