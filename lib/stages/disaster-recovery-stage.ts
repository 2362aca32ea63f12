import { Stage, StageProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledgeCdkManagedResources } from '../compliance/cdk-managed-resources';
import { applyComplianceChecks } from '../compliance/nag';
import { DrConfig } from '../config/dr-config';
import { DRDatabaseStack } from '../stacks/dr-database-stack';
import { DRRegionStack } from '../stacks/dr-region-stack';
import { PrimaryRegionStack } from '../stacks/primary-region-stack';
import { Route53FailoverStack } from '../stacks/route53-failover-stack';

export interface DisasterRecoveryStageProps extends StageProps {
  readonly config: DrConfig;
}

/**
 * The whole DR estate in dependency order: DR-region foundation → primary region → DR database
 * (the replica needs the primary) → Route53 failover. Values cross regions through CDK's
 * cross-region references (SSM-backed), see README.
 */
export class DisasterRecoveryStage extends Stage {
  readonly drRegion: DRRegionStack;
  readonly primaryRegion: PrimaryRegionStack;
  readonly drDatabase: DRDatabaseStack;
  readonly route53Failover: Route53FailoverStack;

  constructor(scope: Construct, id: string, props: DisasterRecoveryStageProps) {
    super(scope, id, props);
    const { config } = props;
    const account = config.workloadAccount;
    const stackProps = (stackId: string, region: string) => ({
      config,
      env: { account, region },
      stackName: `${stackId}-${config.environmentSuffix}`,
      crossRegionReferences: true,
    });

    this.drRegion = new DRRegionStack(this, 'DRRegionStack', stackProps('DRRegionStack', config.regions.dr));
    this.primaryRegion = new PrimaryRegionStack(this, 'PrimaryRegionStack', {
      ...stackProps('PrimaryRegionStack', config.regions.primary),
      drVpcId: this.drRegion.network.vpc.vpcId,
      drKey: this.drRegion.key,
      drBackupBucketArn: this.drRegion.backupBucket.bucketArn,
    });
    this.drDatabase = new DRDatabaseStack(this, 'DRDatabaseStack', {
      ...stackProps('DRDatabaseStack', config.regions.dr),
      network: this.drRegion.network,
      key: this.drRegion.key,
      primaryInstanceArn: this.primaryRegion.database.instance.instanceArn,
      peeringConnectionId: this.primaryRegion.peeringConnectionId,
    });
    this.route53Failover = new Route53FailoverStack(this, 'Route53FailoverStack', {
      ...stackProps('Route53FailoverStack', config.regions.dr),
      drVpc: this.drRegion.network.vpc,
      primaryVpcId: this.primaryRegion.network.vpc.vpcId,
    });
    this.primaryRegion.addStackDependency(this.drRegion, 'replicates backups into the DR bucket and peers with the DR VPC');
    this.drDatabase.addStackDependency(this.primaryRegion, 'the cross-region replica needs its source instance');
    this.route53Failover.addStackDependency(this.drDatabase, 'failover records point at the replica');

    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);
    for (const stack of [this.drRegion, this.primaryRegion, this.drDatabase, this.route53Failover]) acknowledgeCdkManagedResources(stack);
    applyComplianceChecks(this);
  }
}
