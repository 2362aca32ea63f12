import { Match, Template } from 'aws-cdk-lib/assertions';
import { MonitorMetric } from '../../../functions/core/metric-names';
import { drResourceNames } from '../../../lib/config/resource-names';
import { buildStage, crossRegionSource, findOne, importedFrom, propertiesOf, testConfig } from '../support/dr-stage';
import { Json, actionsOf, allPolicyActions, grantsOf, instanceArn, synthesizedFunction } from './function-template';

const config = testConfig();
const names = drResourceNames(config);
const stage = buildStage(config);
const monitoring = Template.fromStack(stage.drMonitoring);
const dr = Template.fromStack(stage.drRegion);
const primary = Template.fromStack(stage.primaryRegion);
const drDatabase = Template.fromStack(stage.drDatabase);

const monitor = synthesizedFunction(monitoring, 'paydb-replication-monitor-dev');
const drKeyArn = { 'Fn::GetAtt': [findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId, 'Arn'] };
const stateTableId = findOne(dr, 'AWS::DynamoDB::Table', { TableName: 'paydb-failover-state-dev' }).logicalId;
const alertTopic = { Ref: findOne(dr, 'AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' }).logicalId };

describe('replication monitor function', () => {
  it('is a Node.js 24 function with tracing, reserved concurrency 1 and an encrypted dead-letter queue', () => {
    expect(monitor.properties).toMatchObject({ Runtime: 'nodejs24.x', ReservedConcurrentExecutions: 1, TracingConfig: { Mode: 'Active' } });
    const queue = monitoring.findResources('AWS::SQS::Queue')[monitor.properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0]];
    expect(queue.Properties.QueueName).toBe('paydb-replication-monitor-dev-dlq');
    expect(importedFrom(queue.Properties.KmsMasterKeyId, dr)).toEqual(drKeyArn);
  });

  it('runs in the DR VPC function subnets (private with egress)', () => {
    const functionSubnets = Object.keys(dr.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'functions' }, { Key: 'aws-cdk:subnet-type', Value: 'Private' }]) },
    })).sort();
    expect(functionSubnets).toHaveLength(2);
    const subnets = monitor.properties.VpcConfig.SubnetIds.map((id: unknown) => importedFrom(id, dr));
    expect(subnets).toEqual(functionSubnets.map((id) => ({ Ref: id })));
  });

  it('gets the documented environment: literals from the config, endpoints and table by reference', () => {
    const variables = monitor.properties.Environment.Variables as Json;
    expect(variables).toMatchObject({
      ENVIRONMENT_SUFFIX: 'dev',
      METRIC_NAMESPACE: 'PaymentsDR',
      PRIMARY_REGION: 'us-east-1',
      DR_REGION: 'us-east-2',
      PRIMARY_DB_INSTANCE_ID: 'paydb-primary-db-dev',
      REPLICA_DB_INSTANCE_ID: 'paydb-dr-replica-db-dev',
      DB_PORT: '5432',
      DB_NAME: 'payments',
      DB_SECRET_ARN: 'paydb-db-credentials-dev',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    });
    const primaryInstanceId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;
    expect(crossRegionSource(variables.PRIMARY_DB_ENDPOINT, monitoring, primary)).toEqual({ 'Fn::GetAtt': [primaryInstanceId, 'Endpoint.Address'] });
    const replicaId = findOne(drDatabase, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' }).logicalId;
    expect(importedFrom(variables.REPLICA_DB_ENDPOINT, drDatabase)).toEqual({ 'Fn::GetAtt': [replicaId, 'Endpoint.Address'] });
    expect(importedFrom(variables.FAILOVER_STATE_TABLE, dr)).toEqual({ Ref: stateTableId });
  });

  it('is started every minute by its schedule rule, with no retries', () => {
    const rule = propertiesOf(monitoring, 'AWS::Events::Rule', { Name: 'paydb-replication-monitor-dev-schedule' });
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [monitor.logicalId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]);
  });

  it('may describe only the two database instances (whatever pair the failover state names: a re-protection keeps the configured names)', () => {
    expect(grantsOf(monitor.statements, 'rds:DescribeDBInstances')).toEqual([{
      Action: 'rds:DescribeDBInstances',
      Resource: [instanceArn('us-east-1', 'paydb-primary-db-dev'), instanceArn('us-east-2', 'paydb-dr-replica-db-dev')],
    }]);
  });

  it('may read only the DR-region replica of the database secret, and use the DR key only through its services', () => {
    expect(grantsOf(monitor.statements, 'secretsmanager:GetSecretValue')).toEqual([{
      Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:paydb-db-credentials-dev-??????',
    }]);
    // Secret replica, state table and dead-letter queue are encrypted with the DR key.
    const decrypt = grantsOf(monitor.statements, 'kms:Decrypt');
    expect(decrypt.map((grant) => grant.Condition?.StringEquals['kms:ViaService']).sort()).toEqual([
      'dynamodb.us-east-2.amazonaws.com', 'secretsmanager.us-east-2.amazonaws.com', 'sqs.us-east-2.amazonaws.com',
    ]);
    for (const grant of decrypt) expect(importedFrom(grant.Resource, dr)).toEqual(drKeyArn);
  });

  it('may only GetItem on the failover state table', () => {
    const dynamodb = monitor.statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb.map((statement) => statement.Action)).toEqual(['dynamodb:GetItem']);
    expect(importedFrom(dynamodb[0].Resource, dr)).toEqual({ 'Fn::GetAtt': [stateTableId, 'Arn'] });
  });

  it('may put metrics only into the PaymentsDR namespace', () => {
    expect(grantsOf(monitor.statements, 'cloudwatch:PutMetricData')).toEqual([{
      Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'PaymentsDR' } },
    }]);
  });

  it('has exactly the expected actions and no wildcard action anywhere in the stack', () => {
    expect(monitor.statements.flatMap(actionsOf).sort()).toEqual([
      'cloudwatch:PutMetricData', 'dynamodb:GetItem', 'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey',
      'rds:DescribeDBInstances', 'secretsmanager:GetSecretValue',
      'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    expect(allPolicyActions(monitoring).filter((action) => action.includes('*'))).toEqual([]);
  });

  it('may open only HTTPS and PostgreSQL to the two VPC CIDRs', () => {
    const groupId = monitor.properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const egress = monitoring.findResources('AWS::EC2::SecurityGroup')[groupId].Properties.SecurityGroupEgress as Json[];
    expect(egress.map(({ IpProtocol, FromPort, ToPort, CidrIp }) => `${IpProtocol} ${FromPort}-${ToPort} ${CidrIp}`).sort()).toEqual([
      'tcp 443-443 0.0.0.0/0', 'tcp 5432-5432 10.10.0.0/16', 'tcp 5432-5432 10.20.0.0/16',
    ]);
    expect(monitoring.findResources('AWS::EC2::SecurityGroupEgress')).toEqual({});
  });
});

