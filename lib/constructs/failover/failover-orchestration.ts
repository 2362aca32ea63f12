import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { engineMajor, reservedConcurrencyOf } from '../../config/dr-config';
import { runbookUrl } from '../monitoring/alarm-runbook-links';
import { acknowledgeFindings, acknowledgeImportedValueFindings, controlTowerFinding, wildcardResourceFinding } from '../../compliance/nag';
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
  /** What the re-protection and the fail-back need that has no fixed name (cross-region and cross-stack references). */
  readonly reprotection: ReprotectionReferences;
}

/**
 * Re-protection in both directions (after the failover, a replica of the DR writer under the primary instance's name;
 * after the fail-back, a replica of the new primary under the DR instance's name) and the fail-back between them
 * (runbooks/reprotect-and-failback.md). The names (instances, subnet groups, parameter groups) are fixed
 * (`drResourceNames`); these are not.
 */
export interface ReprotectionReferences {
  /** The primary region's key: encrypts the primary-region replica and the backups replicated there. */
  readonly primaryKeyArn: string;
  /** The primary database's client group: admits the primary VPC and the DR VPC (the orchestrator's SQL over peering). Not the fence group. */
  readonly primaryDatabaseSecurityGroupId: string;
  /** The DR database's client group (DR database stack). Not the fence group. */
  readonly drDatabaseSecurityGroupId: string;
  /** Deny-all group of the DR VPC (DR database stack): the fail-back's fence of the DR instance, and where it is renamed. */
  readonly drFenceSecurityGroupId: string;
  /** Each instance's enhanced-monitoring role: a replica created under its name gets the same one. */
  readonly primaryMonitoringRoleArn: string;
  readonly drMonitoringRoleArn: string;
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
      // The DR VPC too: a switchover reads the DR replica's replay position, and the fail-back freezes the DR writer.
      databaseAccess: { port: config.database.port, cidrs: { 'primary VPC': config.network.primaryCidr, 'DR VPC': config.network.drCidr } },
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
        // Re-protection, both ways, and fail-back (all ten or none: functions/failover-orchestrator/config.ts).
        PRIMARY_KMS_KEY_ARN: props.reprotection.primaryKeyArn,
        PRIMARY_DB_SUBNET_GROUP: names.reprotectSubnetGroup,
        PRIMARY_DB_SECURITY_GROUP_IDS: props.reprotection.primaryDatabaseSecurityGroupId,
        DR_KMS_KEY_ARN: props.key.keyArn,
        DR_DB_SUBNET_GROUP: names.replicaSubnetGroup,
        DR_DB_SECURITY_GROUP_IDS: props.reprotection.drDatabaseSecurityGroupId,
        DR_DB_PARAMETER_GROUP: parameterGroupNames(config).replica,
        DR_FENCE_SECURITY_GROUP_ID: props.reprotection.drFenceSecurityGroupId,
        PRIMARY_DB_MONITORING_ROLE_ARN: props.reprotection.primaryMonitoringRoleArn,
        DR_DB_MONITORING_ROLE_ARN: props.reprotection.drMonitoringRoleArn,
        REPROTECT_MAX_ALLOCATED_STORAGE_GIB: String(config.database.maxAllocatedStorageGiB),
        // The replica is what the primary was: its class and backup retention (of the backups replicated to the primary region).
        REPROTECT_DB_INSTANCE_CLASS: config.database.instanceClass,
        REPROTECT_BACKUP_RETENTION_DAYS: String(config.database.backupRetentionDays),
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
    this.grantReprotectionAndFailBack(role, props);
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

