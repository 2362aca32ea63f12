import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { DatabaseConfig } from '../../config/dr-config';
import { createPostgresParameterGroup } from './postgres-engine';

export interface ReprotectionTargetProps {
  /** The replica the orchestrator's re-protection creates in this region (`drResourceNames().reprotectReplicaDbInstance`). */
  readonly instanceIdentifier: string;
  /** `drResourceNames().reprotectSubnetGroup`. */
  readonly subnetGroupName: string;
  readonly database: DatabaseConfig;
  readonly vpc: ec2.IVpc;
  /** The region's database subnets (isolated), where the primary runs. */
  readonly subnets: ec2.SubnetSelection;
  /** The primary parameter group's own settings beyond the estate's (the silent-session timeouts): the replica writes after a fail-back. */
  readonly writerParameters: Record<string, string>;
}

/**
 * What the failover orchestrator needs in the primary region to re-protect the promoted DR instance there
 * (CreateDBInstanceReadReplica names its destination's DB subnet group and DB parameter group,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html): a subnet group of
 * the primary VPC's database subnets and the replica's own parameter group, both with fixed names so the orchestrator
 * and its IAM policy name them without a reference. The instance itself is the orchestrator's, created at run time.
 *
 * The parameter group carries the primary's settings: after a fail-back the replica is the writer, and a later
 * switchover freezes it there (read-only default) just as it freezes the primary in its own group.
 */
export class ReprotectionTarget extends Construct {
  readonly subnetGroup: rds.SubnetGroup;
  /** Named `parameterGroupNameOf(instanceIdentifier)` for the configured major (`reprotectParameterGroupName`). */
  readonly parameterGroup: rds.ParameterGroup;

  constructor(scope: Construct, id: string, props: ReprotectionTargetProps) {
    super(scope, id);
    this.subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      description: `Isolated subnets of ${props.instanceIdentifier} (the re-protection replica, created by the failover orchestrator)`,
      subnetGroupName: props.subnetGroupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.parameterGroup = createPostgresParameterGroup(this, props.instanceIdentifier, props.database, props.writerParameters);
    // An L2 parameter group renders its CloudFormation resource only once bound; no instance of this stack binds it.
    this.parameterGroup.bindToInstance({});
  }
}
