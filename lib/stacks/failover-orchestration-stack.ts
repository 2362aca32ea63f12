import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { drResourceNames } from '../config/resource-names';
import { FailoverOrchestration, ReprotectionReferences } from '../constructs/failover/failover-orchestration';
import { DrServiceStackProps } from './dr-service-stack-props';

export interface FailoverOrchestrationStackProps extends DrServiceStackProps {
  readonly trigger: cloudwatch.IAlarm;
  readonly fenceSecurityGroupId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
  readonly reprotection: ReprotectionReferences;
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
