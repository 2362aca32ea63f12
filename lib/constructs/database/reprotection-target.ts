import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

export interface ReprotectionTargetProps {
  /** The primary instance's identifier: the re-protection replica takes it once the old primary is renamed away. */
  readonly instanceIdentifier: string;
  /** `drResourceNames().reprotectSubnetGroup`. */
  readonly subnetGroupName: string;
  readonly vpc: ec2.IVpc;
  /** The region's database subnets (isolated), where the primary runs. */
  readonly subnets: ec2.SubnetSelection;
}

/**
 * What the failover orchestrator needs in the primary region to re-protect the promoted DR instance there
 * (CreateDBInstanceReadReplica names its destination's DB subnet group,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html): a subnet group of
 * the primary VPC's database subnets with a fixed name, so the orchestrator and its IAM policy name it without a
 * reference (the primary instance's own subnet group has a name CDK generates). Everything else the replica is created
 * with is the primary's own: its identifier, parameter group, client security group and the region's key.
 */
export class ReprotectionTarget extends Construct {
  readonly subnetGroup: rds.SubnetGroup;

  constructor(scope: Construct, id: string, props: ReprotectionTargetProps) {
    super(scope, id);
    this.subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      description: `Isolated subnets of ${props.instanceIdentifier} when a re-protection recreates it as a replica (failover orchestrator)`,
      subnetGroupName: props.subnetGroupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
