import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DrConfig } from '../../config/dr-config';
import { DrResourceNames, METRIC_NAMESPACE } from '../../config/resource-names';

export interface DrDashboardProps {
  readonly config: DrConfig;
  readonly names: DrResourceNames;
  readonly alarms: cloudwatch.IAlarm[];
}

/** One page for the on-call engineer: lag, connectivity, availability, alarm states, last drill. */
export class DrDashboard extends Construct {
  constructor(scope: Construct, id: string, props: DrDashboardProps) {
    super(scope, id);
    const { config, names } = props;
    const metric = (metricName: string, statistic = 'Maximum', extraDimensions: Record<string, string> = {}) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { EnvironmentSuffix: config.environmentSuffix, ...extraDimensions },
      statistic,
      period: Duration.minutes(config.monitoring.probeIntervalMinutes),
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: names.dashboard });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Replication lag (s)',
        left: [metric('ReplicationLagSeconds')],
        leftAnnotations: [{ value: config.monitoring.replicationLagAlarmSeconds, label: 'alarm', color: '#d62728' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Connectivity and RDS availability (1 = good)',
        left: ['PrimaryReachable', 'ReplicaReachable', 'PrimaryAvailable', 'ReplicaAvailable'].map((name) => metric(name, 'Minimum')),
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'DR alarms', alarms: props.alarms, width: 12 }),
      new cloudwatch.SingleValueWidget({
        title: 'Last synthetic drill (1 = DR ready) and failover state',
        metrics: [metric('DrillReady', 'Minimum', { Drill: 'synthetic' }), metric('FailedOver')],
        period: Duration.days(1),
        width: 12,
      }),
    );
  }
}
