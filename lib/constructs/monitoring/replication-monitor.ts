import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { reservedConcurrencyOf } from '../../config/dr-config';
import { ENVIRONMENT_DIMENSION, MonitorMetric, type MetricName } from '../../../functions/core/metric-names';
import { acknowledgeFindings, controlTowerFinding } from '../../compliance/nag';
import { METRIC_NAMESPACE } from '../../config/resource-names';
import { grantFailoverStateAccess } from '../failover/failover-state-table';
import { DrFunction } from '../functions/dr-function';
import { DatabasePairFunctionProps, databaseEnvironment, grantDatabaseAccess } from '../functions/database-access';

export type ReplicationMonitorProps = DatabasePairFunctionProps;

/**
 * Measures the database pair from the DR side every minute (heartbeat-based replication lag that
 * stays right on an idle primary, TLS connectivity to both instances, RDS status) and turns the
 * measurements into alarms: lag, reachability, availability, evidence of a primary outage, monitor
 * health, the failed-over signals the writer name follows, and the composite "primary region
 * failed" that triggers the failover orchestrator. Metric names are the runtime's (MonitorMetric).
 */
export class ReplicationMonitor extends Construct {
  readonly function: DrFunction;
  /** The estate's health alarms: OK on a healthy, not failed-over estate; each alerts on ALARM and OK. */
  readonly alarms: Record<'replicationLag' | 'primaryUnreachable' | 'replicaUnreachable' | 'primaryNotAvailable' |
    'primaryFailedState' | 'primaryApiUnreachable' | 'replicaNotAvailable' | 'monitorErrors' | 'failedOver' | 'writerUnprotected', cloudwatch.Alarm>;
  /**
   * FailedOver < 1: in ALARM whenever the estate has NOT failed over (its normal state), OK once the orchestrator
   * published FailedOver=1. Only the SECONDARY writer record follows it; it alerts nobody (failed-over does).
   */
  readonly notFailedOver: cloudwatch.Alarm;
  readonly primaryRegionFailed: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ReplicationMonitorProps) {
    super(scope, id);
    const { config, names } = props;
    const intervalMinutes = config.monitoring.probeIntervalMinutes;

    this.function = new DrFunction(this, 'Monitor', {
      functionName: names.replicationMonitorFunction,
      description: 'Measures replication lag, connectivity and RDS status of the primary and the DR replica',
      entry: 'functions/replication-monitor/handler.ts',
      vpc: props.vpc,
      subnets: props.subnets,
      key: props.key,
      timeout: Duration.seconds(45),
      reservedConcurrentExecutions: reservedConcurrencyOf(config, 'replicationMonitor'),
      databaseAccess: { port: config.database.port, cidrs: { 'primary VPC': config.network.primaryCidr, 'DR VPC': config.network.drCidr } },
      environment: {
        ...databaseEnvironment(config, names, props.databases),
        METRIC_NAMESPACE,
        FAILOVER_STATE_TABLE: props.stateTable.tableName,
      },
    });
    grantDatabaseAccess(this.function.role, config, names, props.key);
    grantFailoverStateAccess(this.function.role, props.stateTable, props.key, 'read');
    grantPutMetrics(this.function.role);

    new events.Rule(this, 'Schedule', {
      ruleName: `${names.replicationMonitorFunction}-schedule`,
      description: 'Runs the replication monitor',
      schedule: events.Schedule.rate(Duration.minutes(intervalMinutes)),
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });

    const metric = (metricName: MetricName, statistic: string) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [ENVIRONMENT_DIMENSION]: config.environmentSuffix },
      statistic,
      period: Duration.minutes(intervalMinutes),
    });
    const alertAction = new actions.SnsAction(props.alertTopic);
    const alarm = (id: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, id, alarmProps);
      created.addAlarmAction(alertAction);
      created.addOkAction(alertAction);
      return created;
    };
    const sustained = config.monitoring.unreachableEvaluationPeriods;
    // A flag the monitor sets to 1 only on positive evidence that the primary is down. Missing data is no evidence:
    // a silent monitor cannot complete the composite (and replica-unreachable, breaching on missing data, blocks it too).
    const evidenceOfOutage = (id: string, alarmName: string, metricName: MetricName, description: string) => alarm(id, {
      alarmName,
      alarmDescription: description,
      metric: metric(metricName, 'Minimum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: sustained,
      datapointsToAlarm: sustained,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const healthBelowOne = (id: string, alarmName: string, metricName: MetricName, description: string) => alarm(id, {
      alarmName,
      alarmDescription: description,
      metric: metric(metricName, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: sustained,
      datapointsToAlarm: sustained,
      // A silent monitor must not look healthy; it also cannot trigger a failover on its own,
      // because the composite alarm requires the replica to be reachable.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    this.alarms = {
      replicationLag: alarm('ReplicationLagAlarm', {
        alarmName: names.alarms.replicationLag,
        alarmDescription: `DR replica more than ${config.monitoring.replicationLagAlarmSeconds} s behind the primary (RPO at risk)`,
        metric: metric(MonitorMetric.ReplicationLagSeconds, 'Maximum'),
        threshold: config.monitoring.replicationLagAlarmSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      }),
      primaryUnreachable: healthBelowOne('PrimaryUnreachableAlarm', names.alarms.primaryUnreachable, MonitorMetric.PrimaryReachable, 'The primary does not answer TLS + SELECT 1 from the DR VPC'),
      replicaUnreachable: healthBelowOne('ReplicaUnreachableAlarm', names.alarms.replicaUnreachable, MonitorMetric.ReplicaReachable, 'The DR replica does not answer TLS + SELECT 1'),
      primaryNotAvailable: healthBelowOne('PrimaryNotAvailableAlarm', names.alarms.primaryNotAvailable, MonitorMetric.PrimaryAvailable, 'RDS reports the primary neither available nor in a routine serving state (or its region\'s API does not answer); an alert only'),
      primaryFailedState: evidenceOfOutage('PrimaryFailedStateAlarm', names.alarms.primaryFailedState, MonitorMetric.PrimaryFailedState, 'RDS reports the primary in a failed state (stopped, failed, storage-full, inaccessible key, ...)'),
      primaryApiUnreachable: evidenceOfOutage('PrimaryApiUnreachableAlarm', names.alarms.primaryApiUnreachable, MonitorMetric.PrimaryApiUnreachable, 'The primary region\'s RDS API does not answer the monitor within its deadline'),
      replicaNotAvailable: healthBelowOne('ReplicaNotAvailableAlarm', names.alarms.replicaNotAvailable, MonitorMetric.ReplicaAvailable, 'RDS does not report the DR replica as available'),
      monitorErrors: alarm('MonitorErrorsAlarm', {
        alarmName: names.alarms.monitorErrors,
        alarmDescription: 'The replication monitor fails or cannot measure',
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(probeErrors, 0) + FILL(invocationErrors, 0)',
          usingMetrics: { probeErrors: metric(MonitorMetric.MonitorErrors, 'Sum'), invocationErrors: this.function.function.metricErrors({ period: Duration.minutes(intervalMinutes) }) },
          period: Duration.minutes(intervalMinutes),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: sustained,
        datapointsToAlarm: sustained,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failedOver: alarm('FailedOverAlarm', {
        alarmName: names.alarms.failedOver,
        alarmDescription: 'The DR replica has been promoted: keeps the PRIMARY writer record unhealthy until an operator fails back',
        metric: metric(MonitorMetric.FailedOver, 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // Sticky: with no new data the alarm keeps its state, so a failed-over estate never looks un-failed.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      writerUnprotected: alarm('WriterUnprotectedAlarm', {
        alarmName: names.alarms.writerUnprotected,
        alarmDescription: 'No replica in another region protects the writer (after a failover until a re-protection completes, or after a fail-back): a second regional outage would lose the database',
        metric: metric(MonitorMetric.WriterProtected, 'Maximum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // Omitted when the state table does not answer: keep the last state rather than guess (monitor-errors alerts).
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
    };
    // The same metric, statistic and period as failed-over, the opposite comparison: the two alarms flip together.
    this.notFailedOver = new cloudwatch.Alarm(this, 'NotFailedOverAlarm', {
      alarmName: names.alarms.notFailedOver,
      alarmDescription: 'In ALARM while the estate has NOT failed over (normal), OK once the DR replica was promoted: the SECONDARY writer record is healthy only then. No action: failed-over alerts.',
      metric: metric(MonitorMetric.FailedOver, 'Maximum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // Keeps its state when the monitor is dead: after a failover the writer name must not depend on the monitor.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    acknowledgeFindings(this.notFailedOver, 'ALARM is the normal state of this alarm (not failed over): it drives the SECONDARY record\'s health check, and an action would page all the time. The failed-over alarm alerts.',
      [controlTowerFinding('cloudwatch_alarm_action_check')]);

    // Two independent kinds of evidence (functions/core/instance-health.ts): the data plane (the primary's server does
    // not answer) AND the control plane (its region's RDS API is silent, or RDS reports a failed state). A routine
    // state (maintenance, storage-optimization, ...) is neither, so it can never complete the rule.
    this.primaryRegionFailed = new cloudwatch.CompositeAlarm(this, 'PrimaryRegionFailed', {
      compositeAlarmName: names.alarms.primaryRegionFailed,
      alarmDescription: 'Primary region failed: unreachable from the DR VPC AND (its RDS API silent OR RDS reports a failed state), while the DR replica is reachable and the estate has not failed over. Triggers the failover orchestrator.',
      alarmRule: cloudwatch.AlarmRule.allOf(
        cloudwatch.AlarmRule.fromAlarm(this.alarms.primaryUnreachable, cloudwatch.AlarmState.ALARM),
        cloudwatch.AlarmRule.anyOf(
          cloudwatch.AlarmRule.fromAlarm(this.alarms.primaryApiUnreachable, cloudwatch.AlarmState.ALARM),
          cloudwatch.AlarmRule.fromAlarm(this.alarms.primaryFailedState, cloudwatch.AlarmState.ALARM),
        ),
        cloudwatch.AlarmRule.not(cloudwatch.AlarmRule.fromAlarm(this.alarms.replicaUnreachable, cloudwatch.AlarmState.ALARM)),
        cloudwatch.AlarmRule.not(cloudwatch.AlarmRule.fromAlarm(this.alarms.failedOver, cloudwatch.AlarmState.ALARM)),
      ),
    });
    this.primaryRegionFailed.addAlarmAction(alertAction);
    this.primaryRegionFailed.addOkAction(alertAction);
  }
}

/** PutMetricData has no resource-level permissions; the namespace condition limits it to ours. */
export function grantPutMetrics(role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
  }));
  acknowledgeFindings(role, `cloudwatch:PutMetricData supports no resource-level permissions; the condition limits it to the ${METRIC_NAMESPACE} namespace.`,
    ['AwsSolutions-IAM5[Resource::*]']);
}
