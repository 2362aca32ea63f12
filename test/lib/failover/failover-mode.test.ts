import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStage, findOne, pointsAt, propertiesOf, synthesizeApp, testConfig } from '../support/dr-stage';
import { Json, actionsOf, synthesizedFunction } from '../monitoring/function-template';

// Regions that no MRSC region set holds: only manual-confirm is possible, and it needs no write lease.
const manual = buildStage(testConfig({
  environmentSuffix: 'mc', failoverMode: 'manual-confirm', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-north-1',
}));
const stacks = manual.node.children.filter((child): child is Stack => child instanceof Stack);

describe('failoverMode manual-confirm', () => {
  it('synthesizes the App with zero unacknowledged cdk-nag findings', () => {
    expect(() => synthesizeApp(manual)).not.toThrow();
  });

  it('creates no write lease table and no lease keeper, in any stack', () => {
    for (const stack of stacks) {
      const template = Template.fromStack(stack);
      expect(template.findResources('AWS::DynamoDB::GlobalTable')).toEqual({});
      expect(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'paydb-lease-keeper-mc' } })).toEqual({});
    }
    expect(manual.drDatabase.writeLease).toBeUndefined();
    expect(manual.primaryLeaseKeeper).toBeUndefined();
  });

  it('lets only the DR function subnets (the orchestrator\'s switchover freeze) reach the fenced primary: no keeper rule', () => {
    const primary = Template.fromStack(manual.primaryRegion);
    const fence = findOne(primary, 'AWS::EC2::SecurityGroup', { GroupName: 'paydb-primary-db-fence-mc' });
    expect(((fence.resource.Properties as Json).SecurityGroupIngress as Json[]).map((rule) => rule.CidrIp)).toEqual(manual.drRegion.network.functionSubnetCidrs);
    expect(Object.values(primary.findResources('AWS::EC2::SecurityGroupIngress')).filter((rule) => pointsAt(rule.Properties.GroupId, fence.logicalId))).toEqual([]);
  });

  it('tells the orchestrator its mode, gives it no lease table and no access to one', () => {
    const orchestrator = synthesizedFunction(Template.fromStack(manual.failoverOrchestration), 'paydb-failover-orchestrator-mc');
    const variables = orchestrator.properties.Environment.Variables as Json;
    expect(variables).toMatchObject({ FAILOVER_MODE: 'manual-confirm', LEASE_TAKEOVER_MARGIN_SECONDS: '30', SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: '300' });
    expect(variables).not.toHaveProperty('WRITE_LEASE_TABLE');
    const dynamodb = orchestrator.statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb).toHaveLength(1);
    expect(JSON.stringify(dynamodb[0].Resource)).toContain('FailoverStateTable');
    expect(JSON.stringify(orchestrator.statements)).not.toContain('write-lease');
  });

  it('still routes the writer name by the failed-over signals and triggers on the same composite alarm', () => {
    const route53 = Template.fromStack(manual.route53Failover);
    const check = (failover: string) => {
      const record = propertiesOf(route53, 'AWS::Route53::RecordSet', { Failover: failover });
      return route53.findResources('AWS::Route53::HealthCheck')[(record.HealthCheckId as Json)['Fn::GetAtt'][0]].Properties.HealthCheckConfig.AlarmIdentifier;
    };
    expect(check('PRIMARY')).toEqual({ Name: 'paydb-failed-over-mc', Region: 'eu-central-1' });
    expect(check('SECONDARY')).toEqual({ Name: 'paydb-not-failed-over-mc', Region: 'eu-central-1' });
    propertiesOf(Template.fromStack(manual.drMonitoring), 'AWS::CloudWatch::CompositeAlarm', { AlarmName: 'paydb-primary-region-failed-mc' });
  });
});
