import { ArnFormat, Aws, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/nag';
import { DrFunction } from '../functions/dr-function';
import { createScheduleRole, functionVersionsFinding, ScheduledDrillProps } from './drill-schedules';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';

export interface SyntheticDrillProps extends ScheduledDrillProps {
  readonly replicaInstanceId: string;
  readonly replicaEndpoint: string;
  readonly primaryInstanceArn: string;
  readonly failoverStateTableName: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly estateAlarmNames: readonly string[];
  readonly compositeAlarmName: string;
  readonly failoverRuleName: string;
  readonly orchestratorFunctionArn: string;
  readonly orchestratorRoleArn: string;
  readonly maxReplicationLagSeconds: number;
  /** How far back the monitor's lag is read (the orchestrator's look-back). */
  readonly lagLookbackSeconds: number;
  /** Dead letters of the schedule (shared with the full drill's schedule). */
  readonly scheduleDeadLetterQueue: sqs.IQueue;
  /** Account of the delivery pipeline when it is not this one: its post-deploy step invokes the drill. */
  readonly pipelineAccount?: string;
}

/** The read-only synthetic drill Lambda, with least-privilege read access to what it inspects, run daily by Scheduler. */
export class SyntheticDrill extends Construct {
  readonly function: DrFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SyntheticDrillProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = (service: string, resource: string, resourceName: string, arnFormat = ArnFormat.COLON_RESOURCE_NAME) =>
      stack.formatArn({ service, resource, resourceName, arnFormat });
    const replicaArn = arn('rds', 'db', props.replicaInstanceId);
    const tableArn = arn('dynamodb', 'table', props.failoverStateTableName, ArnFormat.SLASH_RESOURCE_NAME);

    this.function = new DrFunction(this, 'Drill', {
      functionName: props.functionName,
      entry: 'functions/synthetic-drill/handler.ts',
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      description: 'Synthetic DR drill: proves the DR side could take over now, without changing anything',
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      subnets: props.subnets,
      key: props.key,
      environment: {
        ...props.commonEnvironment,
        REPLICA_DB_INSTANCE_ID: props.replicaInstanceId,
        REPLICA_DB_ENDPOINT: props.replicaEndpoint,
        REPLICA_DB_INSTANCE_ARN: replicaArn,
        PRIMARY_DB_INSTANCE_ARN: props.primaryInstanceArn,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RUNBOOK_URL: props.runbookUrl,
        FAILOVER_STATE_TABLE: props.failoverStateTableName,
        FAILOVER_STATE_TABLE_ARN: tableArn,
        HOSTED_ZONE_ID: props.hostedZoneId,
        WRITER_RECORD_NAME: props.writerRecordName,
        ESTATE_ALARM_NAMES: props.estateAlarmNames.join(','),
        COMPOSITE_ALARM_NAME: props.compositeAlarmName,
        FAILOVER_RULE_NAME: props.failoverRuleName,
        ORCHESTRATOR_FUNCTION_ARN: props.orchestratorFunctionArn,
        ORCHESTRATOR_ROLE_ARN: props.orchestratorRoleArn,
        MAX_REPLICATION_LAG_SECONDS: String(props.maxReplicationLagSeconds),
        LAG_LOOKBACK_SECONDS: String(props.lagLookbackSeconds),
      },
    });
    const role = this.function.role;
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const alarmNames = [...new Set([...props.estateAlarmNames, props.compositeAlarmName])];
    allow(['cloudwatch:DescribeAlarms'], alarmNames.map((name) => arn('cloudwatch', 'alarm', name)));
    allow(['rds:DescribeDBInstances'], [replicaArn]);
    // The replica's automated snapshots (replica-backups check). DescribeDBSnapshots authorizes on the db instance and
    // on the snapshot resource types; automated snapshots are named rds:<instance>-<timestamp>.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
    const replicaSnapshots = arn('rds', 'snapshot', `rds:${props.replicaInstanceId}-*`);
    allow(['rds:DescribeDBSnapshots'], [replicaArn, replicaSnapshots]);
    allow(['dynamodb:GetItem'], [tableArn]);
    allow(['route53:ListResourceRecordSets'], [`arn:${stack.partition}:route53:::hostedzone/${props.hostedZoneId}`]);
    allow(['route53:GetHealthCheck'], [`arn:${Aws.PARTITION}:route53:::healthcheck/*`]);
    allow(['iam:SimulatePrincipalPolicy'], [props.orchestratorRoleArn]);
    allow(['events:DescribeRule', 'events:ListTargetsByRule'], [arn('events', 'rule', props.failoverRuleName, ArnFormat.SLASH_RESOURCE_NAME)]);
    allow(['cloudwatch:GetMetricData'], ['*']);
    allow(['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': props.commonEnvironment.METRIC_NAMESPACE } });
    props.alertTopic.grantPublish(role);
    // The failover state table and the alert topic are encrypted with the DR key.
    props.key.grantDecrypt(role);
    acknowledgeFindings(role.node.findChild('DefaultPolicy'), [
      'cloudwatch:GetMetricData and cloudwatch:PutMetricData support no resource-level permissions (PutMetricData is limited by the cloudwatch:namespace condition).',
      'route53:GetHealthCheck is scoped to health checks (their ids are created by the Route53 stack and unknown at synth); the action is read-only.',
      'X-Ray tracing actions support no resource-level permissions. kms:GenerateDataKey* is CDK\'s grant for publishing to the topic encrypted with the one DR key.',
      'rds:DescribeDBSnapshots is scoped to the replica\'s own automated snapshots (rds:<replica>-<timestamp>, named by RDS at backup time); the action is read-only.',
    ].join(' '), ['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::healthcheck/*]', 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      `AwsSolutions-IAM5[Resource::${stack.resolve(replicaSnapshots)}]`]);

    if (props.pipelineAccount) {
      this.function.function.addPermission('PipelineAccountInvoke', {
        principal: new iam.AccountPrincipal(props.pipelineAccount),
        action: 'lambda:InvokeFunction',
      });
    }

    const scheduleRole = createScheduleRole(this, 'ScheduleRole', `Lets EventBridge Scheduler invoke ${props.functionName}`, props.scheduleDeadLetterQueue);

    this.schedule = new scheduler.Schedule(this, 'Daily', {
      scheduleName: props.scheduleName,
      description: 'Daily synthetic DR drill',
      schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '6', timeZone: TimeZone.ETC_UTC }),
      key: props.key,
      target: new targets.LambdaInvoke(this.function.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ mode: 'synthetic', trigger: 'schedule' }),
        role: scheduleRole,
        deadLetterQueue: props.scheduleDeadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });
    acknowledgeRoleInlineGrants(scheduleRole);
    acknowledgeFindings(scheduleRole.node.findChild('DefaultPolicy'), 'CDK grants lambda:InvokeFunction on the drill function and its versions (<arn>:*); this one function only.',
      [functionVersionsFinding(this.function.function)]);
  }
}
