import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage, crossRegionSource, findOne, importedFrom, referencedLogicalId, testConfig } from '../support/dr-stage';

type Json = Record<string, any>;

const stage = buildStage(testConfig());
const route53 = Template.fromStack(stage.route53Failover);
const monitoring = Template.fromStack(stage.drMonitoring);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);
const drDatabase = Template.fromStack(stage.drDatabase);

const zone = findOne(route53, 'AWS::Route53::HostedZone', { Name: 'db.paydb-dev.internal.' });
const healthChecks = route53.findResources('AWS::Route53::HealthCheck');
const healthCheckConfig = (logicalId: string) => healthChecks[logicalId].Properties.HealthCheckConfig as Json;
const alarmCheckIdFor = (alarmName: string) => findOne(route53, 'AWS::Route53::HealthCheck', {
  HealthCheckConfig: Match.objectLike({ AlarmIdentifier: { Name: alarmName, Region: 'us-east-2' } }),
}).logicalId;
const writerRecord = (failover: 'PRIMARY' | 'SECONDARY') => findOne(route53, 'AWS::Route53::RecordSet', { Failover: failover }).resource.Properties as Json;

describe('private hosted zone', () => {
  it('is named db.paydb-dev.internal and associated with the DR VPC and the primary VPC (cross-region reference)', () => {
    const vpcs = (zone.resource.Properties as Json).VPCs as Json[];
    expect(vpcs.map((vpc) => vpc.VPCRegion)).toEqual(['us-east-2', 'us-east-1']);
    expect(importedFrom(vpcs[0].VPCId, dr)).toEqual({ Ref: findOne(dr, 'AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' }).logicalId });
    expect(crossRegionSource(vpcs[1].VPCId, route53, primary)).toEqual({ Ref: findOne(primary, 'AWS::EC2::VPC', { CidrBlock: '10.10.0.0/16' }).logicalId });
    expect(Object.keys(route53.findResources('AWS::Route53::HostedZone'))).toHaveLength(1);
  });
});

describe('health checks', () => {
  const alarmBacked = Object.keys(healthChecks).filter((id) => healthCheckConfig(id).Type === 'CLOUDWATCH_METRIC');

  it('are only alarm-based, one per writer record: Route53 checkers cannot reach private databases', () => {
    expect(alarmBacked).toHaveLength(2);
    expect(Object.keys(healthChecks)).toHaveLength(2);
  });

  it('follow the failed-over and not-failed-over alarms of the DR region, keeping their last status when the alarm has no data', () => {
    const monitorAlarms = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties.AlarmName);
    const followed = alarmBacked.map((id) => {
      expect(healthCheckConfig(id)).toEqual({
        Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: expect.any(String), Region: 'us-east-2' }, InsufficientDataHealthStatus: 'LastKnownStatus',
      });
      return healthCheckConfig(id).AlarmIdentifier.Name as string;
    });
    expect(followed.sort()).toEqual(['paydb-failed-over-dev', 'paydb-not-failed-over-dev']);
    expect(followed.filter((alarmName) => !monitorAlarms.includes(alarmName))).toEqual([]);
  });

  it('follow two alarms on the same FailedOver metric with opposite comparisons, both keeping their state without data (the monitor is not needed after a failover)', () => {
    const alarmNamed = (alarmName: string) => Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).find((alarm) => alarm.Properties.AlarmName === alarmName)!.Properties as Json;
    const failedOver = alarmNamed('paydb-failed-over-dev');
    const notFailedOver = alarmNamed('paydb-not-failed-over-dev');
    for (const alarm of [failedOver, notFailedOver]) {
      expect(alarm).toMatchObject({ Namespace: 'PaymentsDR', MetricName: 'FailedOver', Statistic: 'Maximum', Threshold: 1, EvaluationPeriods: 1, TreatMissingData: 'ignore' });
    }
    expect([failedOver.ComparisonOperator, notFailedOver.ComparisonOperator]).toEqual(['GreaterThanOrEqualToThreshold', 'LessThanThreshold']);
  });

  it('never follow what RDS or the probes say about either database (availability, reachability, evidence of an outage)', () => {
    const followed = alarmBacked.map((id) => healthCheckConfig(id).AlarmIdentifier.Name as string);
    for (const alarmName of [
      'paydb-primary-not-available-dev', 'paydb-primary-unreachable-dev', 'paydb-primary-failed-state-dev', 'paydb-primary-api-unreachable-dev',
      'paydb-replica-unreachable-dev', 'paydb-replica-not-available-dev',
    ]) expect(followed).not.toContain(alarmName);
  });
});

describe('writer failover records', () => {
  it('PRIMARY: CNAME writer.db.paydb-dev.internal → primary endpoint (cross-region reference), TTL 30, healthy exactly while not failed over', () => {
    const record = writerRecord('PRIMARY');
    expect(record).toMatchObject({
      HostedZoneId: { Ref: zone.logicalId }, Name: 'writer.db.paydb-dev.internal', Type: 'CNAME', TTL: '30', SetIdentifier: 'dev-writer-primary',
    });
    const primaryInstanceId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;
    expect(record.ResourceRecords).toHaveLength(1);
    expect(crossRegionSource(record.ResourceRecords[0], route53, primary)).toEqual({ 'Fn::GetAtt': [primaryInstanceId, 'Endpoint.Address'] });
    // Healthy while paydb-failed-over-dev is OK, i.e. FailedOver < 1.
    expect(referencedLogicalId(record.HealthCheckId)).toBe(alarmCheckIdFor('paydb-failed-over-dev'));
  });

  it('defect 11: SECONDARY: the same name → DR replica endpoint, TTL 30, healthy ONLY once failed over', () => {
    const record = writerRecord('SECONDARY');
    expect(record).toMatchObject({
      HostedZoneId: { Ref: zone.logicalId }, Name: 'writer.db.paydb-dev.internal', Type: 'CNAME', TTL: '30', SetIdentifier: 'dev-writer-secondary',
    });
    const replicaId = findOne(drDatabase, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' }).logicalId;
    expect(record.ResourceRecords.map((value: unknown) => importedFrom(value, drDatabase))).toEqual([{ 'Fn::GetAtt': [replicaId, 'Endpoint.Address'] }]);
    // Healthy while paydb-not-failed-over-dev is OK, i.e. FailedOver >= 1.
    expect(referencedLogicalId(record.HealthCheckId)).toBe(alarmCheckIdFor('paydb-not-failed-over-dev'));
  });

  it('name each health check after the record it guards', () => {
    const nameTag = (logicalId: string) => (healthChecks[logicalId].Properties.HealthCheckTags as Array<{ Key: string; Value: string }>).find((tag) => tag.Key === 'Name')?.Value;
    expect(nameTag(alarmCheckIdFor('paydb-failed-over-dev'))).toBe('writer.db.paydb-dev.internal-primary');
    expect(nameTag(alarmCheckIdFor('paydb-not-failed-over-dev'))).toBe('writer.db.paydb-dev.internal-secondary');
  });

  it('are the only records of the zone', () => {
    expect(Object.keys(route53.findResources('AWS::Route53::RecordSet'))).toHaveLength(2);
  });
});
