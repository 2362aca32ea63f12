import { Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { DatabaseEndpoints } from '../constructs/functions/database-access';
import { DrDashboard } from '../constructs/monitoring/dr-dashboard';
import { ReplicationMonitor } from '../constructs/monitoring/replication-monitor';
import { RegionalNetwork } from '../constructs/network/regional-network';

export interface DRMonitoringStackProps extends StackProps {
  readonly config: DrConfig;
  readonly network: RegionalNetwork;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly stateTable: dynamodb.ITable;
  readonly databases: DatabaseEndpoints;
}

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
    });
  }
}