const alarmNamed = (alarmName: string) => propertiesOf(monitoring, 'AWS::CloudWatch::Alarm', { AlarmName: alarmName });
const metricOf = (metricName: string) => ({ Namespace: 'PaymentsDR', MetricName: metricName, Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }], Period: 60 });

describe('monitor alarms', () => {
  it('creates exactly the alarms of the names table', () => {
    const { primaryRegionFailed, ...metricAlarms } = names.alarms;
    const alarmNames = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties.AlarmName);
    expect(alarmNames.sort()).toEqual(Object.values(metricAlarms).sort());
    expect(propertiesOf(monitoring, 'AWS::CloudWatch::CompositeAlarm').AlarmName).toBe(primaryRegionFailed);
  });

  // The synthetic drill requires every listed alarm to exist.
  it('lists for the synthetic drill only alarms that exist', () => {
    const drillFunction = propertiesOf(Template.fromStack(stage.drDrill), 'AWS::Lambda::Function', { FunctionName: 'paydb-synthetic-drill-dev' });
    const existing = [
      ...Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')), ...Object.values(monitoring.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map((alarm) => alarm.Properties.AlarmName);
    const listed = (drillFunction.Environment as Json).Variables.ESTATE_ALARM_NAMES.split(',');
    expect(listed.filter((alarmName: string) => !existing.includes(alarmName))).toEqual([]);
  });

  it('alerts when the replication lag exceeds 300 s (Maximum over one period)', () => {
    expect(alarmNamed('paydb-replication-lag-dev')).toMatchObject({
      ...metricOf('ReplicationLagSeconds'), Statistic: 'Maximum', Threshold: 300, ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1, TreatMissingData: 'missing',
    });
  });

  it.each([
    ['paydb-primary-unreachable-dev', 'PrimaryReachable'],
    ['paydb-replica-unreachable-dev', 'ReplicaReachable'],
    ['paydb-primary-not-available-dev', 'PrimaryAvailable'],
    ['paydb-replica-not-available-dev', 'ReplicaAvailable'],
  ])('%s fires when %s stays below 1 for unreachableEvaluationPeriods periods, missing data breaching', (alarmName, metricName) => {
    expect(config.monitoring.unreachableEvaluationPeriods).toBe(3);
    expect(alarmNamed(alarmName)).toMatchObject({
      ...metricOf(metricName), Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'breaching',
    });
  });

  it('counts monitor errors from the function\'s own metric and from Lambda invocation errors', () => {
    const alarm = alarmNamed('paydb-monitor-errors-dev');
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'FILL(probeErrors, 0) + FILL(invocationErrors, 0)', ReturnData: true },
      { Id: 'probeErrors', ReturnData: false, MetricStat: { Stat: 'Sum', Period: 60, Metric: { Namespace: 'PaymentsDR', MetricName: 'MonitorErrors', Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }] } } },
      { Id: 'invocationErrors', ReturnData: false, MetricStat: { Stat: 'Sum', Period: 60, Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: monitor.logicalId } }] } } },
    ]);
  });

  it('keeps the failed-over state when data is missing (sticky)', () => {
    expect(alarmNamed('paydb-failed-over-dev')).toMatchObject({
      ...metricOf('FailedOver'), Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1, TreatMissingData: 'ignore',
    });
  });

  it('fires on evidence that the primary is down only when RDS says so for unreachableEvaluationPeriods periods; missing data is no evidence', () => {
    for (const [alarmName, metricName] of [
      ['paydb-primary-failed-state-dev', MonitorMetric.PrimaryFailedState],
      ['paydb-primary-api-unreachable-dev', MonitorMetric.PrimaryApiUnreachable],
    ]) {
      expect(alarmNamed(alarmName)).toEqual(expect.objectContaining({
        ...metricOf(metricName), Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching',
      }));
    }
  });

  it('not-failed-over mirrors failed-over on the same metric (ALARM until FailedOver=1), keeps its state without data and alerts nobody', () => {
    const notFailedOver = alarmNamed('paydb-not-failed-over-dev');
    expect(notFailedOver).toMatchObject({
      ...metricOf('FailedOver'), Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1, TreatMissingData: 'ignore',
    });
    const failedOver = alarmNamed('paydb-failed-over-dev');
    for (const property of ['Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'Threshold', 'EvaluationPeriods', 'TreatMissingData']) {
      expect(notFailedOver[property]).toEqual(failedOver[property]);
    }
    expect(notFailedOver).not.toHaveProperty('AlarmActions');
    expect(notFailedOver).not.toHaveProperty('OKActions');
  });

  it('reads only metrics the runtime publishes (MonitorMetric), besides Lambda\'s own Errors', () => {
    const published: string[] = Object.values(MonitorMetric);
    for (const alarm of Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')) as Json[]) {
      const metricNames = alarm.Properties.MetricName !== undefined
        ? [alarm.Properties.MetricName]
        : (alarm.Properties.Metrics as Json[]).filter((query) => query.MetricStat?.Metric.Namespace === 'PaymentsDR').map((query) => query.MetricStat.Metric.MetricName);
      expect(metricNames.length).toBeGreaterThan(0);
      for (const metricName of metricNames) expect(published).toContain(metricName);
    }
  });

  it('sends ALARM and OK of every alarm but not-failed-over, the composite included, to the DR alert topic', () => {
    const alarms = [
      ...Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(monitoring.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].filter((alarm) => alarm.Properties.AlarmName !== 'paydb-not-failed-over-dev');
    expect(alarms).toHaveLength(11);
    for (const { Properties } of alarms) {
      expect(Properties.AlarmActions.map((action: unknown) => importedFrom(action, dr))).toEqual([alertTopic]);
      expect(Properties.OKActions.map((action: unknown) => importedFrom(action, dr))).toEqual([alertTopic]);
    }
  });

  const arnOf = (alarmName: string) => ({ 'Fn::GetAtt': [findOne(monitoring, 'AWS::CloudWatch::Alarm', { AlarmName: alarmName }).logicalId, 'Arn'] });
  const compositeRule = propertiesOf(monitoring, 'AWS::CloudWatch::CompositeAlarm', { AlarmName: 'paydb-primary-region-failed-dev' }).AlarmRule as Json;

  it('declares the primary region failed only on primary unreachable AND (RDS API unreachable OR failed state) AND NOT replica unreachable AND NOT failed over', () => {
    expect(compositeRule).toEqual({
      'Fn::Join': ['', [
        '(ALARM("', arnOf('paydb-primary-unreachable-dev'),
        '") AND (ALARM("', arnOf('paydb-primary-api-unreachable-dev'),
        '") OR ALARM("', arnOf('paydb-primary-failed-state-dev'),
        '")) AND (NOT (ALARM("', arnOf('paydb-replica-unreachable-dev'),
        '"))) AND (NOT (ALARM("', arnOf('paydb-failed-over-dev'),
        '"))))',
      ]],
    });
  });

  it('defect 2: lets no routine RDS state complete the composite: none of its alarms reads PrimaryRoutineState or PrimaryAvailable', () => {
    const childIds = (compositeRule['Fn::Join'][1] as unknown[]).filter((part): part is Json => typeof part === 'object').map((part) => part['Fn::GetAtt'][0]);
    const alarms = monitoring.findResources('AWS::CloudWatch::Alarm');
    const childMetrics = childIds.map((id) => alarms[id].Properties.MetricName).sort();
    expect(childMetrics).toEqual([
      MonitorMetric.FailedOver, MonitorMetric.PrimaryApiUnreachable, MonitorMetric.PrimaryFailedState, MonitorMetric.PrimaryReachable, MonitorMetric.ReplicaReachable,
    ].sort());
    expect(JSON.stringify(Object.values(alarms).map((alarm) => alarm.Properties))).not.toContain(MonitorMetric.PrimaryRoutineState);
  });
});

