import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readOrchestratorConfig } from '../../functions/failover-orchestrator/config';
import { readFullDrillConfig } from '../../functions/full-drill/config';
import { readLeaseKeeperConfig } from '../../functions/lease-keeper/config';
import { readMonitorConfig } from '../../functions/replication-monitor/config';
import { readSyntheticDrillConfig } from '../../functions/synthetic-drill/config';
import { drResourceNames } from '../../lib/config/resource-names';
import { buildStage, propertiesOf, testConfig } from '../lib/support/dr-stage';

/**
 * The contract between the two wings: every function's environment, as the synthesized template
 * sets it, passes the validation its handler runs at cold start. Values CloudFormation resolves at
 * deploy time (references, imports) stand in as a placeholder that names the variable (two different
 * resources never share one): an ARN-shaped one for `*_ARN`.
 */
const config = testConfig({ fullDrillEnabled: 'true' });
const names = drResourceNames(config);
const stage = buildStage(config);
const deployTimeValue = (name: string) => (name.endsWith('_ARN') ? `arn:aws:service:us-east-2:123456789012:${name.toLowerCase()}` : `resolved-at-deploy-${name.toLowerCase()}`);

function environmentOf(stack: Stack, functionName: string): NodeJS.ProcessEnv {
  const properties = propertiesOf(Template.fromStack(stack), 'AWS::Lambda::Function', { FunctionName: functionName });
  const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : deployTimeValue(name)]));
}

describe('function environments set by the infrastructure satisfy the handlers', () => {
  it('replication monitor', () => {
    const env = environmentOf(stage.drMonitoring, names.replicationMonitorFunction);
    expect(readMonitorConfig(env)).toMatchObject({ environmentSuffix: 'dev', primaryRegion: 'us-east-1', drRegion: 'us-east-2', port: 5432 });
  });

  it('failover orchestrator', () => {
    const env = environmentOf(stage.failoverOrchestration, names.failoverOrchestratorFunction);
    expect(readOrchestratorConfig(env)).toMatchObject({
      replicaInstanceId: names.replicaDbInstance, primaryInstanceId: names.primaryDbInstance, writerRecordName: names.writerRecordName,
      maxPromotionLagSeconds: config.monitoring.maxPromotionLagSeconds,
    });
  });

  it('failover orchestrator: re-protection and fail-back are configured (without them `reprotect` is refused as not configured)', () => {
    const env = environmentOf(stage.failoverOrchestration, names.failoverOrchestratorFunction);
    expect(readOrchestratorConfig(env)).toMatchObject({
      primarySubnetGroup: names.reprotectSubnetGroup, primaryParameterGroup: `${names.primaryDbInstance}-params`,
      primaryKmsKeyArn: deployTimeValue('PRIMARY_KMS_KEY_ARN'), primarySecurityGroupIds: [deployTimeValue('PRIMARY_DB_SECURITY_GROUP_IDS')],
      drSubnetGroup: `${names.replicaDbInstance}-subnets`, drParameterGroup: `${names.replicaDbInstance}-params`,
      drKmsKeyArn: deployTimeValue('DR_KMS_KEY_ARN'), drSecurityGroupIds: [deployTimeValue('DR_DB_SECURITY_GROUP_IDS')],
      drFenceSecurityGroupId: deployTimeValue('DR_FENCE_SECURITY_GROUP_ID'),
      reprotectInstanceClass: config.database.instanceClass, reprotectBackupRetentionDays: config.database.backupRetentionDays,
    });
  });

  it('lease keeper', () => {
    const env = environmentOf(stage.primaryLeaseKeeper!, names.leaseKeeperFunction);
    expect(readLeaseKeeperConfig(env)).toMatchObject({
      primaryRegion: 'us-east-1', primaryInstanceId: names.primaryDbInstance, writeLeaseTable: names.writeLeaseTable,
      timings: { ttlMs: config.failover.lease.ttlSeconds * 1000, renewIntervalMs: config.failover.lease.renewIntervalSeconds * 1000, fenceBudgetMs: config.failover.lease.fenceBudgetSeconds * 1000 },
    });
  });

  it('synthetic drill', () => {
    expect(() => readSyntheticDrillConfig(environmentOf(stage.drDrill, names.syntheticDrillFunction))).not.toThrow();
  });

  it('full drill tasks', () => {
    const tasks = Template.fromStack(stage.drDrill).findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler', Environment: { Variables: { DRILL_INSTANCE_PREFIX: `${config.serviceName}-drill-${config.environmentSuffix}-` } } },
    });
    const [functionName] = Object.values(tasks).map((resource) => resource.Properties.FunctionName as string);
    expect(() => readFullDrillConfig(environmentOf(stage.drDrill, functionName))).not.toThrow();
  });

  it('fails when the infrastructure drops a variable (the check can fail)', () => {
    const { LAG_LOOKBACK_SECONDS: _dropped, ...env } = environmentOf(stage.failoverOrchestration, names.failoverOrchestratorFunction);
    expect(() => readOrchestratorConfig(env)).toThrow(/LAG_LOOKBACK_SECONDS/);
  });

  it('fails when the infrastructure sets re-protection only in part (the check can fail)', () => {
    const { DR_FENCE_SECURITY_GROUP_ID: _dropped, ...env } = environmentOf(stage.failoverOrchestration, names.failoverOrchestratorFunction);
    expect(() => readOrchestratorConfig(env)).toThrow(/re-protection needs all of .*missing: DR_FENCE_SECURITY_GROUP_ID/);
  });

  it('fails when the keeper would be handed the same group for the database and the fence (the check can fail)', () => {
    const env = environmentOf(stage.primaryLeaseKeeper!, names.leaseKeeperFunction);
    expect(() => readLeaseKeeperConfig({ ...env, FENCE_SECURITY_GROUP_ID: env.PRIMARY_DB_SECURITY_GROUP_ID })).toThrow(/FENCE_SECURITY_GROUP_ID must differ/);
  });
});
