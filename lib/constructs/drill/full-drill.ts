import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';
import { acknowledgeFindings, acknowledgeImportedValueFindings, wildcardResourceFinding } from '../../compliance/nag';
import { DrFunction } from '../functions/dr-function';
import { createScheduleRole, functionVersionsFinding, ScheduledDrillProps } from './drill-schedules';
import { keyUseViaService } from '../encryption/key-use-via-service';

export interface FullDrillProps extends ScheduledDrillProps {
  readonly stateMachineName: string;
  readonly primaryInstanceArn: string;
  readonly primaryEndpoint: string;
  readonly databasePort: number;
  readonly databaseName: string;
  /** The database secret: its name (Secrets Manager resolves it to the DR-region replica) and its IAM resource pattern. */
  readonly dbSecret: { readonly name: string; readonly arnPattern: string };
  readonly failoverStateTableName: string;
  /** e.g. `paydb-drill-dev-`; IAM allows create/promote/delete only on `db:<prefix>*`. */
  readonly instancePrefix: string;
  readonly instanceClass: string;
  /** The DR replica's subnet group, parameter group and security group: the copy gets what a failover gets. */
  readonly subnetGroupName: string;
  readonly parameterGroupName: string;
  readonly securityGroupId: string;
  /** `default:postgres-14`: the option group RDS assigns to the copy. */
  readonly optionGroupName: string;
  readonly drCidr: string;
  readonly primaryCidr: string;
  readonly scheduleDeadLetterQueue: sqs.IQueue;
}

/** Waiting states: the task throws `DrillNotReady` until its condition holds; Step Functions retries it. */
const WAITS = {
  awaitAvailable: { interval: Duration.minutes(1), maxAttempts: 120 },
  awaitMarker: { interval: Duration.seconds(5), maxAttempts: 120 },
  awaitWritable: { interval: Duration.seconds(15), maxAttempts: 120 },
  cleanup: { interval: Duration.minutes(1), maxAttempts: 60 },
} as const;

/**
 * Opt-in weekly full drill: a Step Functions state machine whose Lambda tasks create a disposable replica of the
 * primary in the DR region, measure RPO (marker) and RTO (promotion → write+read), always delete the copy and report.
 */
export class FullDrill extends Construct {
  readonly function: DrFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: FullDrillProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rdsArn = (resource: string, name: string) => stack.formatArn({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const drillInstances = rdsArn('db', `${props.instancePrefix}*`);
    const tableArn = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: props.failoverStateTableName });

