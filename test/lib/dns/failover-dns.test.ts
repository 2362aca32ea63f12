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
const childrenOf = (record: Json) => (healthCheckConfig(referencedLogicalId(record.HealthCheckId)).ChildHealthChecks as unknown[]).map(referencedLogicalId).sort();

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
  const calculated = Object.keys(healthChecks).filter((id) => healthCheckConfig(id).Type === 'CALCULATED');

  it('are only alarm-based (four) and calculated (two): Route53 checkers cannot reach private databases', () => {
    expect(alarmBacked).toHaveLength(4);
    expect(calculated).toHaveLength(2);
    expect(alarmBacked.length + calculated.length).toBe(Object.keys(healthChecks).length);
  });

  it('follow monitor alarms that exist in the DR region, keeping their last status when the alarm has no data', () => {
    const monitorAlarms = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties.AlarmName);
    const followed = alarmBacked.map((id) => {
      expect(healthCheckConfig(id)).toEqual({
        Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: expect.any(String), Region: 'us-east-2' }, InsufficientDataHealthStatus: 'LastKnownStatus',
      });
      return healthCheckConfig(id).AlarmIdentifier.Name as string;
    });
    expect(followed.sort()).toEqual(['paydb-failed-over-dev', 'paydb-primary-not-available-dev', 'paydb-replica-not-available-dev', 'paydb-replica-unreachable-dev']);
    expect(followed.filter((alarmName) => !monitorAlarms.includes(alarmName))).toEqual([]);
  });

  it('calculated checks need every child healthy (HealthThreshold = number of children)', () => {
    for (const id of calculated) {
      const { ChildHealthChecks, HealthThreshold } = healthCheckConfig(id);
      expect(ChildHealthChecks.length).toBe(2);
      expect(HealthThreshold).toBe(ChildHealthChecks.length);
    }
  });
});

describe('writer failover records', () => {
  it('PRIMARY: CNAME writer.db.paydb-dev.internal → primary endpoint (cross-region reference), TTL 30, healthy only while not failed over and RDS reports the primary available', () => {
    const record = writerRecord('PRIMARY');
    expect(record).toMatchObject({
      HostedZoneId: { Ref: zone.logicalId }, Name: 'writer.db.paydb-dev.internal', Type: 'CNAME', TTL: '30', SetIdentifier: 'dev-writer-primary',
    });
    const primaryInstanceId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;
    expect(record.ResourceRecords).toHaveLength(1);
    expect(crossRegionSource(record.ResourceRecords[0], route53, primary)).toEqual({ 'Fn::GetAtt': [primaryInstanceId, 'Endpoint.Address'] });
    expect(childrenOf(record)).toEqual([alarmCheckIdFor('paydb-failed-over-dev'), alarmCheckIdFor('paydb-primary-not-available-dev')].sort());
  });

  it('SECONDARY: the same name → DR replica endpoint, TTL 30, healthy while the replica is reachable and available', () => {
    const record = writerRecord('SECONDARY');
    expect(record).toMatchObject({
      HostedZoneId: { Ref: zone.logicalId }, Name: 'writer.db.paydb-dev.internal', Type: 'CNAME', TTL: '30', SetIdentifier: 'dev-writer-secondary',
    });
    const replicaId = findOne(drDatabase, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' }).logicalId;
    expect(record.ResourceRecords.map((value: unknown) => importedFrom(value, drDatabase))).toEqual([{ 'Fn::GetAtt': [replicaId, 'Endpoint.Address'] }]);
    expect(childrenOf(record)).toEqual([alarmCheckIdFor('paydb-replica-unreachable-dev'), alarmCheckIdFor('paydb-replica-not-available-dev')].sort());
  });

  it('are the only records of the zone', () => {
    expect(Object.keys(route53.findResources('AWS::Route53::RecordSet'))).toHaveLength(2);
  });
});
