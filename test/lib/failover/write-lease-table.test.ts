import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage, crossRegionSource, findOne, importedFrom, testConfig } from '../support/dr-stage';

type Json = Record<string, any>;

const stage = buildStage(testConfig());
const drDatabase = Template.fromStack(stage.drDatabase);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);
const table = findOne(drDatabase, 'AWS::DynamoDB::GlobalTable', { TableName: 'paydb-write-lease-dev' });
const properties = table.resource.Properties as Json;
const replica = (region: string) => (properties.Replicas as Json[]).find((candidate) => candidate.Region === region) as Json;

describe('write lease table (DRDatabaseStack, DR region)', () => {
  it('is the only global table, in the DR database stack, keyed by the string pk', () => {
    expect(Object.keys(drDatabase.findResources('AWS::DynamoDB::GlobalTable'))).toHaveLength(1);
    for (const other of [primary, dr]) expect(other.findResources('AWS::DynamoDB::GlobalTable')).toEqual({});
    expect(properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(properties.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('is strongly consistent across regions (MRSC): replicas in the DR and primary regions, the witness in the tooling region', () => {
    expect(properties.MultiRegionConsistency).toBe('STRONG');
    expect((properties.Replicas as Json[]).map((candidate) => candidate.Region).sort()).toEqual(['us-east-1', 'us-east-2']);
    expect(properties.GlobalTableWitnesses).toEqual([{ Region: 'us-west-2' }]);
  });

  it('encrypts each replica with the customer-managed key of its region: DR key by reference, primary key by cross-region reference', () => {
    expect(properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const drKeyId = findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId;
    const primaryKeyId = findOne(primary, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('primary-region') }).logicalId;
    expect(importedFrom(replica('us-east-2').SSESpecification.KMSMasterKeyId, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
    expect(crossRegionSource(replica('us-east-1').SSESpecification.KMSMasterKeyId, drDatabase, primary)).toEqual({ 'Fn::GetAtt': [primaryKeyId, 'Arn'] });
  });

  it('has point-in-time recovery in both replicas, no deletion protection, and is deleted with the stack', () => {
    for (const region of ['us-east-1', 'us-east-2']) {
      expect(replica(region)).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: false });
    }
    expect(table.resource.DeletionPolicy).toBe('Delete');
    expect(table.resource.UpdateReplacePolicy).toBe('Delete');
  });

  it('carries the estate tags in every replica', () => {
    for (const region of ['us-east-1', 'us-east-2']) {
      expect(replica(region).Tags).toEqual(expect.arrayContaining([{ Key: 'DataClassification', Value: 'pci' }, { Key: 'Environment', Value: 'dev' }]));
    }
  });

  it('deploys after the primary region stack, whose key encrypts the primary replica', () => {
    expect(stage.drDatabase.dependencies).toContain(stage.primaryRegion);
  });
});

describe('write lease table in the EU region set', () => {
  const eu = buildStage(testConfig({ environmentSuffix: 'eu', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-west-2' }));
  const euTable = findOne(Template.fromStack(eu.drDatabase), 'AWS::DynamoDB::GlobalTable', { TableName: 'paydb-write-lease-eu' }).resource.Properties as Json;

  it('puts the replicas in the configured database regions and the witness in the tooling region', () => {
    expect((euTable.Replicas as Json[]).map((candidate) => candidate.Region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    expect(euTable.GlobalTableWitnesses).toEqual([{ Region: 'eu-west-2' }]);
  });
});
