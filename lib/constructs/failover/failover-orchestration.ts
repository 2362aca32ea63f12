import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { reservedConcurrencyOf } from '../../config/dr-config';
import { runbookUrl } from '../monitoring/alarm-runbook-links';
import { acknowledgeFindings, acknowledgeImportedValueFindings, controlTowerFinding } from '../../compliance/nag';
import { ALARM_STATE_CHANGE_EVENT } from '../../../functions/core/metric-names';
import { METRIC_NAMESPACE, parameterGroupNames } from '../../config/resource-names';
import { DatabasePairFunctionProps, databaseEnvironment, databaseInstanceArn, grantDatabaseAccess, primaryParameterGroupArn } from '../functions/database-access';
import { DrFunction } from '../functions/dr-function';
import { grantFailoverStateAccess } from './failover-state-table';
import { grantWriteLeaseAccess } from './write-lease-table';
import { lagLookbackSeconds } from '../monitoring/detection-window';
import { grantPutMetrics } from '../monitoring/replication-monitor';
import { keyUseViaService } from '../encryption/key-use-via-service';

export interface FailoverOrchestrationProps extends DatabasePairFunctionProps {
  /** Composite alarm whose ALARM state starts the failover. */
  readonly trigger: cloudwatch.IAlarm;
  /** Deny-all security group in the primary VPC (cross-region reference). */
  readonly fenceSecurityGroupId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
}

/** Worst case RDS documents for promoting a replica is minutes; the function stops 20 s before its own timeout. */
const ORCHESTRATOR_TIMEOUT = Duration.minutes(15);
const PROMOTION_TIMEOUT = Duration.minutes(13);
const RESUME_INTERVAL = Duration.minutes(5);
/**
 * The orchestrator's re-verification that the primary is down, set here so the template (and the RTO budget
 * read from it) carries it. Same values as the core's DEFAULT_FAILOVER_SETTINGS; the handler validates them.
 */
const PRIMARY_PROBE_ATTEMPTS = 3;
const PRIMARY_PROBE_TIMEOUT = Duration.seconds(5);
const PRIMARY_PROBE_INTERVAL = Duration.seconds(5);
/** Planned switchover: how long the replica may take to replay the primary's last WAL after the write freeze. */
const SWITCHOVER_CATCH_UP_TIMEOUT = Duration.seconds(300);

/**
 * The failover orchestrator in the DR region (a failover that needs the failed region is no
 * failover): started by the composite alarm through EventBridge, or by an operator; resumed on a
 * schedule until DNS pinning and fencing of the old primary are done.
 *
 * failoverMode `automatic`: it may promote only after taking the write lease (conditional write on
 * the DR replica of the lease table, TTL + takeover margin after the primary's last renewal).
 * `manual-confirm`: there is no lease; it waits for an operator's confirmation.
 */
export class FailoverOrchestration extends Construct {
  readonly function: DrFunction;
  readonly triggerRule: events.Rule;

