import { applyComplianceChecks } from '../../../lib/compliance/nag';
import { DRDrillStack } from '../../../lib/stacks/dr-drill-stack';
import { DRRegionStack } from '../../../lib/stacks/dr-region-stack';
import { testApp, testConfig, TEST_ACCOUNT } from '../support/dr-stage';

export const ORCHESTRATOR_FUNCTION_ARN = `arn:aws:lambda:us-east-2:${TEST_ACCOUNT}:function:paydb-failover-orchestrator-dev`;
export const ORCHESTRATOR_ROLE_ARN = `arn:aws:iam::${TEST_ACCOUNT}:role/paydb-failover-orchestrator-role-dev`;
export const PRIMARY_ARN = `arn:aws:rds:us-east-1:${TEST_ACCOUNT}:db:paydb-primary-db-dev`;

/** The drill stack beside the real DR-region stack, in an App with cdk.json's feature flags and the compliance checks on (they run at synth). */
export function buildDrillApp(fullDrillEnabled: boolean, context: Record<string, unknown> = {}) {
  const app = testApp();
  const config = testConfig(context);
  const env = { account: TEST_ACCOUNT, region: config.regions.dr };
  const drRegion = new DRRegionStack(app, 'DRRegionStack', { config, env });
  const drill = new DRDrillStack(app, 'DRDrillStack', {
    config,
    env,
    crossRegionReferences: true,
    network: drRegion.network,
    key: drRegion.key,
    alertTopic: drRegion.alertTopic,
    replicaEndpoint: 'paydb-dr-replica-db-dev.xyz.us-east-2.rds.amazonaws.com',
    replicaSecurityGroupId: 'sg-0123456789abcdef0',
    primaryInstanceArn: PRIMARY_ARN,
    primaryEndpoint: 'paydb-primary-db-dev.abc.us-east-1.rds.amazonaws.com',
    hostedZoneId: 'Z0123456789ABC',
    failoverRuleName: 'paydb-failover-trigger-dev',
    orchestratorFunctionArn: ORCHESTRATOR_FUNCTION_ARN,
    orchestratorRoleArn: ORCHESTRATOR_ROLE_ARN,
    fullDrillEnabled,
  });
  applyComplianceChecks(app);
  return { app, drill };
}
