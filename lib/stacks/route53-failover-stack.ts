import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DrConfig } from '../config/dr-config';

export interface Route53FailoverStackProps extends StackProps {
  readonly config: DrConfig;
  readonly drVpc: ec2.IVpc;
  /** From the primary-region stack (cross-region reference). */
  readonly primaryVpcId: string;
}

/** The private hosted zone shared by both VPCs that carries the failover writer name. */
export class Route53FailoverStack extends Stack {
  readonly hostedZone: route53.PrivateHostedZone;

  constructor(scope: Construct, id: string, props: Route53FailoverStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.hostedZone = new route53.PrivateHostedZone(this, 'Zone', {
      zoneName: `db.${config.serviceName}-${config.environmentSuffix}.internal`,
      vpc: props.drVpc,
      comment: 'Failover names of the payment database; associated with the primary and DR VPCs',
    });
    this.hostedZone.addVpc(ec2.Vpc.fromVpcAttributes(this, 'PrimaryVpc', {
      vpcId: props.primaryVpcId,
      availabilityZones: config.network.primaryAvailabilityZones,
      region: config.regions.primary,
    }));
  }
}
