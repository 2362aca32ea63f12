import { DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CodeBuildStep, type IFileSetProducer } from 'aws-cdk-lib/pipelines';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';

/**
 * The CDK bootstrap's lookup role of the workload account (DR region): `ReadOnlyAccess` with kms:Decrypt denied, and
 * trusted by the accounts given to `cdk bootstrap --trust`, which is how the workload account is bootstrapped for this
 * pipeline (docs/deployment.md). The role's name and policies are the bootstrap template's (aws-cdk,
 * lib/api/bootstrap/bootstrap-template.yaml, resource LookupRole). IAM roles are global, so one role reads both regions.
 */
export function workloadLookupRoleArn(scope: Stack, config: DrConfig): string {
  const { account, region } = { account: config.workloadAccount, region: config.regions.dr };
  return `arn:${scope.partition}:iam::${account}:role/cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-lookup-role-${account}-${region}`;
}

/**
 * Before the DR stage deploys: refuses the deployment when the configuration's `writerRegion` does not describe the
 * databases as RDS reports them (functions/core/topology-gate.ts) — the pipeline can then neither undo a failover nor
 * fake one. Reads RDS only, with the workload account's read-only lookup role.
 */
export function topologyGateStep(scope: Stack, config: DrConfig, source: IFileSetProducer): CodeBuildStep {
  const names = drResourceNames(config);
  const assumeLookupRole = `aws sts assume-role --role-arn ${workloadLookupRoleArn(scope, config)} --role-session-name topology-gate ` +
    '--query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text';
  return new CodeBuildStep('TopologyGate', {
    input: source,
    commands: [
      'npm ci --no-audit --no-fund',
      // One line, POSIX sh (CodeBuild's default shell): the assumed credentials reach the gate's process only.
      `eval "$(${assumeLookupRole} | awk '{print "export AWS_ACCESS_KEY_ID=" $1 " AWS_SECRET_ACCESS_KEY=" $2 " AWS_SESSION_TOKEN=" $3}')" && ` +
        `npx tsx functions/topology-gate/cli.ts --expected ${config.topology.writerRegion} ` +
        `--primary-region ${config.regions.primary} --primary-instance ${names.primaryDbInstance} ` +
        `--dr-region ${config.regions.dr} --dr-instance ${names.replicaDbInstance}`,
    ],
    rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [workloadLookupRoleArn(scope, config)] })],
  });
}