  constructor(scope: Construct, id: string, props: FailoverOrchestrationProps) {
    super(scope, id);
    const { config, names } = props;
    const { mode, lease } = config.failover;
    this.function = new DrFunction(this, 'Orchestrator', {
      functionName: names.failoverOrchestratorFunction,
      description: 'Promotes the DR replica, switches the writer name, fences the old primary, reports every step',
      entry: 'functions/failover-orchestrator/handler.ts',
      vpc: props.vpc,
      subnets: props.subnets,
      key: props.key,
      timeout: ORCHESTRATOR_TIMEOUT,
      reservedConcurrentExecutions: reservedConcurrencyOf(config, 'failoverOrchestrator'),
      databaseAccess: { port: config.database.port, cidrs: { 'primary VPC': config.network.primaryCidr } },
      environment: {
        ...databaseEnvironment(config, names, props.databases),
        METRIC_NAMESPACE,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RUNBOOK_URL: runbookUrl(config, 'failover.md'),
        FAILOVER_STATE_TABLE: props.stateTable.tableName,
        FENCE_SECURITY_GROUP_ID: props.fenceSecurityGroupId,
        HOSTED_ZONE_ID: props.hostedZoneId,
        WRITER_RECORD_NAME: props.writerRecordName,
        PRIMARY_RECORD_SET_ID: props.primaryRecordSetId,
        MAX_PROMOTION_LAG_SECONDS: String(config.monitoring.maxPromotionLagSeconds),
        PROMOTION_TIMEOUT_SECONDS: String(PROMOTION_TIMEOUT.toSeconds()),
        PROBE_INTERVAL_SECONDS: String(config.monitoring.probeIntervalMinutes * 60),
        LAG_LOOKBACK_SECONDS: String(lagLookbackSeconds(config)),
        PRIMARY_PROBE_ATTEMPTS: String(PRIMARY_PROBE_ATTEMPTS),
        PRIMARY_PROBE_TIMEOUT_MS: String(PRIMARY_PROBE_TIMEOUT.toMilliseconds()),
        PRIMARY_PROBE_INTERVAL_MS: String(PRIMARY_PROBE_INTERVAL.toMilliseconds()),
        FAILOVER_MODE: mode,
        ...(mode === 'automatic' ? { WRITE_LEASE_TABLE: names.writeLeaseTable } : {}),
        LEASE_TAKEOVER_MARGIN_SECONDS: String(lease.takeoverMarginSeconds),
        SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: String(SWITCHOVER_CATCH_UP_TIMEOUT.toSeconds()),
        PRIMARY_DB_PARAMETER_GROUP: parameterGroupNames(config).primary,
      },
    });
    const role = this.function.role;
    grantDatabaseAccess(role, config, names, props.key);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PromoteOnlyTheDrReplica',
      actions: ['rds:PromoteReadReplica'],
      resources: [databaseInstanceArn(config, 'dr', names)],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FenceOnlyTheOldPrimary',
      actions: ['rds:ModifyDBInstance', 'rds:StopDBInstance'],
      resources: [databaseInstanceArn(config, 'primary', names)],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FreezeWritesOfThePrimaryForASwitchover',
      actions: ['rds:ModifyDBParameterGroup'],
      resources: [primaryParameterGroupArn(config)],
    }));
    if (mode === 'automatic') grantWriteLeaseAccess(role, names.writeLeaseTable, config.regions.dr, props.key.keyArn);
    const zoneArn = `arn:${Aws.PARTITION}:route53:::hostedzone/${props.hostedZoneId}`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadTheWriterRecords',
      actions: ['route53:ListResourceRecordSets'],
      resources: [zoneArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PinTheWriterRecord',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [zoneArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [props.writerRecordName],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadTheMonitorsLag',
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
    }));
    acknowledgeFindings(role, 'cloudwatch:GetMetricData supports no resource-level permissions; it only reads the monitor\'s lag before a promotion.',
      ['AwsSolutions-IAM5[Resource::*]']);
    grantPutMetrics(role);
    grantFailoverStateAccess(role, props.stateTable, props.key, 'read-write');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.alertTopic.topicArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishToTheEncryptedTopic',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.key.keyArn],
      conditions: keyUseViaService('sns', config.regions.dr),
    }));

    const deadLetters = new sqs.Queue(this, 'UndeliveredTriggers', {
      queueName: `${names.failoverOrchestratorFunction}-undelivered`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFindings(deadLetters, 'This queue is itself the dead-letter queue of the failover triggers.', ['AwsSolutions-SQS3', controlTowerFinding('sqs_dlq_check')]);
    acknowledgeImportedValueFindings(deadLetters, 'KmsMasterKeyId (the region key)', ['sqs_queue_encrypted_check']);

    this.triggerRule = new events.Rule(this, 'OnPrimaryRegionFailed', {
      ruleName: names.failoverTriggerRule,
      description: 'Starts the failover when the composite "primary region failed" alarm enters ALARM',
      eventPattern: {
        source: [ALARM_STATE_CHANGE_EVENT.source],
        detailType: [ALARM_STATE_CHANGE_EVENT.detailType],
        resources: [props.trigger.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 4, deadLetterQueue: deadLetters })],
    });
    new events.Rule(this, 'ResumeSchedule', {
      ruleName: `${names.failoverOrchestratorFunction}-resume`,
      description: 'Finishes pending steps of a failover (DNS pinning, fencing) once the primary region answers again',
      schedule: events.Schedule.rate(RESUME_INTERVAL),
      targets: [new targets.LambdaFunction(this.function.function, {
        event: events.RuleTargetInput.fromObject({ action: 'resume' }),
        retryAttempts: 0,
      })],
    });
  }
}
