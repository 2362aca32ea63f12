import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DrConfig, KEEPER_RUN_SECONDS, reservedConcurrencyOf } from '../../config/dr-config';
import { alarmRunbookUrl } from '../monitoring/alarm-runbook-links';
import { ENVIRONMENT_DIMENSION, KeeperMetric, type MetricName } from '../../../functions/core/metric-names';
import { DrResourceNames, METRIC_NAMESPACE, parameterGroupNames } from '../../config/resource-names';
import { databaseInstanceArn, primaryParameterGroupArn } from '../functions/database-access';
import { DrFunction } from '../functions/dr-function';
import { grantPutMetrics } from '../monitoring/replication-monitor';
import { grantWriteLeaseAccess } from './write-lease-table';
import { keyUseViaService } from '../encryption/key-use-via-service';

export interface LeaseKeeperProps {
  readonly config: DrConfig;
  readonly names: DrResourceNames;
  /** The primary VPC and its function subnets. */
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The primary region's key: the lease replica, the secret, the topic, logs and dead letters of this region. */
  readonly key: kms.IKey;
  /** The primary database: its endpoint, its own security group and the credentials secret of this region. */
  readonly database: {
    readonly endpoint: string;
    readonly securityGroup: ec2.ISecurityGroup;
    readonly secret: secretsmanager.ISecret;
  };
  /** The group the primary is moved into when fenced; the keeper alone may still reach the database through it. */
  readonly fenceSecurityGroup: ec2.ISecurityGroup;
  /** The primary region's alert topic. */
  readonly alertTopic: sns.ITopic;
}

/** Longer than one run (KEEPER_RUN_SECONDS) plus a fence or a release at its end. */
const KEEPER_TIMEOUT = Duration.seconds(100);
const KEEPER_SCHEDULE = Duration.minutes(1);
/** Minutes without the lease before anyone is told: one missed run is routine (a cold start, a throttled minute). */
const NOT_HOLDING_MINUTES = 3;

/**
 * The primary region's lease keeper (functions/lease-keeper): every minute one invocation renews the write lease
 * for KEEPER_RUN_SECONDS and, when it cannot be sure it holds the lease, fences the primary ITSELF through its own
 * region only: the read-only default in the primary's own parameter group, other sessions cut, the instance moved
 * into the fence security group. It lifts its own fence when it holds the lease again (never once the DR side
 * took it). Only in failoverMode `automatic`.
 *
 * Network: it reaches the database in its own security group and in the fence group, which admits the keeper and
 * nothing else, so the keeper can verify and lift its fence while every client is cut off.
 */
