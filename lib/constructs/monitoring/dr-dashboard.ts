import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DRILL_DIMENSION, DRILL_KIND, DrillMetric, ENVIRONMENT_DIMENSION, MonitorMetric, type MetricName } from '../../../functions/core/metric-names';
import { DrConfig } from '../../config/dr-config';
import { DrResourceNames, METRIC_NAMESPACE } from '../../config/resource-names';

export interface DrDashboardProps {
  readonly config: DrConfig;
  readonly names: DrResourceNames;
  /** Health alarms: all OK on a healthy estate. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The two alarms the writer records follow (failed-over, not-failed-over): one of them is always in ALARM. */
  readonly writerSwitchAlarms: cloudwatch.IAlarm[];
}

/** One page for the on-call engineer: lag, connectivity, availability, alarm states, last drill. */
export class DrDashboard extends Construct {
  constructor(scope: Construct, id: string, props: DrDashboardProps) {
    super(scope, id);
    const { config, names } = props;
    const metric = (metricName: MetricName, statistic = 'Maximum', extraDimensions: Record<string, string> = {}) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [ENVIRONMENT_DIMENSION]: config.environmentSuffix, ...extraDimensions },
      statistic,
      period: Duration.minutes(config.monitoring.probeIntervalMinutes),
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: names.dashboard });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Replication lag (s)',
        left: [metric(MonitorMetric.ReplicationLagSeconds)],
        leftAnnotations: [{ value: config.monitoring.replicationLagAlarmSeconds, label: 'alarm', color: '#d62728' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Connectivity and RDS availability (1 = good)',
        left: [MonitorMetric.PrimaryReachable, MonitorMetric.ReplicaReachable, MonitorMetric.PrimaryAvailable, MonitorMetric.ReplicaAvailable].map((name) => metric(name, 'Minimum')),
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
    );
    dashboard.addWidgets(new cloudwatch.GraphWidget({
      title: 'What RDS says about the primary (1 = true): failed state and silent API complete the failover alarm, a routine state never does',
      left: [MonitorMetric.PrimaryFailedState, MonitorMetric.PrimaryApiUnreachable, MonitorMetric.PrimaryRoutineState].map((name) => metric(name)),
      leftYAxis: { min: 0, max: 1 },
      width: 24,
    }));
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'DR alarms', alarms: props.alarms, width: 12 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Writer name: PRIMARY while failed-over is OK, SECONDARY once not-failed-over is OK (one is always in ALARM)',
        alarms: props.writerSwitchAlarms,
        width: 12,
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Last synthetic drill (1 = DR ready) and failover state',
        metrics: [metric(DrillMetric.DrillReady, 'Minimum', { [DRILL_DIMENSION]: DRILL_KIND.synthetic }), metric(MonitorMetric.FailedOver)],
        period: Duration.days(1),
        width: 12,
      }),
    );
  }
}
