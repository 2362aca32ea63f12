#!/usr/bin/env node
import { writeSync } from 'fs';
import { App } from 'aws-cdk-lib';
import { ConfigError, configSourcesFrom, loadConfig } from '../lib/config/dr-config';
import { PipelineStack } from '../lib/pipeline/pipeline-stack';
import { DisasterRecoveryStage } from '../lib/stages/disaster-recovery-stage';

function main(): void {
  // Without this flag the CLI reports only the selected top-level stacks' validation results, so
  // cdk-nag findings inside the pipeline's stage would not fail `cdk synth`.
  const app = new App({ postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
  const config = loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key)));

  // `pipeline` (default): the delivery pipeline, which deploys the stage. `sandbox`: the stage alone,
  // for a developer's own account: `npx cdk deploy -c target=sandbox -c account=... 'DisasterRecovery/*'`.
  // Checked before the warnings are printed, so a bad target fails with its one line only.
  const target = String(app.node.tryGetContext('target') ?? 'pipeline');
  if (target !== 'pipeline' && target !== 'sandbox') {
    throw new ConfigError('target', `"${target}" must be "pipeline" (default) or "sandbox"`);
  }
  for (const warning of config.warnings) console.warn(`[WARNING] ${warning}`);

  if (target === 'pipeline') {
    new PipelineStack(app, 'PipelineStack', { config });
  } else {
    new DisasterRecoveryStage(app, 'DisasterRecovery', { config });
  }
  app.synth();
}

try {
  main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A bad configuration value is the user's to fix, not a bug: one line naming the setting, no stack trace.
  // Written synchronously and exited at once: with CDK_OUTDIR set (as the CLI runs the app) the App would
  // otherwise synthesize again on `beforeExit`.
  writeSync(2, `${error.message}\n`);
  process.exit(1);
}
