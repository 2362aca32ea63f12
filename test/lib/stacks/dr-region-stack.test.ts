import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage, findOne, propertiesOf, referencedLogicalId, routeTableIdsOfSubnets, TEST_ACCOUNT } from '../support/dr-stage';

type Json = Record<string, any>;

const stage = buildStage();
const dr = Template.fromStack(stage.drRegion);
const drKeyId = findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId;
const drKeyArn = { 'Fn::GetAtt': [drKeyId, 'Arn'] };
const destination = findOne(dr, 'AWS::S3::Bucket', { BucketName: `paydb-backup-dr-${TEST_ACCOUNT}-dev` });
const destinationProperties = destination.resource.Properties as Json;

describe('DRRegionStack: KMS key', () => {
  it('is this region\'s customer-managed key with rotation, aliased with the suffix, destroyable', () => {
    const key = dr.findResources('AWS::KMS::Key')[drKeyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Delete');
    dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/paydb-dr-key-dev', TargetKeyId: drKeyArn });
  });

  it('lets CloudWatch Logs of this region use the key only for this account\'s log groups', () => {
    const statements = (dr.findResources('AWS::KMS::Key')[drKeyId].Properties.KeyPolicy.Statement) as Json[];
    const logs = statements.find((statement) => statement.Sid === 'AllowCloudWatchLogs');
    expect(logs?.Principal).toEqual({ Service: 'logs.us-east-2.amazonaws.com' });
    expect(JSON.stringify(logs?.Condition)).toContain(`:logs:us-east-2:${TEST_ACCOUNT}:log-group:*`);
  });
});

describe('DRRegionStack: replication destination bucket', () => {
  it('is versioned (required by S3 replication) and KMS-encrypted with the DR key', () => {
    expect(destinationProperties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(destinationProperties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: drKeyArn } },
    ]);
  });

  it('has no replication configuration of its own (the primary stack owns replication)', () => {
    expect(destinationProperties.ReplicationConfiguration).toBeUndefined();
  });

  it('blocks public access and denies requests without TLS', () => {
    expect(destinationProperties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    dr.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: destination.logicalId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('is destroyable: DeletionPolicy Delete and objects auto-deleted', () => {
    expect(destination.resource.DeletionPolicy).toBe('Delete');
    findOne(dr, 'Custom::S3AutoDeleteObjects', { BucketName: { Ref: destination.logicalId } });
  });

  it('publishes its ARN for the primary stack through a cross-region export writer in us-east-1', () => {
    const writer = propertiesOf(dr, 'Custom::CrossRegionExportWriter', { WriterProps: { region: 'us-east-1' } }) as Json;
    expect(Object.values(writer.WriterProps.exports)).toContainEqual({ 'Fn::GetAtt': [destination.logicalId, 'Arn'] });
  });
});

describe('DRRegionStack: alert topic', () => {
  it('is KMS-encrypted with the DR key and named with the suffix', () => {
    const topic = propertiesOf(dr, 'AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' }) as Json;
    expect(topic.KmsMasterKeyId).toEqual(drKeyArn);
  });

  it('accepts only TLS publishers', () => {
    const topicId = findOne(dr, 'AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' }).logicalId;
    dr.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('DRRegionStack: network', () => {
  const vpcId = findOne(dr, 'AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' }).logicalId;

  it('has the DR VPC CIDR and the suffix in its name', () => {
    dr.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16', Tags: Match.arrayWith([{ Key: 'Name', Value: 'paydb-dr-vpc-dev' }]) });
  });

  it('spans the two pinned availability zones with private and isolated subnets', () => {
    for (const type of ['Private', 'Isolated']) {
      const subnets = Object.values(dr.findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: type }]) } }));
      expect(subnets.map((subnet) => subnet.Properties.AvailabilityZone).sort()).toEqual(['us-east-2a', 'us-east-2b']);
      for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
  });

  it('has NAT gateways for Lambda egress and interface endpoints in the DR region', () => {
    expect(Object.keys(dr.findResources('AWS::EC2::NatGateway'))).toHaveLength(2);
    for (const service of ['rds', 'secretsmanager', 'sns', 'monitoring', 'logs']) {
      dr.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: `com.amazonaws.us-east-2.${service}`, VpcId: { Ref: vpcId } });
    }
  });

  it('routes nothing to the primary CIDR itself: the DR database stack adds those routes once the peering exists', () => {
    expect(dr.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '10.10.0.0/16' } })).toEqual({});
    expect(routeTableIdsOfSubnets(dr, ['Private', 'Isolated'])).toHaveLength(4);
  });

  it('logs all VPC traffic to a KMS-encrypted log group', () => {
    const flowLog = propertiesOf(dr, 'AWS::EC2::FlowLog', { ResourceId: { Ref: vpcId } }) as Json;
    expect(flowLog.TrafficType).toBe('ALL');
    expect(dr.findResources('AWS::Logs::LogGroup')[referencedLogicalId(flowLog.LogGroupName)].Properties.KmsKeyId).toEqual(drKeyArn);
  });
});
