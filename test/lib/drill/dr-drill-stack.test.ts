import { Template } from 'aws-cdk-lib/assertions';
import { buildDrillApp, ORCHESTRATOR_FUNCTION_ARN, ORCHESTRATOR_ROLE_ARN, PRIMARY_ARN } from './drill-app';
import { findOne, TEST_ACCOUNT } from '../support/dr-stage';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

// One build per file: synth bundles both functions and runs cdk-nag (AwsSolutions + PCI DSS); a finding throws here.
const { drill } = buildDrillApp(true);
const template = Template.fromStack(drill);

function statementsOf(roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const policy = Object.entries(policies).find(([id]) => id.startsWith(roleLogicalIdPrefix));
  if (!policy) throw new Error(`no policy ${roleLogicalIdPrefix}*`);
  return (policy[1].Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement;
}

function resourcesFor(statements: Statement[], action: string): unknown[] {
  return statements
    .filter((statement) => ([] as string[]).concat(statement.Action).includes(action))
    .flatMap((statement) => ([] as unknown[]).concat(statement.Resource));
}

// cdk.json turns on partition literals, so ARNs CDK formats for a known region read `arn:aws:...`.
const arnOf = (rest: string) => `arn:aws${rest}`;

describe('DRDrillStack (full drill enabled)', () => {
  it('runs the synthetic drill on Node 24 in the DR VPC function subnets with a validated environment', () => {
    const { resource } = findOne(template, 'AWS::Lambda::Function', { FunctionName: 'paydb-synthetic-drill-dev' });
    const props = resource.Properties as Record<string, any>;
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.ReservedConcurrentExecutions).toBe(2);
    expect(props.DeadLetterConfig).toBeDefined();
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.VpcConfig.SubnetIds).toHaveLength(2);
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toContain('functions');
    expect(props.Environment.Variables).toMatchObject({
      ENVIRONMENT_SUFFIX: 'dev',
      METRIC_NAMESPACE: 'PaymentsDR',
      DR_REGION: 'us-east-2',
      REPLICA_DB_INSTANCE_ID: 'paydb-dr-replica-db-dev',
      REPLICA_DB_INSTANCE_ARN: arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:db:paydb-dr-replica-db-dev`),
      PRIMARY_DB_INSTANCE_ARN: PRIMARY_ARN,
      FAILOVER_STATE_TABLE: 'paydb-failover-state-dev',
      HOSTED_ZONE_ID: 'Z0123456789ABC',
      WRITER_RECORD_NAME: 'writer.db.paydb-dev.internal',
      COMPOSITE_ALARM_NAME: 'paydb-primary-region-failed-dev',
      FAILOVER_RULE_NAME: 'paydb-failover-trigger-dev',
      ORCHESTRATOR_FUNCTION_ARN,
      ORCHESTRATOR_ROLE_ARN,
      MAX_REPLICATION_LAG_SECONDS: '300',
      LAG_LOOKBACK_SECONDS: '540',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    });
    expect(props.Environment.Variables.ESTATE_ALARM_NAMES.split(',')).toContain('paydb-replication-lag-dev');
    // Every estate alarm must be OK for "ready", so not-failed-over, in ALARM on every estate that has not failed over, is left out.
    expect(props.Environment.Variables.ESTATE_ALARM_NAMES.split(',')).toEqual(expect.arrayContaining(['paydb-primary-failed-state-dev', 'paydb-primary-api-unreachable-dev', 'paydb-failed-over-dev']));
    expect(props.Environment.Variables.ESTATE_ALARM_NAMES.split(',')).not.toContain('paydb-not-failed-over-dev');
  });

  it('keeps the drill logs encrypted for a year', () => {
    const { resource } = findOne(template, 'AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/paydb-synthetic-drill-dev' });
    expect(resource.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
  });

  it('scopes the synthetic drill\'s permissions to the resources it reads', () => {
    const statements = statementsOf('SyntheticDrillRoleDefaultPolicy');
    expect(resourcesFor(statements, 'iam:SimulatePrincipalPolicy')).toEqual([ORCHESTRATOR_ROLE_ARN]);
    expect(resourcesFor(statements, 'rds:DescribeDBInstances')).toEqual([arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:db:paydb-dr-replica-db-dev`)]);
    expect(resourcesFor(statements, 'events:ListTargetsByRule')).toEqual([arnOf(`:events:us-east-2:${TEST_ACCOUNT}:rule/paydb-failover-trigger-dev`)]);
    expect(resourcesFor(statements, 'route53:ListResourceRecordSets')).toEqual([arnOf(':route53:::hostedzone/Z0123456789ABC')]);
    expect(resourcesFor(statements, 'dynamodb:GetItem')).toEqual([arnOf(`:dynamodb:us-east-2:${TEST_ACCOUNT}:table/paydb-failover-state-dev`)]);
    expect(resourcesFor(statements, 'cloudwatch:DescribeAlarms')).toContainEqual(arnOf(`:cloudwatch:us-east-2:${TEST_ACCOUNT}:alarm:paydb-primary-region-failed-dev`));
    const actions = statements.flatMap((statement) => ([] as string[]).concat(statement.Action));
    for (const mutating of ['rds:PromoteReadReplica', 'rds:ModifyDBInstance', 'route53:ChangeResourceRecordSets', 'dynamodb:PutItem']) {
      expect(actions).not.toContain(mutating);
    }
    const putMetric = statements.find((statement) => statement.Action === 'cloudwatch:PutMetricData');
    expect(putMetric?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'PaymentsDR' } });
  });

  it('limits the full drill\'s create, promote and delete to disposable drill instances', () => {
    const statements = statementsOf('FullDrillTasksRoleDefaultPolicy');
    const drillInstances = arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:db:paydb-drill-dev-*`);
    expect(resourcesFor(statements, 'rds:PromoteReadReplica')).toEqual([drillInstances]);
    expect(resourcesFor(statements, 'rds:DeleteDBInstance')).toEqual([drillInstances]);
    expect((resourcesFor(statements, 'rds:CreateDBInstanceReadReplica') as string[]).sort()).toEqual([
      drillInstances, PRIMARY_ARN,
      arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:subgrp:paydb-dr-replica-db-dev-subnets`),
      arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:pg:paydb-dr-replica-db-dev-params`),
      arnOf(`:rds:us-east-2:${TEST_ACCOUNT}:og:default:postgres-14`),
    ].sort());
    expect(resourcesFor(statements, 'secretsmanager:GetSecretValue')).toEqual([arnOf(`:secretsmanager:us-east-2:${TEST_ACCOUNT}:secret:paydb-db-credentials-dev-??????`)]);
  });

  it('runs the synthetic drill daily and the full drill weekly through EventBridge Scheduler', () => {
    const daily = findOne(template, 'AWS::Scheduler::Schedule', { Name: 'paydb-synthetic-drill-daily-dev' }).resource.Properties as Record<string, any>;
    expect(daily.ScheduleExpression).toBe('cron(30 6 * * ? *)');
    expect(daily.ScheduleExpressionTimezone).toBe('Etc/UTC');
    expect(daily.Target.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^SyntheticDrillFunction/), 'Arn'] });
    expect(JSON.parse(daily.Target.Input)).toEqual({ mode: 'synthetic', trigger: 'schedule' });
    expect(daily.Target.DeadLetterConfig).toBeDefined();

    const weekly = findOne(template, 'AWS::Scheduler::Schedule', { Name: 'paydb-full-drill-weekly-dev' }).resource.Properties as Record<string, any>;
    expect(weekly.ScheduleExpression).toBe('cron(0 4 ? * SUN *)');
    expect(weekly.Target.Arn).toEqual({ Ref: expect.stringMatching(/^FullDrillStateMachine/) });
  });

  it('has a logged, traced, encrypted full-drill state machine that always cleans up', () => {
    const { resource } = findOne(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'paydb-full-drill-dev' });
    const props = resource.Properties as Record<string, any>;
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration.Level).toBe('ALL');
    expect(props.EncryptionConfiguration.Type).toBe('CUSTOMER_MANAGED_KMS_KEY');
    // The definition is a Fn::Join of JSON text and function ARNs: put a placeholder where the ARNs go.
    const parts = props.DefinitionString['Fn::Join'][1] as unknown[];
    const definition = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'FUNCTION_ARN')).join('')) as { StartAt: string; States: Record<string, any> };
    const { States: states } = definition;
    expect(definition.StartAt).toBe('Start');
    for (const step of ['CreateReplica', 'AwaitReplicaAvailable', 'WriteMarkerOnPrimary', 'AwaitMarkerOnReplica', 'PromoteReplica', 'AwaitWritable']) {
      expect(states[step].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CleanupAfterFailure' }]);
    }
    expect(states.AwaitWritable.Next).toBe('Cleanup');
    expect(states.Cleanup.Next).toBe('Report');
    expect(states.CleanupAfterFailure.Next).toBe('ReportFailure');
    expect(states.CleanupAfterFailure.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.cleanupError', Next: 'ReportFailure' }]);
    expect(states.ReportFailure.Next).toBe('DrillFailed');
    expect(states.AwaitReplicaAvailable.Retry).toContainEqual({ ErrorEquals: ['DrillNotReady'], IntervalSeconds: 60, MaxAttempts: 120, BackoffRate: 1 });
    expect(states.PromoteReplica.Parameters).toEqual({ task: 'promote', 'drill.$': '$' });
  });
});
