import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DisasterRecoveryStage } from '../../../lib/stages/disaster-recovery-stage';
import { buildStage, configFrom, synthesizeApp, TEST_ACCOUNT, testConfig } from '../support/dr-stage';

/** True when `stack` depends on `on`, directly or through other stacks. */
function dependsOn(stack: Stack, on: Stack, seen = new Set<Stack>()): boolean {
  for (const dependency of stack.dependencies) {
    if (dependency === on) return true;
    if (!seen.has(dependency)) {
      seen.add(dependency);
      if (dependsOn(dependency, on, seen)) return true;
    }
  }
  return false;
}

/** Account and region the synthesized cloud assembly records for `stack`. */
function deployedEnvironment(stage: DisasterRecoveryStage, stack: Stack): { account: string; region: string } {
  const { account, region } = stage.synth().getStackArtifact(stack.artifactId).environment;
  return { account, region };
}

const stage = buildStage();
const custom = buildStage(testConfig({
  // One MRSC region set (EU), so failoverMode automatic (the default) builds the write lease there too.
  environmentSuffix: 'qa7', account: '111122223333', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-west-2',
  primaryVpcCidr: '172.16.0.0/16', drVpcCidr: '172.17.0.0/16', natGatewaysPerRegion: '1', fullDrillEnabled: 'true',
}));

describe('DisasterRecoveryStage (default configuration)', () => {
  it('synthesizes the App with zero unacknowledged cdk-nag findings (AwsSolutions and PCI DSS 3.2.1)', () => {
    expect(() => synthesizeApp(stage)).not.toThrow();
    expect(stage.synth().stacks.length).toBeGreaterThanOrEqual(4);
  });

  it('puts the DR foundation, the DR database and Route53 in us-east-2 and the primary in us-east-1', () => {
    expect(deployedEnvironment(stage, stage.drRegion)).toEqual({ account: TEST_ACCOUNT, region: 'us-east-2' });
    expect(deployedEnvironment(stage, stage.primaryRegion)).toEqual({ account: TEST_ACCOUNT, region: 'us-east-1' });
    expect(deployedEnvironment(stage, stage.drDatabase)).toEqual({ account: TEST_ACCOUNT, region: 'us-east-2' });
    expect(deployedEnvironment(stage, stage.route53Failover)).toEqual({ account: TEST_ACCOUNT, region: 'us-east-2' });
  });

  it('deploys every stack of the stage into the workload account, none into the tooling region', () => {
    for (const artifact of stage.synth().stacks) {
      expect(artifact.environment.account).toBe(TEST_ACCOUNT);
      expect(['us-east-1', 'us-east-2']).toContain(artifact.environment.region);
    }
  });

  it('keeps the brief\'s stack names, each with the environment suffix', () => {
    expect(stage.drRegion.stackName).toBe('DRRegionStack-dev');
    expect(stage.primaryRegion.stackName).toBe('PrimaryRegionStack-dev');
    expect(stage.drDatabase.stackName).toBe('DRDatabaseStack-dev');
    expect(stage.route53Failover.stackName).toBe('Route53FailoverStack-dev');
    for (const artifact of stage.synth().stacks) expect(artifact.stackName).toMatch(/-dev$/);
  });

  it('orders the stacks DR foundation → primary → DR database → Route53', () => {
    expect(stage.primaryRegion.dependencies).toContain(stage.drRegion);
    expect(stage.drDatabase.dependencies).toContain(stage.primaryRegion);
    expect(dependsOn(stage.route53Failover, stage.drDatabase)).toBe(true);
    expect(dependsOn(stage.drRegion, stage.primaryRegion)).toBe(false);
    expect(dependsOn(stage.primaryRegion, stage.drDatabase)).toBe(false);
    expect(dependsOn(stage.drDatabase, stage.route53Failover)).toBe(false);
  });

  it('records the dependency order in the cloud assembly the pipeline deploys from', () => {
    const assembly = stage.synth();
    const dependencyIds = (stack: Stack) => assembly.getStackArtifact(stack.artifactId).dependencies.map((artifact) => artifact.id);
    expect(dependencyIds(stage.primaryRegion)).toContain(stage.drRegion.artifactId);
    expect(dependencyIds(stage.drDatabase)).toContain(stage.primaryRegion.artifactId);
    expect(dependencyIds(stage.drRegion)).not.toContain(stage.primaryRegion.artifactId);
  });

  it('tags every stack with the environment and the RPO/RTO targets', () => {
    for (const stack of [stage.drRegion, stage.primaryRegion, stage.drDatabase, stage.route53Failover]) {
      expect(stack.tags.tagValues()).toMatchObject({ Environment: 'dev', RpoTarget: '1h', RtoTarget: '4h', Project: 'payments-dr' });
    }
  });
});

