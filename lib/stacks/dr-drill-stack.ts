import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeImportedValueFindings, controlTowerFinding } from '../compliance/nag';
import { DrConfig, engineMajor, reservedConcurrencyOf, resourceName } from '../config/dr-config';
import { drResourceNames, estateHealthAlarmNames, METRIC_NAMESPACE, parameterGroupNames } from '../config/resource-names';
import { FullDrill } from '../constructs/drill/full-drill';
import { drSecretArnPattern } from '../constructs/functions/database-access';
import { SyntheticDrill } from '../constructs/drill/synthetic-drill';
import { runbookUrl } from '../constructs/monitoring/alarm-runbook-links';
import { lagLookbackSeconds } from '../constructs/monitoring/detection-window';
import { RegionalNetwork } from '../constructs/network/regional-network';

export interface DRDrillStackProps extends StackProps {
  readonly config: DrConfig;
  /** From the DR-region stack (same region). */
  readonly network: RegionalNetwork;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  /** From the DR database stack (same region). */
  readonly replicaEndpoint: string;
  readonly replicaSecurityGroupId: string;
  /** From the primary-region stack (cross-region references). */
  readonly primaryInstanceArn: string;
  readonly primaryEndpoint: string;
  /** From the Route53 failover stack. */
  readonly hostedZoneId: string;
  /** From the failover orchestration (DR region). */
  readonly failoverRuleName: string;
  readonly orchestratorFunctionArn: string;
  readonly orchestratorRoleArn: string;
  /** Opt-in weekly full drill on a disposable replica (costs a db.r6g.large for about an hour a week). */
  readonly fullDrillEnabled: boolean;
}

/** DR drills: the daily synthetic drill (also run by the pipeline after each deployment) and the opt-in weekly full drill. */
export class DRDrillStack extends Stack {
  readonly syntheticDrill: SyntheticDrill;
  readonly fullDrill?: FullDrill;

  constructor(scope: Construct, id: string, props: DRDrillStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = drResourceNames(config);
    const commonEnvironment = {
      ENVIRONMENT_SUFFIX: config.environmentSuffix,
      METRIC_NAMESPACE,
      DR_REGION: config.regions.dr,
    };
    const scheduleDeadLetters = new sqs.Queue(this, 'ScheduleDeadLetters', {
      queueName: resourceName(config, 'drill-schedule-dlq'),
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeFindings(scheduleDeadLetters, 'This queue is itself the dead-letter queue of the drill schedules.', ['AwsSolutions-SQS3', controlTowerFinding('sqs_dlq_check')]);
    acknowledgeImportedValueFindings(scheduleDeadLetters, 'KmsMasterKeyId (the region key)', ['sqs_queue_encrypted_check']);

    this.syntheticDrill = new SyntheticDrill(this, 'SyntheticDrill', {
      functionName: names.syntheticDrillFunction,
      scheduleName: resourceName(config, 'synthetic-drill-daily'),
      vpc: props.network.vpc,
      subnets: props.network.functionSubnets,
      key: props.key,
      alertTopic: props.alertTopic,
      runbookUrl: runbookUrl(config, 'README.md'),
      commonEnvironment,
      reservedConcurrentExecutions: reservedConcurrencyOf(config, 'syntheticDrill'),
      replicaInstanceId: names.replicaDbInstance,
      replicaEndpoint: props.replicaEndpoint,
      primaryInstanceArn: props.primaryInstanceArn,
      failoverStateTableName: names.failoverStateTable,
      hostedZoneId: props.hostedZoneId,
      writerRecordName: names.writerRecordName,
      // Not not-failed-over: it is in ALARM on every healthy estate that has not failed over.
      estateAlarmNames: estateHealthAlarmNames(names),
      compositeAlarmName: names.alarms.primaryRegionFailed,
      failoverRuleName: props.failoverRuleName,
      orchestratorFunctionArn: props.orchestratorFunctionArn,
      orchestratorRoleArn: props.orchestratorRoleArn,
      maxReplicationLagSeconds: config.monitoring.maxPromotionLagSeconds,
      lagLookbackSeconds: lagLookbackSeconds(config),
      scheduleDeadLetterQueue: scheduleDeadLetters,
      pipelineAccount: config.toolingAccount === config.workloadAccount ? undefined : config.toolingAccount,
    });

    if (props.fullDrillEnabled) {
      this.fullDrill = new FullDrill(this, 'FullDrill', {
        functionName: resourceName(config, 'full-drill-tasks'),
        stateMachineName: names.fullDrillStateMachine,
        scheduleName: resourceName(config, 'full-drill-weekly'),
        vpc: props.network.vpc,
        subnets: props.network.functionSubnets,
        key: props.key,
        alertTopic: props.alertTopic,
        runbookUrl: runbookUrl(config, 'drill-cleanup-failed.md'),
        commonEnvironment,
        reservedConcurrentExecutions: reservedConcurrencyOf(config, 'fullDrillTasks'),
        primaryInstanceArn: props.primaryInstanceArn,
        primaryEndpoint: props.primaryEndpoint,
        databasePort: config.database.port,
        databaseName: config.database.databaseName,
        dbSecret: { name: names.dbSecret, arnPattern: drSecretArnPattern(this, config, names) },
        failoverStateTableName: names.failoverStateTable,
        instancePrefix: `${config.serviceName}-drill-${config.environmentSuffix}-`,
        instanceClass: 'db.r6g.large',
        // Names the DR replica construct gives its subnet and parameter groups.
        subnetGroupName: `${names.replicaDbInstance}-subnets`,
        parameterGroupName: parameterGroupNames(config).replica,
        securityGroupId: props.replicaSecurityGroupId,
        optionGroupName: `default:postgres-${engineMajor(config)}`,
        drCidr: config.network.drCidr,
        primaryCidr: config.network.primaryCidr,
        scheduleDeadLetterQueue: scheduleDeadLetters,
      });
    }
  }
}