  /**
   * Re-protection (`{"action":"reprotect"}`), both ways (functions/adapters/aws/rds-replica-provisioning.ts): the old
   * writer holding the configured name of the other region is started inside its fence group if stopped, and renamed;
   * a cross-region read replica of the writer is created under that name, with that region's subnet group, parameter
   * group (its write freeze lifted first) and key; the writer's automated backups are replicated there. Fail-back (a
   * planned switchover toward the primary-region replica): the DR writer is frozen in its own parameter group and
   * fenced (deny-all group, then a stop); the primary-region replica is promoted. Every resource is one of the two
   * configured instances, their retired names, their groups, or the two keys. Resource types per action: "Actions,
   * resources, and condition keys for Amazon RDS", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html .
   */
  private grantReprotectionAndFailBack(role: iam.IRole, props: FailoverOrchestrationProps): void {
    const { config, names } = props;
    const { primary, dr } = config.regions;
    const rdsArn = (region: string, type: string, name: string) => `arn:${Aws.PARTITION}:rds:${region}:${config.workloadAccount}:${type}:${name}`;
    const primaryDb = databaseInstanceArn(config, 'primary', names);
    const drDb = databaseInstanceArn(config, 'dr', names);
    const retiredNames = [rdsArn(primary, 'db', `${names.primaryDbInstance}-retired-*`), rdsArn(dr, 'db', `${names.replicaDbInstance}-retired-*`)];
    const backups = [rdsArn(primary, 'auto-backup', '*'), rdsArn(dr, 'auto-backup', '*')];
    const groups = parameterGroupNames(config);
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));

    // A renamed old writer answers to its new name only: the retirement reads it there until RDS reports it.
    allow('ReadTheRetiredOldWriters', ['rds:DescribeDBInstances'], retiredNames);
    // Retiring the old writer: a stopped instance cannot be modified (USER_StopInstance.html), so it is started inside
    // its fence group first; ModifyDBInstance (fence group, rename) is already allowed on both instances below and in
    // FenceOnlyTheOldPrimary.
    allow('StartTheOldWriterInsideItsFenceToRenameIt', ['rds:StartDBInstance'], [primaryDb, drDb]);
    // CreateDBInstanceReadReplica requires every resource of the request: the new instance (db), its source (db, the
    // writer in the other region), its DB subnet group (subgrp), DB parameter group (pg) and option group (og: the
    // engine's default in the destination region). rds:PubliclyAccessible is a condition key of the action (same page);
    // the orchestrator asks for a private replica, so a request for a public one is not allowed. IfExists: the key is
    // the request's PubliclyAccessible, which a request may omit.
    allow('CreateReplicasOnlyUnderTheConfiguredNames', ['rds:CreateDBInstanceReadReplica'], [
      primaryDb, drDb,
      rdsArn(primary, 'subgrp', names.reprotectSubnetGroup), rdsArn(dr, 'subgrp', names.replicaSubnetGroup),
      rdsArn(primary, 'pg', groups.primary), rdsArn(dr, 'pg', groups.replica),
      rdsArn(primary, 'og', `default:postgres-${engineMajor(config)}`), rdsArn(dr, 'og', `default:postgres-${engineMajor(config)}`),
    ], { BoolIfExists: { 'rds:PubliclyAccessible': 'false' } });
    // StartDBInstanceAutomatedBackupsReplication requires the source instance (db) and the replicated backups
    // (auto-backup, `auto-backup:${DbInstanceAutomatedBackupId}` on the same page), whose identifier RDS assigns when the
    // replication starts: only this action and the describe below get the wildcard.
    allow('ReplicateTheWritersBackupsToTheOtherRegion', ['rds:StartDBInstanceAutomatedBackupsReplication'], [primaryDb, drDb, ...backups]);
    allow('ReadTheReplicatedBackups', ['rds:DescribeDBInstanceAutomatedBackups'], backups);
    // "To create an RDS resource using a customer managed key, a user must have permissions to call ... kms:CreateGrant,
    // kms:DescribeKey" on that key, and the tip there: grants only when created on the user's behalf by an AWS service,
    // with kms:ViaService ("AWS KMS key management", Authorizing use of a customer managed key,
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html). The key named is the
    // destination's: a replica in another region "must specify a KMS key identifier for the destination AWS Region"
    // (KmsKeyId, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html), as
    // are the replicated backups (KmsKeyId, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstanceAutomatedBackupsReplication.html).
    // The source's key is named in neither request, and no RDS page asks the caller for permissions on it ("Creating a
    // read replica in a different AWS Region", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html).
    // kms:GrantIsForAWSResource is also what the key policy's deny requires
    // (lib/constructs/encryption/grants-for-aws-services-only.ts); it exists only in grant requests, so DescribeKey is
    // scoped by kms:ViaService alone (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
    for (const [region, keyArn, which] of [[primary, props.reprotection.primaryKeyArn, 'Primary'], [dr, props.key.keyArn, 'Dr']] as const) {
      allow(`LetRdsEncryptAReplicaWithThe${which}Key`, ['kms:CreateGrant'], [keyArn], { Bool: { 'kms:GrantIsForAWSResource': 'true' }, ...keyUseViaService('rds', region) });
      allow(`LetRdsDescribeThe${which}Key`, ['kms:DescribeKey'], [keyArn], keyUseViaService('rds', region));
    }
    // Fail-back: the DR instance is the writer being replaced. Its write freeze sets the read-only default in its own
    // parameter group (and a re-protection back lifts it there before its successor is created); its fence moves it
    // into the DR VPC's deny-all group and asks RDS to stop it, as a failover does to the old primary
    // (FenceOnlyTheOldPrimary). Decided: the orchestrator may modify, stop, start and rename the DR instance, never
    // delete it; it fences only the writer it replaces (functions/core/failover-orchestrator.ts).
    // A replica gets its region's enhanced-monitoring role, as the template's instance: passing it needs iam:PassRole
    // ("The user that enables Enhanced Monitoring must be granted the PassRole permission",
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html). Those two roles only.
    allow('PassOnlyTheInstancesMonitoringRoles', ['iam:PassRole'], [props.reprotection.primaryMonitoringRoleArn, props.reprotection.drMonitoringRoleArn]);
    allow('FreezeWritesOfTheDrInstanceForAFailBack', ['rds:ModifyDBParameterGroup'], [rdsArn(dr, 'pg', groups.replica)]);
    allow('FenceTheDrInstanceInAFailBack', ['rds:ModifyDBInstance', 'rds:StopDBInstance'], [drDb]);
    allow('PromoteThePrimaryRegionReplicaInAFailBack', ['rds:PromoteReadReplica'], [primaryDb]);
    acknowledgeFindings(role, 'The automated backups RDS replicates to the other region get an identifier RDS assigns when the replication starts (auto-backup:<id>); '
      + 'StartDBInstanceAutomatedBackupsReplication and DescribeDBInstanceAutomatedBackups need them, and the start also requires the source instance. '
      + 'A retired old writer gets a dated name (<instance>-retired-<UTC minute>) chosen when its re-protection starts; only DescribeDBInstances reads it.',
    [...backups, ...retiredNames].map((resource) => wildcardResourceFinding(role, resource)));
  }
}
