import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { drResourceNames } from '../config/resource-names';
import { DrDashboard } from '../constructs/monitoring/dr-dashboard';
import { ReplicationMonitor } from '../constructs/monitoring/replication-monitor';
import { DrServiceStackProps } from './dr-service-stack-props';

export type DRMonitoringStackProps = DrServiceStackProps;

/** DR-region monitoring of the database pair: the probe function, its alarms and the dashboard. */
export class DRMonitoringStack extends Stack {
  readonly monitor: ReplicationMonitor;

  constructor(scope: Construct, id: string, props: DRMonitoringStackProps) {
    super(scope, id, props);
    const names = drResourceNames(props.config);
    this.monitor = new ReplicationMonitor(this, 'ReplicationMonitor', {
      config: props.config,
      names,
      vpc: props.network.vpc,
      subnets: props.network.functionSubnets,
      key: props.key,
      databases: props.databases,
      stateTable: props.stateTable,
      alertTopic: props.alertTopic,
    });
    new DrDashboard(this, 'Dashboard', {
      config: props.config,
      names,
      alarms: [...Object.values(this.monitor.alarms), this.monitor.primaryRegionFailed],
      writerSwitchAlarms: [this.monitor.alarms.failedOver, this.monitor.notFailedOver],
    });
  }
}
