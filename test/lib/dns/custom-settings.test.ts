import { Template } from 'aws-cdk-lib/assertions';
import { buildStage, propertiesOf, testConfig } from '../support/dr-stage';

// One stage with non-default monitoring settings: each must reach the template, not a hard-coded default.
const stage = buildStage(testConfig({
  environmentSuffix: 'qa', dnsTtlSeconds: '15', replicationLagAlarmSeconds: '120', unreachableEvaluationPeriods: '5', maxPromotionLagSeconds: '90',
}));
const route53 = Template.fromStack(stage.route53Failover);
const monitoring = Template.fromStack(stage.drMonitoring);
const orchestration = Template.fromStack(stage.failoverOrchestration);

describe('custom settings flow into the templates', () => {
  it('dnsTtlSeconds sets the TTL of both writer records, named with the suffix', () => {
    for (const failover of ['PRIMARY', 'SECONDARY']) {
      expect(propertiesOf(route53, 'AWS::Route53::RecordSet', { Failover: failover })).toMatchObject({ Name: 'writer.db.paydb-qa.internal', TTL: '15' });
    }
    expect(propertiesOf(route53, 'AWS::Route53::HostedZone').Name).toBe('db.paydb-qa.internal.');
  });

  it('replicationLagAlarmSeconds sets the lag alarm threshold', () => {
    expect(propertiesOf(monitoring, 'AWS::CloudWatch::Alarm', { AlarmName: 'paydb-replication-lag-qa' }).Threshold).toBe(120);
  });

  it('unreachableEvaluationPeriods sets periods and datapoints of the reachability, availability and outage-evidence alarms', () => {
    for (const purpose of ['primary-unreachable', 'replica-unreachable', 'primary-not-available', 'replica-not-available', 'primary-failed-state', 'primary-api-unreachable']) {
      expect(propertiesOf(monitoring, 'AWS::CloudWatch::Alarm', { AlarmName: `paydb-${purpose}-qa` })).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 5 });
    }
  });

  it('maxPromotionLagSeconds reaches the orchestrator, and the dimension follows the suffix', () => {
    const variables = (propertiesOf(orchestration, 'AWS::Lambda::Function', { FunctionName: 'paydb-failover-orchestrator-qa' }).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables).toMatchObject({ MAX_PROMOTION_LAG_SECONDS: '90', ENVIRONMENT_SUFFIX: 'qa', PRIMARY_RECORD_SET_ID: 'qa-writer-primary' });
    expect(propertiesOf(monitoring, 'AWS::CloudWatch::Alarm', { AlarmName: 'paydb-failed-over-qa' }).Dimensions).toEqual([{ Name: 'EnvironmentSuffix', Value: 'qa' }]);
  });
});
