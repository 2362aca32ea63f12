import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { configSourcesFrom, loadConfig } from '../../../lib/config/dr-config';
import { PipelineStack } from '../../../lib/pipeline/pipeline-stack';
import { readValidationReport, type ValidationReport } from '../support/validation-report';

/**
 * Proves the gate checks something: with one deliberately non-compliant queue in the pipeline stack and
 * one in a cross-region support stack, synth fails and the report names exactly those two constructs,
 * which also proves that everything else (pipeline, support stacks, stage) is nag clean.
 */
test('a non-compliant resource in the pipeline stack or a support stack fails synth; nothing else has a finding', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'pipeline-nag-'));
  const app = new App({
    outdir,
    context: {
      ...JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')).context,
      'aws:cdk:bundling-stacks': [],
      // This file is about the cdk-nag gate; the Control Tower gate has its own test.
      controlTowerChecks: 'false',
    },
    postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true },
  });
  const config = loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key), {}));
  const stack = new PipelineStack(app, 'PipelineStack', { config });
  new sqs.Queue(stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  const [supportStack] = Object.values(stack.pipeline.pipeline.crossRegionSupport).map((support) => support.stack);
  new sqs.Queue(supportStack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });

  expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);

  const report: ValidationReport = readValidationReport(outdir);
  const violatingPaths = new Set(report.pluginReports.flatMap((plugin) => plugin.violations)
    .flatMap((violation) => violation.violatingConstructs.map((construct) => construct.constructPath)));
  expect([...violatingPaths].sort()).toEqual([
    'PipelineStack/UnencryptedQueue/Resource',
    `${supportStack.node.path}/UnencryptedQueue/Resource`,
  ].sort());
  const rules = new Set(report.pluginReports.flatMap((plugin) => plugin.violations).map((violation) => violation.ruleName));
  expect([...rules].sort()).toEqual(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
});
