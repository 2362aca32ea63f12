import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage, crossRegionSource, findOne, importedFrom, propertiesOf, referencedLogicalId, testConfig } from '../support/dr-stage';
import { Json, actionsOf, allPolicyActions, grantsOf, instanceArn, synthesizedFunction } from '../monitoring/function-template';

const stage = buildStage(testConfig());
const orchestration = Template.fromStack(stage.failoverOrchestration);
const route53 = Template.fromStack(stage.route53Failover);
const monitoring = Template.fromStack(stage.drMonitoring);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);

const orchestrator = synthesizedFunction(orchestration, 'paydb-failover-orchestrator-dev');
const variables = orchestrator.properties.Environment.Variables as Json;
const drKeyArn = { 'Fn::GetAtt': [findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId, 'Arn'] };
const stateTable = findOne(dr, 'AWS::DynamoDB::Table', { TableName: 'paydb-failover-state-dev' });
const alertTopic = { Ref: findOne(dr, 'AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' }).logicalId };
const zoneRef = { Ref: findOne(route53, 'AWS::Route53::HostedZone', { Name: 'db.paydb-dev.internal.' }).logicalId };
const zoneArn = (resource: Json) => {
  const [, [prefix, partition, path, zoneId]] = resource['Fn::Join'];
  return { prefix, partition, path, zone: importedFrom(zoneId, route53) };
};
const expectedZoneArn = { prefix: 'arn:', partition: { Ref: 'AWS::Partition' }, path: ':route53:::hostedzone/', zone: zoneRef };

describe('failover orchestrator function', () => {
  it('runs 15 minutes at most, two at a time, traced, in the DR function subnets', () => {
    expect(orchestrator.properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 900, ReservedConcurrentExecutions: 2, TracingConfig: { Mode: 'Active' } });
    expect(orchestrator.properties.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [findOne(orchestration, 'AWS::SQS::Queue', { QueueName: 'paydb-failover-orchestrator-dev-dlq' }).logicalId, 'Arn'] });
    const functionSubnets = Object.keys(dr.findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'functions' }]) } }));
    expect(orchestrator.properties.VpcConfig.SubnetIds.map((id: unknown) => importedFrom(id, dr))).toEqual(functionSubnets.map((id) => ({ Ref: id })));
  });

  it('gets the common and orchestrator-only environment', () => {
    expect(variables).toMatchObject({
      ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', DR_REGION: 'us-east-2',
      PRIMARY_DB_INSTANCE_ID: 'paydb-primary-db-dev', REPLICA_DB_INSTANCE_ID: 'paydb-dr-replica-db-dev', DB_PORT: '5432', DB_NAME: 'payments',
      DB_SECRET_ARN: 'paydb-db-credentials-dev', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      WRITER_RECORD_NAME: 'writer.db.paydb-dev.internal', MAX_PROMOTION_LAG_SECONDS: '300', PROMOTION_TIMEOUT_SECONDS: '780',
    });
    expect(importedFrom(variables.ALERT_TOPIC_ARN, dr)).toEqual(alertTopic);
    expect(importedFrom(variables.FAILOVER_STATE_TABLE, dr)).toEqual({ Ref: stateTable.logicalId });
    expect(importedFrom(variables.HOSTED_ZONE_ID, route53)).toEqual(zoneRef);
  });

  it('fails over automatically under the write lease: the lease table, its timings, the switchover catch-up bound and the primary\'s parameter group', () => {
    expect(variables).toMatchObject({
      FAILOVER_MODE: 'automatic',
      WRITE_LEASE_TABLE: 'paydb-write-lease-dev',
      LEASE_TAKEOVER_MARGIN_SECONDS: '30',
      SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: '300',
      PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-db-dev-params',
    });
    // The names are those of the synthesized resources.
    expect(variables.WRITE_LEASE_TABLE).toBe(propertiesOf(Template.fromStack(stage.drDatabase), 'AWS::DynamoDB::GlobalTable').TableName);
    const primaryParameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[
      referencedLogicalId(propertiesOf(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).DBParameterGroupName)];
    expect(variables.PRIMARY_DB_PARAMETER_GROUP).toBe(primaryParameterGroup.Properties.DBParameterGroupName);
  });

  it('pins the record whose SetIdentifier is the PRIMARY writer record\'s', () => {
    const primaryRecord = propertiesOf(route53, 'AWS::Route53::RecordSet', { Failover: 'PRIMARY' });
    expect(variables.PRIMARY_RECORD_SET_ID).toBe(primaryRecord.SetIdentifier);
    expect(variables.WRITER_RECORD_NAME).toBe(primaryRecord.Name);
  });

  it('fences with the deny-all security group of the primary VPC (cross-region reference)', () => {
    const fenceId = findOne(primary, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Deny-all') }).logicalId;
    expect(crossRegionSource(variables.FENCE_SECURITY_GROUP_ID, orchestration, primary)).toEqual({ 'Fn::GetAtt': [fenceId, 'GroupId'] });
    const primaryInstanceId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;
    expect(crossRegionSource(variables.PRIMARY_DB_ENDPOINT, orchestration, primary)).toEqual({ 'Fn::GetAtt': [primaryInstanceId, 'Endpoint.Address'] });
  });
});

