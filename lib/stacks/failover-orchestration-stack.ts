import { Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { FailoverOrchestration } from '../constructs/failover/failover-orchestration';
import { DatabaseEndpoints } from '../constructs/functions/database-access';
import { RegionalNetwork } from '../constructs/network/regional-network';

export interface FailoverOrchestrationStackProps extends StackProps {
  readonly config: DrConfig;
  readonly network: RegionalNetwork;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly stateTable: dynamodb.ITable;
  readonly databases: DatabaseEndpoints;
  readonly trigger: cloudwatch.IAlarm;
  readonly fenceSecurityGroupId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
}

/** DR-region failover orchestrator and the rules that start and resume it. */
export class FailoverOrchestrationStack extends Stack {
  readonly orchestration: FailoverOrchestration;

  constructor(scope: Construct, id: string, props: FailoverOrchestrationStackProps) {
    super(scope, id, props);
    this.orchestration = new FailoverOrchestration(this, 'FailoverOrchestration', {
      ...props,
      names: drResourceNames(props.config),
      vpc: props.network.vpc,
      subnets: props.network.functionSubnets,
    });
  }
}