describe('DisasterRecoveryStage (custom regions, account, suffix, CIDRs, NAT count, full drill on)', () => {
  it('synthesizes the App with zero unacknowledged cdk-nag findings', () => {
    expect(() => synthesizeApp(custom)).not.toThrow();
  });

  it('places the stacks in the configured regions and account', () => {
    expect(deployedEnvironment(custom, custom.primaryRegion)).toEqual({ account: '111122223333', region: 'eu-west-1' });
    expect(deployedEnvironment(custom, custom.drRegion)).toEqual({ account: '111122223333', region: 'eu-central-1' });
    expect(deployedEnvironment(custom, custom.drDatabase)).toEqual({ account: '111122223333', region: 'eu-central-1' });
    expect(deployedEnvironment(custom, custom.route53Failover)).toEqual({ account: '111122223333', region: 'eu-central-1' });
  });

  it('carries the suffix into stack names and resource names', () => {
    for (const artifact of custom.synth().stacks) expect(artifact.stackName).toMatch(/-qa7$/);
    Template.fromStack(custom.primaryRegion).hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-qa7' });
    Template.fromStack(custom.drDatabase).hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-qa7' });
    Template.fromStack(custom.drRegion).hasResourceProperties('AWS::S3::Bucket', { BucketName: 'paydb-backup-dr-111122223333-qa7' });
  });

  it('builds the write lease in the EU MRSC set: keeper in the primary region, table replicas in both database regions, witness in the tooling region', () => {
    expect(deployedEnvironment(custom, custom.primaryLeaseKeeper!)).toEqual({ account: '111122223333', region: 'eu-west-1' });
    Template.fromStack(custom.drDatabase).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'paydb-write-lease-qa7', MultiRegionConsistency: 'STRONG', GlobalTableWitnesses: [{ Region: 'eu-west-2' }],
    });
  });

  it('peers with and replicates to the configured DR region', () => {
    const primary = Template.fromStack(custom.primaryRegion);
    primary.hasResourceProperties('AWS::EC2::VPCPeeringConnection', { PeerRegion: 'eu-central-1' });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', { ReplicaRegions: [{ Region: 'eu-central-1', KmsKeyId: {} }] });
  });

  it('uses the configured CIDRs for the VPCs and the peering routes both ways', () => {
    const primary = Template.fromStack(custom.primaryRegion);
    primary.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.16.0.0/16' });
    Template.fromStack(custom.drRegion).hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '172.17.0.0/16' });
    expect(Object.keys(primary.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '172.17.0.0/16' } }))).toHaveLength(4);
    expect(Object.keys(Template.fromStack(custom.drDatabase).findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '172.16.0.0/16' } }))).toHaveLength(4);
    primary.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '172.16.0.0/16', FromPort: 5432 }), Match.objectLike({ CidrIp: '172.17.0.0/16', FromPort: 5432 })],
    });
  });

  it('builds as many NAT gateways per region as configured', () => {
    expect(Object.keys(Template.fromStack(custom.primaryRegion).findResources('AWS::EC2::NatGateway'))).toHaveLength(1);
    expect(Object.keys(Template.fromStack(custom.drRegion).findResources('AWS::EC2::NatGateway'))).toHaveLength(1);
  });

  it('uses the pinned availability zones of each region', () => {
    expect(custom.primaryRegion.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(custom.drRegion.availabilityZones).toEqual(['eu-central-1a', 'eu-central-1b']);
    Template.fromStack(custom.drRegion).hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-central-1b' });
  });
});

describe('DisasterRecoveryStage without an account (credential-free synth)', () => {
  it('synthesizes the App (nag included) with the placeholder account in every stack environment', () => {
    const placeholderStage = buildStage(configFrom());
    expect(() => synthesizeApp(placeholderStage)).not.toThrow();
    for (const artifact of placeholderStage.synth().stacks) expect(artifact.environment.account).toBe('000000000000');
  });
});

describe('DisasterRecoveryStage removal policies', () => {
  const statefulTypes = [
    'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::RDS::DBInstance', 'AWS::Logs::LogGroup', 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable', 'AWS::SecretsManager::Secret',
  ];

  // Destroyable: DeletionPolicy Delete everywhere. A database instance that a deployment replaces is snapshotted first
  // (UpdateReplacePolicy Snapshot, keepSnapshotWhenReplaced); a replacement deletes everything else.
  it('makes every stateful resource of every stack destroyable (DeletionPolicy Delete; UpdateReplacePolicy Snapshot for a database instance, else Delete)', () => {
    let checked = 0;
    for (const stack of stage.node.children.filter((child): child is Stack => child instanceof Stack)) {
      const template = Template.fromStack(stack);
      for (const type of statefulTypes) {
        for (const [logicalId, resource] of Object.entries(template.findResources(type))) {
          expect({ stack: stack.stackName, logicalId, DeletionPolicy: resource.DeletionPolicy, UpdateReplacePolicy: resource.UpdateReplacePolicy })
            .toEqual({ stack: stack.stackName, logicalId, DeletionPolicy: 'Delete', UpdateReplacePolicy: type === 'AWS::RDS::DBInstance' ? 'Snapshot' : 'Delete' });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('turns deletion protection off on every database', () => {
    for (const stack of [stage.primaryRegion, stage.drDatabase]) {
      for (const instance of Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBInstance'))) {
        expect(instance.Properties.DeletionProtection).toBe(false);
      }
    }
  });
});

describe('DisasterRecoveryStage naming {service}-{purpose}-{environmentSuffix}', () => {
  it('names the databases, keys, buckets, topics and secret with the suffix', () => {
    const primary = Template.fromStack(stage.primaryRegion);
    const dr = Template.fromStack(stage.drRegion);
    primary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });
    Template.fromStack(stage.drDatabase).hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' });
    primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/paydb-primary-key-dev' });
    dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/paydb-dr-key-dev' });
    primary.hasResourceProperties('AWS::S3::Bucket', { BucketName: `paydb-backup-primary-${TEST_ACCOUNT}-dev` });
    dr.hasResourceProperties('AWS::S3::Bucket', { BucketName: `paydb-backup-dr-${TEST_ACCOUNT}-dev` });
    primary.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'paydb-primary-alerts-dev' });
    dr.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'paydb-db-credentials-dev' });
  });

  it('puts a custom suffix into the same names and into no name of the default stage', () => {
    const primary = Template.fromStack(custom.primaryRegion);
    primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/paydb-primary-key-qa7' });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'paydb-db-credentials-qa7' });
    Template.fromStack(custom.drRegion).hasResourceProperties('AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-qa7' });
    expect(JSON.stringify(Template.fromStack(custom.primaryRegion).toJSON())).not.toMatch(/paydb-[a-z-]+-dev\b/);
  });
});
