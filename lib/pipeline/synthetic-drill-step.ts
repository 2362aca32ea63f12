import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CodeBuildStep } from 'aws-cdk-lib/pipelines';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';

/** Event the synthetic drill function receives from the pipeline (the drill also runs on a schedule). */
export const PIPELINE_DRILL_PAYLOAD = { mode: 'synthetic', trigger: 'pipeline' } as const;

const REPORT_FILE = 'synthetic-drill-report.json';

/** Prints the drill report and exits non-zero unless it says `"ready": true` (a function error has no `ready`). */
const READINESS_GATE = [
  'const fs = require("fs");',
  `const report = JSON.parse(fs.readFileSync("${REPORT_FILE}", "utf8"));`,
  'console.log(JSON.stringify(report, null, 2));',
  'if (report.ready !== true) { console.error("Synthetic drill: the DR side is NOT ready, failing the pipeline"); process.exit(1); }',
  'console.log("Synthetic drill: the DR side is ready");',
].join(' ');

/** ARN of the synthetic drill function, built from configuration (the function lives in another region's stack). */
export function syntheticDrillFunctionArn(scope: Stack, config: DrConfig): string {
  return Arn.format({
    service: 'lambda',
    region: config.regions.dr,
    account: config.workloadAccount,
    resource: 'function',
    resourceName: drResourceNames(config).syntheticDrillFunction,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  }, scope);
}

/**
 * Post-deploy step of the DR stage: runs the synthetic drill in the DR region and fails the
 * pipeline when it reports the DR side not ready. It may only invoke that one function.
 */
export function syntheticDrillStep(scope: Stack, config: DrConfig): CodeBuildStep {
  const functionName = drResourceNames(config).syntheticDrillFunction;
  return new CodeBuildStep('SyntheticDrill', {
    commands: [
      `aws lambda invoke --region ${config.regions.dr} --function-name ${functionName} --cli-read-timeout 900 ` +
        `--cli-binary-format raw-in-base64-out --payload '${JSON.stringify(PIPELINE_DRILL_PAYLOAD)}' ${REPORT_FILE}`,
      `node -e '${READINESS_GATE}'`,
    ],
    rolePolicyStatements: [
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [syntheticDrillFunctionArn(scope, config)] }),
    ],
  });
}
