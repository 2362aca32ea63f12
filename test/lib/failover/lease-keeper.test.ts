import { Match, Template } from 'aws-cdk-lib/assertions';
import { KEEPER_RUN_SECONDS } from '../../../lib/config/dr-config';
import { buildStage, findOne, importedFrom, pointsAt, propertiesOf, referencedLogicalId, TEST_ACCOUNT, testConfig } from '../support/dr-stage';
import { Json, actionsOf, allPolicyActions, grantsOf, instanceArn, synthesizedFunction } from '../monitoring/function-template';

const stage = buildStage(testConfig());
const primary = Template.fromStack(stage.primaryRegion);
const keeperStack = Template.fromStack(stage.primaryLeaseKeeper!);
const keeper = synthesizedFunction(keeperStack, 'paydb-lease-keeper-dev');
/** The keeper's stack refers to the primary region's resources through same-region exports. */
const fromPrimary = (value: unknown) => importedFrom(value, primary);
const variables = keeper.properties.Environment.Variables as Json;

const primaryKeyArn = { 'Fn::GetAtt': [findOne(primary, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('primary-region') }).logicalId, 'Arn'] };
const database = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });
const databaseProperties = database.resource.Properties as Json;
const databaseGroupId = referencedLogicalId(databaseProperties.VPCSecurityGroups[0]);
const fenceGroupId = findOne(primary, 'AWS::EC2::SecurityGroup', { GroupName: 'paydb-primary-db-fence-dev' }).logicalId;
const keeperGroupId = referencedLogicalId(keeper.properties.VpcConfig.SecurityGroupIds[0]);
const secretId = findOne(primary, 'AWS::SecretsManager::Secret', { Name: 'paydb-db-credentials-dev' }).logicalId;
const topicId = findOne(primary, 'AWS::SNS::Topic', { TopicName: 'paydb-primary-alerts-dev' }).logicalId;
const parameterGroupArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:us-east-1:${TEST_ACCOUNT}:pg:paydb-primary-db-dev-params`]] };

describe('lease keeper function (PrimaryLeaseKeeperStack, primary region)', () => {
  it('exists only in its own stack, in the primary region, deployed after the write lease table (DRDatabaseStack)', () => {
    // A keeper that ran before its table existed could not renew and would fence the live primary.
    expect(stage.primaryLeaseKeeper!.region).toBe('us-east-1');
    expect(stage.primaryLeaseKeeper!.dependencies).toEqual(expect.arrayContaining([stage.drDatabase, stage.primaryRegion]));
    for (const other of [stage.primaryRegion, stage.drRegion, stage.drDatabase, stage.drMonitoring, stage.route53Failover, stage.failoverOrchestration, stage.drDrill]) {
      expect(Template.fromStack(other).findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'paydb-lease-keeper-dev' } })).toEqual({});
    }
  });

  it('runs at most 100 s, one at a time, traced, with an encrypted dead-letter queue', () => {
    expect(keeper.properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 100, ReservedConcurrentExecutions: 1, TracingConfig: { Mode: 'Active' } });
    const queue = findOne(keeperStack, 'AWS::SQS::Queue', { QueueName: 'paydb-lease-keeper-dev-dlq' });
    expect(keeper.properties.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [queue.logicalId, 'Arn'] });
    expect(fromPrimary((queue.resource.Properties as Json).KmsMasterKeyId)).toEqual(primaryKeyArn);
  });

  it('runs in the primary VPC\'s function subnets', () => {
    const functionSubnets = Object.keys(primary.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'functions' }]) },
    })).sort();
    expect(functionSubnets).toHaveLength(2);
    expect(keeper.properties.VpcConfig.SubnetIds.map(fromPrimary)).toEqual(functionSubnets.map((id) => ({ Ref: id })));
  });

  it('gets exactly the environment of its contract', () => {
    const expectedNames = [
      'ENVIRONMENT_SUFFIX', 'METRIC_NAMESPACE', 'PRIMARY_REGION', 'PRIMARY_DB_INSTANCE_ID', 'PRIMARY_DB_ENDPOINT', 'DB_PORT', 'DB_NAME', 'DB_SECRET_ARN',
      'PRIMARY_DB_PARAMETER_GROUP', 'PRIMARY_DB_SECURITY_GROUP_ID', 'FENCE_SECURITY_GROUP_ID', 'WRITE_LEASE_TABLE', 'ALERT_TOPIC_ARN', 'RUNBOOK_URL',
      'LEASE_TTL_SECONDS', 'LEASE_RENEW_INTERVAL_SECONDS', 'LEASE_FENCE_BUDGET_SECONDS', 'KEEPER_RUN_SECONDS',
      // Set by every DrFunction.
      'NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME',
    ];
    expect(Object.keys(variables).sort()).toEqual(expectedNames.sort());
    expect(variables).toMatchObject({
      ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', PRIMARY_DB_INSTANCE_ID: 'paydb-primary-db-dev',
      DB_PORT: '5432', DB_NAME: 'payments', DB_SECRET_ARN: 'paydb-db-credentials-dev', PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-db-dev-params',
      WRITE_LEASE_TABLE: 'paydb-write-lease-dev', LEASE_TTL_SECONDS: '45', LEASE_RENEW_INTERVAL_SECONDS: '10', LEASE_FENCE_BUDGET_SECONDS: '15',
      KEEPER_RUN_SECONDS: '55',
    });
    expect(KEEPER_RUN_SECONDS).toBe(55);
  });

  it('points at the primary region stack\'s resources: endpoint, the database\'s own group, the fence group, the topic, the parameter group', () => {
    expect(fromPrimary(variables.PRIMARY_DB_ENDPOINT)).toEqual({ 'Fn::GetAtt': [database.logicalId, 'Endpoint.Address'] });
    expect(fromPrimary(variables.PRIMARY_DB_SECURITY_GROUP_ID)).toEqual({ 'Fn::GetAtt': [databaseGroupId, 'GroupId'] });
    expect(fromPrimary(variables.FENCE_SECURITY_GROUP_ID)).toEqual({ 'Fn::GetAtt': [fenceGroupId, 'GroupId'] });
    expect(fromPrimary(variables.ALERT_TOPIC_ARN)).toEqual({ Ref: topicId });
    const parameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(databaseProperties.DBParameterGroupName)];
    expect(parameterGroup.Properties.DBParameterGroupName).toBe(variables.PRIMARY_DB_PARAMETER_GROUP);
    expect(variables.WRITE_LEASE_TABLE).toBe(propertiesOf(Template.fromStack(stage.drDatabase), 'AWS::DynamoDB::GlobalTable').TableName);
  });

  it('takes its lease timings from the configuration', () => {
    const custom = buildStage(testConfig({ leaseTtlSeconds: '60', leaseRenewIntervalSeconds: '5', leaseFenceBudgetSeconds: '20' }));
    const customKeeper = synthesizedFunction(Template.fromStack(custom.primaryLeaseKeeper!), 'paydb-lease-keeper-dev');
    expect(customKeeper.properties.Environment.Variables).toMatchObject({ LEASE_TTL_SECONDS: '60', LEASE_RENEW_INTERVAL_SECONDS: '5', LEASE_FENCE_BUDGET_SECONDS: '20' });
  });

  it('is started every minute by its schedule, with no retries, and Lambda neither retries a run nor keeps one older than a minute', () => {
    const rule = propertiesOf(keeperStack, 'AWS::Events::Rule', { Name: 'paydb-lease-keeper-dev-schedule' });
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [keeper.logicalId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]);
    expect(propertiesOf(keeperStack, 'AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: keeper.logicalId } })).toMatchObject({
      MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60, Qualifier: '$LATEST',
    });
  });
});

describe('lease keeper permissions', () => {
  it('may get and put only the primary-region replica of the write lease, through the primary key via DynamoDB in that region', () => {
    expect(grantsOf(keeper.statements, 'dynamodb:PutItem')).toEqual([{
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/paydb-write-lease-dev`,
    }]);
    expect(grantsOf(keeper.statements, 'kms:GenerateDataKey').filter((grant) => grant.Condition?.StringEquals['kms:ViaService'] === 'dynamodb.us-east-1.amazonaws.com')
      .map((grant) => ({ ...grant, Resource: fromPrimary(grant.Resource) }))).toEqual([{
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: primaryKeyArn, Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } },
    }]);
  });

  it('may read only the primary region\'s secret, decrypting it only through Secrets Manager', () => {
    expect(grantsOf(keeper.statements, 'secretsmanager:GetSecretValue').map((grant) => ({ ...grant, Resource: fromPrimary(grant.Resource) })))
      .toEqual([{ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } }]);
  });

  it('may describe and modify only the primary instance (the instance ARN alone scopes the security-group change)', () => {
    const fence = { Action: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], Resource: instanceArn('us-east-1', 'paydb-primary-db-dev') };
    expect(grantsOf(keeper.statements, 'rds:ModifyDBInstance')).toEqual([fence]);
    expect(grantsOf(keeper.statements, 'rds:DescribeDBInstances')).toEqual([fence]);
  });

  it('may change only the primary\'s own parameter group (and reads none: the keeper never sends DescribeDBParameters)', () => {
    expect(grantsOf(keeper.statements, 'rds:ModifyDBParameterGroup')).toEqual([{ Action: 'rds:ModifyDBParameterGroup', Resource: parameterGroupArn }]);
    expect(grantsOf(keeper.statements, 'rds:DescribeDBParameters')).toEqual([]);
  });

  it('may publish only to the primary alert topic; uses the primary key only through DynamoDB, Secrets Manager, SNS and SQS of its region', () => {
    expect(grantsOf(keeper.statements, 'sns:Publish').map((grant) => ({ ...grant, Resource: fromPrimary(grant.Resource) }))).toEqual([{ Action: 'sns:Publish', Resource: { Ref: topicId } }]);
    const decrypt = grantsOf(keeper.statements, 'kms:Decrypt');
    expect(decrypt.map((grant) => grant.Condition?.StringEquals['kms:ViaService']).sort()).toEqual([
      'dynamodb.us-east-1.amazonaws.com', 'secretsmanager.us-east-1.amazonaws.com', 'sns.us-east-1.amazonaws.com', 'sqs.us-east-1.amazonaws.com',
    ]);
    for (const grant of decrypt) expect(fromPrimary(grant.Resource)).toEqual(primaryKeyArn);
  });

  it('may put metrics only into the PaymentsDR namespace', () => {
    expect(grantsOf(keeper.statements, 'cloudwatch:PutMetricData')).toEqual([{
      Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'PaymentsDR' } },
    }]);
  });

  it('has exactly the expected actions and no wildcard action anywhere in the stack', () => {
    expect(keeper.statements.flatMap(actionsOf).sort()).toEqual([
      'cloudwatch:PutMetricData', 'dynamodb:GetItem', 'dynamodb:PutItem',
      'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey', 'kms:GenerateDataKey',
      'rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:ModifyDBParameterGroup',
      'secretsmanager:GetSecretValue', 'sns:Publish', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    expect(allPolicyActions(keeperStack).filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('lease keeper network', () => {
  // The rules between the keeper's group and the primary's groups live in the keeper's stack (CDK puts them there: no cycle).
  const standalone = (type: string) => Object.values(keeperStack.findResources(type)).map((rule) => rule.Properties as Json);

  it('may open HTTPS to AWS APIs and PostgreSQL only to the primary database\'s group and the fence group', () => {
    const inlineEgress = keeperStack.findResources('AWS::EC2::SecurityGroup')[keeperGroupId].Properties.SecurityGroupEgress as Json[];
    expect(inlineEgress.map(({ IpProtocol, FromPort, ToPort, CidrIp }) => `${IpProtocol} ${FromPort}-${ToPort} ${CidrIp}`)).toEqual(['tcp 443-443 0.0.0.0/0']);
    const egress = standalone('AWS::EC2::SecurityGroupEgress').filter((rule) => pointsAt(rule.GroupId, keeperGroupId));
    expect(egress.map(({ IpProtocol, FromPort, ToPort, DestinationSecurityGroupId }) => ({ IpProtocol, FromPort, ToPort, to: referencedLogicalId(fromPrimary(DestinationSecurityGroupId)) }))
      .sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, to: databaseGroupId },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, to: fenceGroupId },
    ].sort((a, b) => a.to.localeCompare(b.to)));
  });

  it('is admitted by the primary database\'s own group and by the fence group, by one rule each', () => {
    const ingress = standalone('AWS::EC2::SecurityGroupIngress');
    const from = (groupId: string) => ingress.filter((rule) => pointsAt(fromPrimary(rule.GroupId), groupId))
      .map(({ IpProtocol, FromPort, ToPort, SourceSecurityGroupId, CidrIp }) => ({ IpProtocol, FromPort, ToPort, source: SourceSecurityGroupId, CidrIp }));
    const keeperRule = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, source: { 'Fn::GetAtt': [keeperGroupId, 'GroupId'] }, CidrIp: undefined };
    expect(from(databaseGroupId)).toEqual([keeperRule]);
    expect(from(fenceGroupId)).toEqual([keeperRule]);
  });
});

describe('lease keeper alarms (primary region)', () => {
  const alarm = (name: string) => findOne(keeperStack, 'AWS::CloudWatch::Alarm', { AlarmName: name }).resource.Properties as Json;
  const keeperMetric = { Namespace: 'PaymentsDR', Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }], Period: 60 };

  it('alarms when the keeper did not hold the lease for 3 minutes, and when it did not run at all (missing data breaches)', () => {
    expect(alarm('paydb-lease-keeper-not-holding-dev')).toMatchObject({
      ...keeperMetric, MetricName: 'WriteLeaseHeld', Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'breaching',
    });
  });

  it('alarms as soon as the keeper reports its primary fenced', () => {
    expect(alarm('paydb-primary-self-fenced-dev')).toMatchObject({
      ...keeperMetric, MetricName: 'PrimarySelfFenced', Statistic: 'Maximum', Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching',
    });
  });

  it('alerts through the primary region\'s topic on ALARM and on OK', () => {
    for (const name of ['paydb-lease-keeper-not-holding-dev', 'paydb-primary-self-fenced-dev']) {
      const properties = alarm(name);
      for (const actions of [properties.AlarmActions, properties.OKActions]) expect(actions.map(fromPrimary)).toEqual([{ Ref: topicId }]);
    }
  });
});
