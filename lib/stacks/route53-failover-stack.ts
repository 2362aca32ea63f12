import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { FailoverDns } from '../constructs/dns/failover-dns';
import { DatabaseEndpoints } from '../constructs/functions/database-access';

export interface Route53FailoverStackProps extends StackProps {
  readonly config: DrConfig;
  readonly drVpc: ec2.IVpc;
  /** From the primary-region stack (cross-region reference). */
  readonly primaryVpcId: string;
  readonly databases: DatabaseEndpoints;
}

/**
 * The private hosted zone shared by both VPCs, the health checks that follow the DR monitor's
 * alarms, and the failover records of the writer name.
 */
export class Route53FailoverStack extends Stack {
  readonly hostedZone: route53.PrivateHostedZone;
  readonly dns: FailoverDns;

  constructor(scope: Construct, id: string, props: Route53FailoverStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = drResourceNames(config);
    this.hostedZone = new route53.PrivateHostedZone(this, 'Zone', {
      zoneName: names.hostedZoneName,
      vpc: props.drVpc,
      comment: 'Failover names of the payment database; associated with the primary and DR VPCs',
    });
    this.hostedZone.addVpc(ec2.Vpc.fromVpcAttributes(this, 'PrimaryVpc', {
      vpcId: props.primaryVpcId,
      availabilityZones: config.network.primaryAvailabilityZones,
      region: config.regions.primary,
    }));
    this.dns = new FailoverDns(this, 'WriterFailover', { config, names, zone: this.hostedZone, databases: props.databases });
  }
}
