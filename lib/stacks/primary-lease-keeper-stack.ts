import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { LeaseKeeper } from '../constructs/failover/lease-keeper';
import { PrimaryRegionStack } from './primary-region-stack';

export interface PrimaryLeaseKeeperStackProps extends StackProps {
  readonly config: DrConfig;
  /** The primary region's database, network, key, fence group and topic (same-region references). */
  readonly primaryRegion: PrimaryRegionStack;
}

/**
 * The primary region's lease keeper (failoverMode `automatic`), in its own stack so that it is deployed only once
 * the write lease table exists (DRDatabaseStack). A keeper that runs before its table exists cannot renew, and a
 * keeper that cannot renew fences the primary: deployed in PrimaryRegionStack, the first rollout would have made
 * the live primary read-only until the table arrived. Failing safe (fence) on a missing table stays the rule for a
 * table that disappears later.
 */
export class PrimaryLeaseKeeperStack extends Stack {
  readonly leaseKeeper: LeaseKeeper;

  constructor(scope: Construct, id: string, props: PrimaryLeaseKeeperStackProps) {
    super(scope, id, props);
    const { config, primaryRegion } = props;
    this.leaseKeeper = new LeaseKeeper(this, 'LeaseKeeper', {
      config,
      names: drResourceNames(config),
      vpc: primaryRegion.network.vpc,
      subnets: primaryRegion.network.functionSubnets,
      key: primaryRegion.key,
      database: {
        endpoint: primaryRegion.database.instance.dbInstanceEndpointAddress,
        securityGroup: primaryRegion.database.securityGroup,
        secret: primaryRegion.database.secret,
      },
      fenceSecurityGroup: primaryRegion.fenceSecurityGroup,
      alertTopic: primaryRegion.alertTopic,
    });
  }
}