    this.function = new DrFunction(this, 'Tasks', {
      functionName: props.functionName,
      entry: 'functions/full-drill/handler.ts',
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      description: 'Full DR drill tasks (disposable replica: create, promote, measure, delete)',
      timeout: Duration.minutes(1),
      vpc: props.vpc,
      subnets: props.subnets,
      key: props.key,
      databaseAccess: {
        port: props.databasePort,
        cidrs: { 'DR VPC (the disposable replica)': props.drCidr, 'primary VPC over peering (RPO marker)': props.primaryCidr },
      },
      environment: {
        ...props.commonEnvironment,
        PRIMARY_DB_ENDPOINT: props.primaryEndpoint,
        PRIMARY_DB_INSTANCE_ARN: props.primaryInstanceArn,
        DB_PORT: String(props.databasePort),
        DB_NAME: props.databaseName,
        DB_SECRET_ARN: props.dbSecret.name,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RUNBOOK_URL: props.runbookUrl,
        FAILOVER_STATE_TABLE: props.failoverStateTableName,
        DRILL_INSTANCE_PREFIX: props.instancePrefix,
        DRILL_INSTANCE_CLASS: props.instanceClass,
        DRILL_KMS_KEY_ARN: props.key.keyArn,
        DRILL_SUBNET_GROUP: props.subnetGroupName,
        DRILL_SECURITY_GROUP_ID: props.securityGroupId,
        DRILL_PARAMETER_GROUP: props.parameterGroupName,
      },
    });
    const role = this.function.role;
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    allow(['rds:CreateDBInstanceReadReplica'], [
      drillInstances, props.primaryInstanceArn, rdsArn('subgrp', props.subnetGroupName), rdsArn('pg', props.parameterGroupName), rdsArn('og', props.optionGroupName),
    ]);
    allow(['rds:AddTagsToResource', 'rds:PromoteReadReplica', 'rds:DeleteDBInstance'], [drillInstances]);
    allow(['rds:DescribeDBInstances'], [rdsArn('db', '*')]);
    allow(['secretsmanager:GetSecretValue'], [props.dbSecret.arnPattern]);
    allow(['dynamodb:GetItem'], [tableArn]);
    allow(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': props.commonEnvironment.METRIC_NAMESPACE } });
    // RDS encrypts the cross-region copy with the DR key on the caller's behalf: it describes the key and creates a grant.
    // kms:GrantIsForAWSResource exists only in grant requests (CreateGrant, ListGrants, RevokeGrant: "AWS KMS condition
    // keys", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource),
    // so DescribeKey is scoped to requests through RDS of this region instead; with that condition it was never allowed.
    allow(['kms:CreateGrant'], [props.key.keyArn], { Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    allow(['kms:DescribeKey'], [props.key.keyArn], keyUseViaService('rds', stack.region));
    props.key.grantDecrypt(role);
    props.alertTopic.grantPublish(role);
    acknowledgeFindings(role.node.findChild('DefaultPolicy'), [
      `Create, promote and delete are limited to disposable instances named ${props.instancePrefix}*; production instances never match.`,
      'rds:DescribeDBInstances lists the region\'s instances to refuse a second concurrent drill; listing cannot be scoped below db:*, and it is read-only.',
      'cloudwatch:PutMetricData and X-Ray actions support no resource-level permissions (PutMetricData is limited by the cloudwatch:namespace condition).',
      'kms:GenerateDataKey* is CDK\'s grant for publishing to the topic encrypted with the one DR key.',
    ].join(' '), [
      wildcardResourceFinding(this, drillInstances),
      wildcardResourceFinding(this, rdsArn('db', '*')),
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    ]);

    this.stateMachine = this.buildStateMachine(props);
    const scheduleRole = createScheduleRole(this, 'ScheduleRole', `Lets EventBridge Scheduler start ${props.stateMachineName}`, props.scheduleDeadLetterQueue);
    this.schedule = new scheduler.Schedule(this, 'Weekly', {
      scheduleName: props.scheduleName,
      description: 'Weekly full DR drill on a disposable replica',
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '4', weekDay: 'SUN', timeZone: TimeZone.ETC_UTC }),
      key: props.key,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        role: scheduleRole,
        deadLetterQueue: props.scheduleDeadLetterQueue,
        retryAttempts: 2,
      }),
    });
    acknowledgeRoleInlineGrants(scheduleRole);
  }

  private buildStateMachine(props: FullDrillProps): sfn.StateMachine {
    const task = (id: string, name: string, wait?: { interval: Duration; maxAttempts: number }) => {
      const invoke = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.function.function,
        payload: sfn.TaskInput.fromObject(name === 'start' ? { task: name } : { task: name, 'drill.$': '$' }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
      });
      if (wait) invoke.addRetry({ errors: ['DrillNotReady'], interval: wait.interval, maxAttempts: wait.maxAttempts, backoffRate: 1 });
      return invoke;
    };

    const failed = new sfn.Fail(this, 'DrillFailed', { error: 'DrillFailed', cause: 'See the SNS report and the execution history' });
    const reportFailure = task('ReportFailure', 'report').next(failed);
    const cleanupAfterFailure = task('CleanupAfterFailure', 'cleanup', WAITS.cleanup);
    cleanupAfterFailure.addCatch(reportFailure, { resultPath: '$.cleanupError' });
    cleanupAfterFailure.next(reportFailure);

    const start = task('Start', 'start');
    start.addCatch(new sfn.Fail(this, 'DrillRefused', { error: 'DrillRefused', cause: 'Preflight refused the drill; nothing was created' }));
    const steps = [
      task('CreateReplica', 'create'),
      task('AwaitReplicaAvailable', 'awaitAvailable', WAITS.awaitAvailable),
      task('WriteMarkerOnPrimary', 'writeMarker'),
      task('AwaitMarkerOnReplica', 'awaitMarker', WAITS.awaitMarker),
      task('PromoteReplica', 'promote'),
      task('AwaitWritable', 'awaitWritable', WAITS.awaitWritable),
    ];
    for (const step of steps) step.addCatch(cleanupAfterFailure, { resultPath: '$.error' });
    const cleanup = task('Cleanup', 'cleanup', WAITS.cleanup);
    cleanup.addCatch(reportFailure, { resultPath: '$.cleanupError' });
    const report = task('Report', 'report');
    const outcome = new sfn.Choice(this, 'Succeeded?')
      .when(sfn.Condition.booleanEquals('$.succeeded', true), new sfn.Succeed(this, 'DrillSucceeded'))
      .otherwise(failed);

    let chain: sfn.Chain = sfn.Chain.start(start);
    for (const step of steps) chain = chain.next(step);
    chain = chain.next(cleanup).next(report).next(outcome);

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeImportedValueFindings(logGroup, 'KmsKeyId (the region key)', ['cloudwatch_log_group_encrypted_check']);
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(chain),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      encryptionConfiguration: new sfn.CustomerManagedEncryptionConfiguration(props.key),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeRoleInlineGrants(stateMachine.role);
    acknowledgeFindings(stateMachine.role.node.findChild('DefaultPolicy'), [
      'Step Functions log delivery and X-Ray actions support no resource-level permissions.',
      'lambda:InvokeFunction on <function>:* lets the state machine invoke the drill function\'s versions (CDK-generated, one function only).',
    ].join(' '), ['AwsSolutions-IAM5[Resource::*]', functionVersionsFinding(this.function.function)]);
    return stateMachine;
  }
}
