import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface DatabaseSecurityGroupProps {
  readonly vpc: ec2.IVpc;
  readonly port: number;
  /** VPC CIDRs whose clients may reach the database (this region's and the peer region's). */
  readonly clientCidrs: Record<string, string>;
  readonly description: string;
}

/** Ingress on the PostgreSQL port only, only from the named VPC CIDRs; no egress (RDS needs none). */
export class DatabaseSecurityGroup extends Construct {
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseSecurityGroupProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: props.description,
      allowAllOutbound: false,
    });
    for (const [label, cidr] of Object.entries(props.clientCidrs)) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(props.port), `PostgreSQL over TLS from ${label}`);
    }
  }
}
