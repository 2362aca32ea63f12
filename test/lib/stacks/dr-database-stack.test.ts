import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  buildStage, crossRegionSource, findOne, importedFrom, referencedLogicalId, routeTableIdsOfSubnets,
} from '../support/dr-stage';

type Json = Record<string, any>;

const stage = buildStage();
const drDatabase = Template.fromStack(stage.drDatabase);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);
const replica = findOne(drDatabase, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' });
const replicaProperties = replica.resource.Properties as Json;
const drKeyId = findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId;
const primaryDatabaseId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;

describe('DRDatabaseStack: cross-region read replica', () => {
  it('replicates the primary instance by ARN, the identifier coming from the primary stack by cross-region reference', () => {
    const [prefix, identifier] = replicaProperties.SourceDBInstanceIdentifier['Fn::Join'][1];
    expect(prefix).toBe('arn:aws:rds:us-east-1:123456789012:db:');
    expect(crossRegionSource(identifier, drDatabase, primary)).toEqual({ Ref: primaryDatabaseId });
  });

  it('is encrypted with the DR-region key (KmsKeyId) and sets no StorageEncrypted, which CloudFormation rejects on a replica', () => {
    expect(importedFrom(replicaProperties.KmsKeyId, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
    expect(replicaProperties).not.toHaveProperty('StorageEncrypted');
    expect(importedFrom(replicaProperties.PerformanceInsightsKMSKeyId, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
  });

  it('is Multi-AZ on the configured class with its own backups (PITR right after promotion)', () => {
    expect(replicaProperties).toMatchObject({ MultiAZ: true, DBInstanceClass: 'db.r6g.xlarge' });
    expect(replicaProperties.BackupRetentionPeriod).toBeGreaterThanOrEqual(1);
  });

  it('forces TLS through a postgres14 parameter group of this stack', () => {
    const parameterGroup = drDatabase.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(replicaProperties.DBParameterGroupName)];
    expect(parameterGroup.Properties).toMatchObject({
      Family: 'postgres14', DBParameterGroupName: 'paydb-dr-replica-db-dev-params', Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('is private and destroyable: not public, no deletion protection, DeletionPolicy Delete', () => {
    expect(replicaProperties.PubliclyAccessible).toBe(false);
    expect(replicaProperties.DeletionProtection).toBe(false);
    expect(replica.resource.DeletionPolicy).toBe('Delete');
  });

  it('lives in the DR VPC\'s isolated subnets', () => {
    const subnetGroup = drDatabase.findResources('AWS::RDS::DBSubnetGroup')[referencedLogicalId(replicaProperties.DBSubnetGroupName)];
    const isolated = Object.keys(dr.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]) },
    })).sort();
    expect(subnetGroup.Properties.SubnetIds.map((id: unknown) => referencedLogicalId(importedFrom(id, dr))).sort()).toEqual(isolated);
  });

  it('lets in only PostgreSQL from the DR and primary VPC CIDRs', () => {
    const groupId = referencedLogicalId(replicaProperties.VPCSecurityGroups[0]);
    const ingress = drDatabase.findResources('AWS::EC2::SecurityGroup')[groupId].Properties.SecurityGroupIngress as Json[];
    expect(ingress.map(({ IpProtocol, FromPort, ToPort, CidrIp }) => ({ IpProtocol, FromPort, ToPort, CidrIp })).sort((a, b) => a.CidrIp.localeCompare(b.CidrIp))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.10.0.0/16' },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.0.0/16' },
    ]);
  });
});

describe('DRDatabaseStack: routes back to the primary', () => {
  it('routes the primary CIDR over the peering connection from every private and isolated DR route table', () => {
    const peeringId = findOne(primary, 'AWS::EC2::VPCPeeringConnection').logicalId;
    const routes = Object.values(drDatabase.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '10.10.0.0/16' } }));
    const routedTables = routes.map((route) => {
      expect(crossRegionSource(route.Properties.VpcPeeringConnectionId, drDatabase, primary)).toEqual({ Ref: peeringId });
      return referencedLogicalId(importedFrom(route.Properties.RouteTableId, dr));
    });
    expect(routedTables.sort()).toEqual(routeTableIdsOfSubnets(dr, ['Private', 'Isolated']).sort());
  });
});