describe('DR dashboard', () => {
  it('exists under its physical name and shows every alarm', () => {
    const body = JSON.stringify(propertiesOf(monitoring, 'AWS::CloudWatch::Dashboard', { DashboardName: 'paydb-dr-dashboard-dev' }).DashboardBody);
    for (const { logicalId } of [
      ...Object.keys(monitoring.findResources('AWS::CloudWatch::Alarm')), ...Object.keys(monitoring.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map((logicalId) => ({ logicalId }))) {
      expect(body).toContain(logicalId);
    }
    for (const metricName of [
      'ReplicationLagSeconds', 'PrimaryReachable', 'ReplicaReachable', 'PrimaryAvailable', 'ReplicaAvailable', 'DrillReady', 'FailedOver',
      'PrimaryFailedState', 'PrimaryApiUnreachable', 'PrimaryRoutineState',
    ]) {
      expect(body).toContain(`\\"${metricName}\\"`);
    }
  });
});

describe('stack order', () => {
  it('deploys monitoring after the DR database, Route53 after monitoring, orchestration after Route53, drills after orchestration', () => {
    expect(stage.drMonitoring.dependencies).toContain(stage.drDatabase);
    expect(stage.route53Failover.dependencies).toContain(stage.drMonitoring);
    expect(stage.failoverOrchestration.dependencies).toContain(stage.route53Failover);
    expect(stage.drDrill.dependencies).toContain(stage.failoverOrchestration);
  });
});