describe('failover orchestrator permissions', () => {
  it('may promote only the DR replica', () => {
    expect(grantsOf(orchestrator.statements, 'rds:PromoteReadReplica')).toEqual([
      { Action: 'rds:PromoteReadReplica', Resource: instanceArn('us-east-2', 'paydb-dr-replica-db-dev') },
    ]);
  });

  it('may modify and stop only the old primary', () => {
    const fence = { Action: ['rds:ModifyDBInstance', 'rds:StopDBInstance'], Resource: instanceArn('us-east-1', 'paydb-primary-db-dev') };
    expect(grantsOf(orchestrator.statements, 'rds:ModifyDBInstance')).toEqual([fence]);
    expect(grantsOf(orchestrator.statements, 'rds:StopDBInstance')).toEqual([fence]);
  });

  it('may change only the writer record of the failover zone, and only by UPSERT', () => {
    const [change, ...others] = grantsOf(orchestrator.statements, 'route53:ChangeResourceRecordSets');
    expect(others).toEqual([]);
    expect(change.Action).toBe('route53:ChangeResourceRecordSets');
    expect(zoneArn(change.Resource as Json)).toEqual(expectedZoneArn);
    expect(change.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['writer.db.paydb-dev.internal'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    const [list] = grantsOf(orchestrator.statements, 'route53:ListResourceRecordSets');
    expect(zoneArn(list.Resource as Json)).toEqual(expectedZoneArn);
  });

  it('may publish only to the DR alert topic, through the DR key via SNS', () => {
    const [publish, ...others] = grantsOf(orchestrator.statements, 'sns:Publish');
    expect(others).toEqual([]);
    expect(importedFrom(publish.Resource, dr)).toEqual(alertTopic);
    // The DR key encrypts the topic, the state table and the dead-letter queue: each use only through its service.
    // The state table and the DR replica of the write lease share one grant: same key, same service.
    const keyGrants = grantsOf(orchestrator.statements, 'kms:GenerateDataKey');
    expect(keyGrants.map((grant) => grant.Condition?.StringEquals['kms:ViaService']).sort()).toEqual([
      'dynamodb.us-east-2.amazonaws.com', 'sns.us-east-2.amazonaws.com', 'sqs.us-east-2.amazonaws.com',
    ]);
    for (const grant of keyGrants) expect(importedFrom(grant.Resource, dr)).toEqual(drKeyArn);
  });

  it('may get, put and update items of the failover state table, and only get and (conditionally) put the write lease in the DR region', () => {
    const dynamodb = orchestrator.statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb.map((statement) => statement.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem'], ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(dynamodb[0].Resource).toBe('arn:aws:dynamodb:us-east-2:123456789012:table/paydb-write-lease-dev');
    expect(importedFrom(dynamodb[1].Resource, dr)).toEqual({ 'Fn::GetAtt': [stateTable.logicalId, 'Arn'] });
  });

  it('may change only the primary\'s own parameter group (planned switchover: the write freeze)', () => {
    expect(grantsOf(orchestrator.statements, 'rds:ModifyDBParameterGroup')).toEqual([{
      Action: 'rds:ModifyDBParameterGroup',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:us-east-1:123456789012:pg:paydb-primary-db-dev-params']] },
    }]);
  });

  it('has exactly the expected actions and no wildcard action anywhere in the stack', () => {
    expect(orchestrator.statements.flatMap(actionsOf).sort()).toEqual([
      'cloudwatch:GetMetricData', 'cloudwatch:PutMetricData', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
      'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey', 'kms:GenerateDataKey',
      'rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:ModifyDBParameterGroup', 'rds:PromoteReadReplica',
      'rds:StopDBInstance', 'route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'secretsmanager:GetSecretValue',
      'sns:Publish', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    expect(allPolicyActions(orchestration).filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('failover trigger and resume rules', () => {
  it('starts the orchestrator when the composite alarm enters ALARM, with retries and a dead-letter queue', () => {
    const rule = propertiesOf(orchestration, 'AWS::Events::Rule', { Name: 'paydb-failover-trigger-dev' });
    const compositeId = findOne(monitoring, 'AWS::CloudWatch::CompositeAlarm', { AlarmName: 'paydb-primary-region-failed-dev' }).logicalId;
    const { resources, ...pattern } = rule.EventPattern as Json;
    expect(pattern).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } });
    expect(resources.map((resource: unknown) => importedFrom(resource, monitoring))).toEqual([{ 'Fn::GetAtt': [compositeId, 'Arn'] }]);
    const undelivered = findOne(orchestration, 'AWS::SQS::Queue', { QueueName: 'paydb-failover-orchestrator-dev-undelivered' });
    expect(rule.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 4 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [undelivered.logicalId, 'Arn'] } },
    })]);
    expect(importedFrom((undelivered.resource.Properties as Json).KmsMasterKeyId, dr)).toEqual(drKeyArn);
  });

  it('resumes a pending failover every 5 minutes with {"action":"resume"}', () => {
    const rule = propertiesOf(orchestration, 'AWS::Events::Rule', { Name: 'paydb-failover-orchestrator-dev-resume' });
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] }, Input: '{"action":"resume"}' })]);
  });

  it('lets EventBridge invoke the orchestrator only from these two rules', () => {
    const permissions = Object.values(orchestration.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] } },
    })) as Json[];
    const ruleIds = permissions.map((permission) => {
      expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
      return permission.Properties.SourceArn['Fn::GetAtt'][0];
    });
    expect(ruleIds.sort()).toEqual(Object.keys(orchestration.findResources('AWS::Events::Rule')).sort());
  });
});

describe('failover state table', () => {
  it('has the string key pk, on-demand billing, SSE with the DR key, PITR, and is deleted with the stack', () => {
    expect(stateTable.resource.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: drKeyArn },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(stateTable.resource.DeletionPolicy).toBe('Delete');
  });
});
