import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildStage, configFrom, testConfig } from '../support/dr-stage';
import { buildEstate } from '../support/estate-templates';
import { readValidationReport, type ValidationReport } from '../support/validation-report';

const GUARD_PLUGIN = 'cdk-validator-cfnguard';

/**
 * The Control Tower gate: every template `cdk synth` writes (pipeline, support stacks, the stage) checked by cfn-guard
 * against the Control Tower rule set the plugin bundles. Deliberately non-compliant resources must fail synth and be
 * the ONLY open findings: an unencrypted queue in the pipeline stack (the whole estate as `cdk synth` builds it is
 * otherwise compliant or acknowledged), and a function outside any VPC in the drill stack of a stage, whose own
 * function has the same control acknowledged (acknowledgements hold per resource, not per stack or rule).
 */
describe('Control Tower proactive controls (cfn-guard)', () => {
  const guardReports = (report: ValidationReport) => report.pluginReports.filter((plugin) => plugin.pluginName === GUARD_PLUGIN);
  const open = (report: ValidationReport) => guardReports(report).flatMap((plugin) => plugin.violations)
    .flatMap((violation) => violation.violatingConstructs.map((construct) => `${violation.ruleName} ${construct.constructPath}`)).sort();
  const acknowledged = (report: ValidationReport) => guardReports(report).flatMap((plugin) => plugin.suppressedViolations ?? []);

  test('the estate as `cdk synth` builds it: only a planted unencrypted queue is open; every acknowledgement has a reason and a resource', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'control-tower-'));
    const { app, config, pipeline } = buildEstate({ controlTowerChecks: 'true' }, outdir);
    expect(config.compliance.controlTowerChecks).toBe(true);
    expect(configFrom().compliance.controlTowerChecks).toBe(true); // on by default: `cdk synth` runs it
    new sqs.Queue(pipeline, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    expect(() => app.synth()).toThrow(/cdk-validator-cfnguard/);
    const report: ValidationReport = readValidationReport(outdir);
    expect(open(report)).toEqual(['sqs_dlq_check PipelineStack/UnencryptedQueue/Resource', 'sqs_queue_encrypted_check PipelineStack/UnencryptedQueue/Resource']);
    const findings = acknowledged(report);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.reason.length).toBeGreaterThan(20);
      for (const construct of finding.violatingConstructs) expect(construct.constructPath).not.toBe('');
    }
  });

  test('the stage is checked too, and an acknowledgement covers its own resource only', () => {
    const stage = buildStage(testConfig({ controlTowerChecks: 'true' }));
    const drillStack = stage.node.findChild('DRDrillStack') as Stack;
    new lambda.Function(drillStack, 'OutsideVpc', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};') });

    const app = App.of(stage)!;
    expect(() => app.synth()).toThrow(/cdk-validator-cfnguard/);
    const report: ValidationReport = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    expect(open(report)).toEqual([`lambda_inside_vpc_check ${drillStack.node.path}/OutsideVpc/Resource`]);
    // The drill's own function is in the VPC (its subnets are imported, which cfn-guard cannot resolve): acknowledged there.
    expect(acknowledged(report).flatMap((finding) => finding.violatingConstructs.map((construct) => `${finding.ruleName} ${construct.constructPath}`)))
      .toContain(`lambda_inside_vpc_check ${drillStack.node.path}/SyntheticDrill/Drill/Function/Resource`);
  });
});
