import { AspectPriority, Aspects, Stack, Stage, StageProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledgeCdkManagedResources } from '../compliance/cdk-managed-resources';
import { applyComplianceChecks, applyControlTowerChecks } from '../compliance/nag';
import { applyPermissionsBoundary } from '../compliance/permissions-boundary';
import { DrConfig } from '../config/dr-config';
import { AlarmRunbookLinks } from '../constructs/monitoring/alarm-runbook-links';
import { DRDatabaseStack } from '../stacks/dr-database-stack';
import { DRDrillStack } from '../stacks/dr-drill-stack';
import { DRMonitoringStack } from '../stacks/dr-monitoring-stack';
import { DRRegionStack } from '../stacks/dr-region-stack';
import { FailoverOrchestrationStack } from '../stacks/failover-orchestration-stack';
import { PrimaryLeaseKeeperStack } from '../stacks/primary-lease-keeper-stack';
import { PrimaryRegionStack } from '../stacks/primary-region-stack';
import { Route53FailoverStack } from '../stacks/route53-failover-stack';

export interface DisasterRecoveryStageProps extends StageProps {
  readonly config: DrConfig;
}

/**
 * The whole DR estate in dependency order: DR-region foundation → primary region → DR database (the
 * replica needs the primary; the write lease table needs the primary's key) → the primary's lease
 * keeper (failoverMode `automatic`; it needs the lease table) → DR monitoring → Route53 failover →
 * failover orchestration → drills. Values cross regions
 * through CDK's cross-region references (SSM-backed), see docs/architecture.md.
 */
export class DisasterRecoveryStage extends Stage {
  readonly drRegion: DRRegionStack;
  readonly primaryRegion: PrimaryRegionStack;
  readonly drDatabase: DRDatabaseStack;
  /** failoverMode `automatic` only. */
  readonly primaryLeaseKeeper?: PrimaryLeaseKeeperStack;
  readonly drMonitoring: DRMonitoringStack;
  readonly route53Failover: Route53FailoverStack;
  readonly failoverOrchestration: FailoverOrchestrationStack;
  readonly drDrill: DRDrillStack;

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
      drFunctionSubnetCidrs: this.drRegion.network.functionSubnetCidrs,
    });
    this.drDatabase = new DRDatabaseStack(this, 'DRDatabaseStack', {
      ...stackProps('DRDatabaseStack', config.regions.dr),
      network: this.drRegion.network,
      key: this.drRegion.key,
      primaryInstanceArn: this.primaryRegion.database.instance.instanceArn,
      peeringConnectionId: this.primaryRegion.peeringConnectionId,
      primaryKeyArn: this.primaryRegion.key.keyArn,
    });
    if (config.failover.mode === 'automatic') {
      this.primaryLeaseKeeper = new PrimaryLeaseKeeperStack(this, 'PrimaryLeaseKeeperStack', {
        ...stackProps('PrimaryLeaseKeeperStack', config.regions.primary),
        primaryRegion: this.primaryRegion,
      });
    }
    const databases = {
      primaryEndpoint: this.primaryRegion.database.instance.dbInstanceEndpointAddress,
      replicaEndpoint: this.drDatabase.replica.instance.attrEndpointAddress,
    };
    const drServices = {
      network: this.drRegion.network,
      key: this.drRegion.key,
      alertTopic: this.drRegion.alertTopic,
      stateTable: this.drRegion.failoverStateTable,
      databases,
    };
    this.drMonitoring = new DRMonitoringStack(this, 'DRMonitoringStack', {
      ...stackProps('DRMonitoringStack', config.regions.dr),
      ...drServices,
    });
    this.route53Failover = new Route53FailoverStack(this, 'Route53FailoverStack', {
      ...stackProps('Route53FailoverStack', config.regions.dr),
      drVpc: this.drRegion.network.vpc,
      primaryVpcId: this.primaryRegion.network.vpc.vpcId,
      databases,
    });
    this.failoverOrchestration = new FailoverOrchestrationStack(this, 'FailoverOrchestrationStack', {
      ...stackProps('FailoverOrchestrationStack', config.regions.dr),
      ...drServices,
      trigger: this.drMonitoring.monitor.primaryRegionFailed,
      fenceSecurityGroupId: this.primaryRegion.fenceSecurityGroup.securityGroupId,
      hostedZoneId: this.route53Failover.hostedZone.hostedZoneId,
      writerRecordName: this.route53Failover.dns.writerRecordName,
      primaryRecordSetId: this.route53Failover.dns.primaryRecordSetId,
      reprotection: {
        primaryKeyArn: this.primaryRegion.key.keyArn,
        primaryDatabaseSecurityGroupId: this.primaryRegion.database.securityGroup.securityGroupId,
        drDatabaseSecurityGroupId: this.drDatabase.replica.securityGroup.securityGroupId,
        drFenceSecurityGroupId: this.drDatabase.fenceSecurityGroup.securityGroupId,
        primaryMonitoringRoleArn: this.primaryRegion.database.monitoringRole.roleArn,
        drMonitoringRoleArn: this.drDatabase.replica.monitoringRole.roleArn,
      },
    });
    const orchestrator = this.failoverOrchestration.orchestration;
    this.drDrill = new DRDrillStack(this, 'DRDrillStack', {
      ...stackProps('DRDrillStack', config.regions.dr),
      network: this.drRegion.network,
      key: this.drRegion.key,
      alertTopic: this.drRegion.alertTopic,
      replicaEndpoint: databases.replicaEndpoint,
      replicaSecurityGroupId: this.drDatabase.replica.securityGroup.securityGroupId,
      primaryInstanceArn: this.primaryRegion.database.instance.instanceArn,
      primaryEndpoint: databases.primaryEndpoint,
      hostedZoneId: this.route53Failover.hostedZone.hostedZoneId,
      failoverRuleName: orchestrator.triggerRule.ruleName,
      orchestratorFunctionArn: orchestrator.function.function.functionArn,
      orchestratorRoleArn: orchestrator.function.role.roleArn,
      fullDrillEnabled: config.drills.fullDrillEnabled,
    });
    this.primaryRegion.addStackDependency(this.drRegion, 'replicates backups into the DR bucket and peers with the DR VPC');
    this.drDatabase.addStackDependency(this.primaryRegion, 'the cross-region replica needs its source instance');
    this.primaryLeaseKeeper?.addStackDependency(this.drDatabase, 'the keeper renews the lease in the write lease table; before the table exists it could only fence the live primary');
    this.drMonitoring.addStackDependency(this.drDatabase, 'probes the replica');
    this.route53Failover.addStackDependency(this.drMonitoring, 'health checks follow the monitor\'s alarms, referenced by name');
    this.failoverOrchestration.addStackDependency(this.route53Failover, 'pins the writer record of the failover zone');
    this.drDrill.addStackDependency(this.failoverOrchestration, 'the drill checks the whole estate: records, health checks, alarms, the orchestrator and its trigger');

    // CloudFormation's dashboard resource takes no tags (cfn-lint E3002) although CDK offers them.
    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value, { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] });
    for (const stack of this.node.children) {
      if (stack instanceof Stack) acknowledgeCdkManagedResources(stack);
    }
    Aspects.of(this).add(new AlarmRunbookLinks(config), { priority: AspectPriority.MUTATING });
    applyComplianceChecks(this);
    applyControlTowerChecks(this, config.compliance);
    applyPermissionsBoundary(this, config);
  }
}