export class LeaseKeeper extends Construct {
  readonly function: DrFunction;
  readonly schedule: events.Rule;
  /** Both alert through the primary region's topic, on ALARM and on OK. */
  readonly alarms: Record<'notHoldingLease' | 'primarySelfFenced', cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: LeaseKeeperProps) {
    super(scope, id);
    const { config, names } = props;
    const region = config.regions.primary;
    const port = config.database.port;
    const { lease } = config.failover;

    this.function = new DrFunction(this, 'Keeper', {
      functionName: names.leaseKeeperFunction,
      description: 'Renews the write lease of the primary; fences the primary itself when it cannot',
      entry: 'functions/lease-keeper/handler.ts',
      vpc: props.vpc,
      subnets: props.subnets,
      key: props.key,
      timeout: KEEPER_TIMEOUT,
      // One keeper: two would renew (and fence) against each other. Reserved in every mode that deploys a keeper.
      reservedConcurrentExecutions: reservedConcurrencyOf(config, 'leaseKeeper'),
      environment: {
        ENVIRONMENT_SUFFIX: config.environmentSuffix,
        METRIC_NAMESPACE,
        PRIMARY_REGION: region,
        PRIMARY_DB_INSTANCE_ID: names.primaryDbInstance,
        PRIMARY_DB_ENDPOINT: props.database.endpoint,
        DB_PORT: String(port),
        DB_NAME: config.database.databaseName,
        // Secrets Manager accepts the name; in this region it is the primary secret itself.
        DB_SECRET_ARN: names.dbSecret,
        PRIMARY_DB_PARAMETER_GROUP: parameterGroupNames(config).primary,
        PRIMARY_DB_SECURITY_GROUP_ID: props.database.securityGroup.securityGroupId,
        FENCE_SECURITY_GROUP_ID: props.fenceSecurityGroup.securityGroupId,
        WRITE_LEASE_TABLE: names.writeLeaseTable,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        // The keeper's alerts are about fencing its primary.
        RUNBOOK_URL: alarmRunbookUrl(config, names.keeperAlarms.primarySelfFenced),
        LEASE_TTL_SECONDS: String(lease.ttlSeconds),
        LEASE_RENEW_INTERVAL_SECONDS: String(lease.renewIntervalSeconds),
        LEASE_FENCE_BUDGET_SECONDS: String(lease.fenceBudgetSeconds),
        KEEPER_RUN_SECONDS: String(KEEPER_RUN_SECONDS),
      },
    });

    // PostgreSQL to the primary in its own group and, once fenced, in the fence group; both admit this keeper.
    const keeperGroup = this.function.securityGroup;
    // Through `connections`, CDK writes each rule as its own resource, not inline in the groups: no circular dependency.
    for (const [label, group] of [['the primary database', props.database.securityGroup], ['the fenced primary database', props.fenceSecurityGroup]] as const) {
      keeperGroup.connections.allowTo(group, ec2.Port.tcp(port), `PostgreSQL between the lease keeper and ${label}`);
    }

    const role = this.function.role;
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));

    grantWriteLeaseAccess(role, names.writeLeaseTable, region, props.key.keyArn);
    allow('ReadThePrimaryCredentials', ['secretsmanager:GetSecretValue'], [props.database.secret.secretArn]);
    allow('DecryptThePrimaryCredentials', ['kms:Decrypt'], [props.key.keyArn], keyUseViaService('secretsmanager', region));
    // ModifyDBInstance moves the instance between its VPC security groups. Those are EC2 resources: the RDS action's
    // resource types are db (required), og, pg, secgrp (EC2-Classic DB security groups) and subgrp, so the instance
    // ARN alone scopes it. "Actions, resources, and condition keys for Amazon RDS",
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
    allow('FenceOnlyThePrimaryInstance', ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], [databaseInstanceArn(config, 'primary', names)]);
    allow('SetTheReadOnlyDefaultOfThePrimaryOnly', ['rds:ModifyDBParameterGroup'],
      [primaryParameterGroupArn(config)]);
    allow('AlertThroughThePrimaryTopic', ['sns:Publish'], [props.alertTopic.topicArn]);
    allow('PublishToTheEncryptedTopic', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.key.keyArn], keyUseViaService('sns', region));
    grantPutMetrics(role);

    // Each run keeps time itself: a late or repeated run is worth nothing once the next minute's run has started.
    // Without this, Lambda would retry a failed run twice and keep a throttled event (reserved concurrency 1) for hours.
    this.function.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: KEEPER_SCHEDULE });
    this.schedule = new events.Rule(this, 'Schedule', {
      ruleName: `${names.leaseKeeperFunction}-schedule`,
      description: `Starts the lease keeper every minute; each run renews the write lease for ${KEEPER_RUN_SECONDS} s`,
      schedule: events.Schedule.rate(KEEPER_SCHEDULE),
      // A missed minute is recovered by the next one; a retry would only queue behind the reserved concurrency.
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });

    const metric = (metricName: MetricName, statistic: string) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { [ENVIRONMENT_DIMENSION]: config.environmentSuffix }, statistic, period: KEEPER_SCHEDULE,
    });
    this.alarms = {
      // The keeper is what fences the primary when the regions are cut apart; a keeper that does not run fences
      // nothing. Missing data is therefore the worst case (BREACHING), not "no news".
      notHoldingLease: new cloudwatch.Alarm(this, 'NotHoldingLeaseAlarm', {
        alarmName: names.keeperAlarms.notHoldingLease,
        alarmDescription: `The lease keeper did not hold the write lease for ${NOT_HOLDING_MINUTES} minutes, or did not run. Either the primary is `
          + 'fenced (its keeper cannot reach the lease quorum, or the DR side took the lease), or nothing would fence the primary if the regions '
          + 'were cut apart: automatic failover is not safe until the keeper holds the lease again.',
        metric: metric(KeeperMetric.WriteLeaseHeld, 'Minimum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: NOT_HOLDING_MINUTES,
        datapointsToAlarm: NOT_HOLDING_MINUTES,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      primarySelfFenced: new cloudwatch.Alarm(this, 'PrimarySelfFencedAlarm', {
        alarmName: names.keeperAlarms.primarySelfFenced,
        alarmDescription: 'The lease keeper fenced the primary (read-only, sessions cut, fence security group): it could not renew the write lease, '
          + 'or the DR side holds it. Clients of the primary get read-only errors until the keeper holds the lease again or the estate fails over.',
        metric: metric(KeeperMetric.PrimarySelfFenced, 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
    const alertAction = new actions.SnsAction(props.alertTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(alertAction);
      alarm.addOkAction(alertAction);
    }
  }
}

