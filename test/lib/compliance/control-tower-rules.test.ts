import { mkdtempSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { ControlTowerChecks, controlTowerRules, inapplicableRules, reportedTypes } from '../../../lib/compliance/control-tower-rules';
import { buildEstate } from '../support/estate-templates';

function templatesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? templatesIn(join(dir, entry.name))
    : entry.name.endsWith('.template.json') ? [join(dir, entry.name)] : []));
}

const findings = (report: PolicyValidationPluginReport) => report.violations
  .flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.templatePath} ${resource.resourceLogicalId}`)).sort();

describe('which Control Tower rules run', () => {
  test('every bundled rule names the resource types it reports on', () => {
    const rules = controlTowerRules();
    expect(rules.length).toBeGreaterThan(200);
    expect(rules.filter((rule) => rule.reportsOn.length === 0).map((rule) => rule.name)).toEqual([]);
  });

  test('a rule is skipped only when no template has a type it reports on; a rule without a header always runs', () => {
    const rules = [{ name: 's3', reportsOn: ['AWS::S3::Bucket'] }, { name: 'redshift', reportsOn: ['AWS::Redshift::Cluster'] }, { name: 'unknown', reportsOn: [] }];
    expect(inapplicableRules(rules, new Set(['AWS::S3::Bucket', 'AWS::SQS::Queue']))).toEqual(['redshift']);
    expect(reportedTypes('# Reports on:\n#   AWS::RDS::DBInstance, AWS::RDS::DBCluster\n#\n# Evaluates:\n#   AWS::Other::Thing')).toEqual(['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster']);
  });

  test('on the whole estate, skipping the inapplicable rules finds exactly what the full rule set finds', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'control-tower-rules-'));
    buildEstate({}, outdir).app.synth();
    const context = { templatePaths: templatesIn(outdir) } as IPolicyValidationContext;
    expect(context.templatePaths.length).toBeGreaterThanOrEqual(11);
    const full = findings(new CfnGuardValidator().validate(context));
    expect(full.length).toBeGreaterThan(50);
    expect(findings(new ControlTowerChecks().validate(context))).toEqual(full);
  });
});
