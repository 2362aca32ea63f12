import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../../lib/config/dr-config';
import { DisasterRecoveryStage } from '../../../lib/stages/disaster-recovery-stage';
import { buildStage, configFrom, testConfig } from '../support/dr-stage';

type Json = Record<string, any>;

/**
 * The estate after a regional failover, synthesized from `writerRegion: dr`: what the orchestrator did to the running
 * estate (promoted the replica, fenced the old primary, pinned the writer name) is what the templates say, so a
 * deployment after the failover changes none of it back.
 */
function resourcesOf(stage: DisasterRecoveryStage, stackId: 'DRDatabaseStack' | 'PrimaryRegionStack' | 'Route53FailoverStack', type: string): [string, Json][] {
  const template = Template.fromStack(stage.node.findChild(stackId) as never).toJSON();
  return Object.entries(template.Resources as Record<string, Json>).filter(([, resource]) => resource.Type === type);
}

const asBuilt = buildStage(testConfig());
const failedOver = buildStage(testConfig({ writerRegion: 'dr' }));

describe('writerRegion', () => {
  test('defaults to primary; any other value than primary or dr fails with one line naming the setting', () => {
    expect(testConfig().topology.writerRegion).toBe('primary');
    expect(() => configFrom({ writerRegion: 'us-east-2' }))
      .toThrow(new ConfigError('writerRegion', '"us-east-2" must be one of primary, dr (where the writer is now)'));
  });

  test('dr: a major version upgrade is refused at synth, by the setting that allows it', () => {
    expect(() => configFrom({ writerRegion: 'dr', allowMajorVersionUpgrade: 'true' }))
      .toThrow(new ConfigError('allowMajorVersionUpgrade', 'must be false while writerRegion is "dr": fail back before a major version upgrade'));
    expect(configFrom({ writerRegion: 'primary', allowMajorVersionUpgrade: 'true' }).database.allowMajorVersionUpgrade).toBe(true);
  });

  test('dr: the promoted DR instance is the same resource, unchanged — it keeps its SourceDBInstanceIdentifier', () => {
    const [[builtId, built]] = resourcesOf(asBuilt, 'DRDatabaseStack', 'AWS::RDS::DBInstance');
    const [[promotedId, promoted]] = resourcesOf(failedOver, 'DRDatabaseStack', 'AWS::RDS::DBInstance');
    expect(promotedId).toBe(builtId);
    expect(promoted.Properties.DBInstanceIdentifier).toBe(built.Properties.DBInstanceIdentifier);
    // Removing the source would make CloudFormation call PromoteReadReplica on an instance the orchestrator already
    // promoted, which RDS refuses (the update fails); adding it back is not updatable (replica-database.ts cites both).
    expect(promoted.Properties.SourceDBInstanceIdentifier).toBeDefined();
    expect(promoted).toEqual(built);
  });

  test('dr: the DR instance\'s own parameter group gets the writer\'s silent-session timeouts, as the primary\'s has them', () => {
    const parameters = (stage: DisasterRecoveryStage, stackId: 'DRDatabaseStack' | 'PrimaryRegionStack', name: string) =>
      resourcesOf(stage, stackId, 'AWS::RDS::DBParameterGroup').map(([, group]) => group.Properties).find((group) => group.DBParameterGroupName === name)!.Parameters;
    const primaryGroup = parameters(asBuilt, 'PrimaryRegionStack', 'paydb-primary-db-dev-params');
    const writerTimeouts = { idle_session_timeout: primaryGroup.idle_session_timeout, idle_in_transaction_session_timeout: primaryGroup.idle_in_transaction_session_timeout };
    expect(Number(writerTimeouts.idle_session_timeout)).toBeGreaterThan(0);
    const asReplica = parameters(asBuilt, 'DRDatabaseStack', 'paydb-dr-replica-db-dev-params');
    const asWriter = parameters(failedOver, 'DRDatabaseStack', 'paydb-dr-replica-db-dev-params');
    expect(asReplica).not.toHaveProperty('idle_session_timeout');
    expect(asWriter).toEqual({ ...asReplica, ...writerTimeouts });
  });

  test('dr: the old primary\'s resource does not change (CloudFormation would have to modify a stopped instance)', () => {
    // The orchestrator fenced and stopped it; a template change would make CloudFormation call ModifyDBInstance on it,
    // which RDS refuses for a stopped instance, and an unchanged template sends nothing (primary-region-stack.ts).
    const [[, primary]] = resourcesOf(failedOver, 'PrimaryRegionStack', 'AWS::RDS::DBInstance');
    const [[, asBuiltPrimary]] = resourcesOf(asBuilt, 'PrimaryRegionStack', 'AWS::RDS::DBInstance');
    expect(primary).toEqual(asBuiltPrimary);
  });

  test('dr: the PRIMARY writer record answers the DR instance, as the orchestrator pinned it', () => {
    const primaryRecord = (stage: DisasterRecoveryStage) => resourcesOf(stage, 'Route53FailoverStack', 'AWS::Route53::RecordSet')
      .map(([, record]) => record.Properties).find((record) => record.Failover === 'PRIMARY')!;
    const secondaryRecord = resourcesOf(asBuilt, 'Route53FailoverStack', 'AWS::Route53::RecordSet')
      .map(([, record]) => record.Properties).find((record) => record.Failover === 'SECONDARY')!;
    expect(primaryRecord(failedOver).ResourceRecords).toEqual(secondaryRecord.ResourceRecords);
    expect(primaryRecord(asBuilt).ResourceRecords).not.toEqual(secondaryRecord.ResourceRecords);
  });
});

describe('what does not change at a failover', () => {
  test('applications find the writer name in an SSM parameter of each region, never an instance endpoint', () => {
    for (const stackId of ['PrimaryRegionStack', 'DRRegionStack']) {
      const template = Template.fromStack(asBuilt.node.findChild(stackId) as never);
      template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/paydb/dev/database/writer-host', Value: 'writer.db.paydb-dev.internal', Type: 'String' });
    }
  });

  const stacksOf = (stage: DisasterRecoveryStage) => stage.node.children.filter((child): child is Stack => child instanceof Stack)
    .map((stack) => ({ id: stack.node.id, template: Template.fromStack(stack).toJSON() }));

  test('same-region exports (Fn::ImportValue) are the same, with the same values, in both topologies', () => {
    // CloudFormation rejects an update that changes or removes an export another stack imports ("you can't modify or
    // remove an output value that is referenced by another stack", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html ,
    // and aws/aws-cdk#30771 for this RDS DR case). The producing stack deploys first, so any difference fails the switch.
    // Cross-region values go through CDK's SSM export writer instead (aws-cdk-lib 2.276,
    // core/lib/dist/core/cross-region-ssm-writer-handler): on update it writes the names it did not export before and
    // deletes those it no longer exports, without an in-use check, so a topology that stops importing one (the DR
    // instance's source, the old primary's endpoint in the PRIMARY record) deploys.
    const exportsOf = (stage: DisasterRecoveryStage) => Object.fromEntries(stacksOf(stage).flatMap(({ template }) =>
      Object.values((template.Outputs ?? {}) as Record<string, Json>).filter((output) => output.Export)
        .map((output) => [JSON.stringify(output.Export.Name), JSON.stringify(output.Value)])));
    const built = exportsOf(asBuilt);
    expect(Object.keys(built).length).toBeGreaterThan(5);
    expect(exportsOf(failedOver)).toEqual(built);
  });
});
