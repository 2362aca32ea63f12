import { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  buildStage, crossRegionSource, findOne, pointsAt, propertiesOf, referencedLogicalId, routeTableIdsOfSubnets, TEST_ACCOUNT, testConfig,
} from '../support/dr-stage';

const config = testConfig();
const stage = buildStage(config);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);

type Json = Record<string, any>;

const primaryKeyId = findOne(primary, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('primary-region') }).logicalId;
const drKeyId = findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId;
const primaryKeyArn = { 'Fn::GetAtt': [primaryKeyId, 'Arn'] };
const database = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });
const databaseProperties = database.resource.Properties as Json;
const backupBucket = findOne(primary, 'AWS::S3::Bucket', { BucketName: `paydb-backup-primary-${TEST_ACCOUNT}-dev` });
const backupBucketProperties = backupBucket.resource.Properties as Json;
const vpcId = findOne(primary, 'AWS::EC2::VPC', { CidrBlock: '10.10.0.0/16' }).logicalId;

describe('PrimaryRegionStack: KMS key', () => {
  it('is customer managed with rotation, aliased {service}-{purpose}-{suffix}, destroyable', () => {
    const key = primary.findResources('AWS::KMS::Key')[primaryKeyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Delete');
    primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/paydb-primary-key-dev', TargetKeyId: primaryKeyArn });
  });
});

describe('PrimaryRegionStack: PostgreSQL primary', () => {
  it('runs postgres 14.22 on db.r6g.xlarge, Multi-AZ', () => {
    expect(databaseProperties).toMatchObject({ Engine: 'postgres', EngineVersion: '14.22', DBInstanceClass: 'db.r6g.xlarge', MultiAZ: true });
  });

  it('encrypts storage and Performance Insights with this region\'s key', () => {
    expect(databaseProperties.StorageEncrypted).toBe(true);
    expect(databaseProperties.KmsKeyId).toEqual(primaryKeyArn);
    expect(databaseProperties.PerformanceInsightsKMSKeyId).toEqual(primaryKeyArn);
  });

  it('keeps automated backups (point-in-time recovery) for the configured days', () => {
    expect(databaseProperties.BackupRetentionPeriod).toBeGreaterThanOrEqual(1);
    expect(databaseProperties.BackupRetentionPeriod).toBe(config.database.backupRetentionDays);
  });

  it('is destroyable: no deletion protection, DeletionPolicy Delete (no final snapshot); a replacement snapshots it first', () => {
    expect(databaseProperties.DeletionProtection).toBe(false);
    expect(database.resource.DeletionPolicy).toBe('Delete');
    expect(database.resource.UpdateReplacePolicy).toBe('Snapshot');
  });

  it('has no public endpoint and lives only in isolated subnets', () => {
    expect(databaseProperties.PubliclyAccessible).toBe(false);
    const subnetGroup = primary.findResources('AWS::RDS::DBSubnetGroup')[referencedLogicalId(databaseProperties.DBSubnetGroupName)];
    const isolatedSubnetIds = Object.keys(primary.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]) },
    }));
    expect(isolatedSubnetIds).toHaveLength(2);
    expect(subnetGroup.Properties.SubnetIds.map(referencedLogicalId).sort()).toEqual(isolatedSubnetIds.sort());
  });

  it('forces TLS through its own postgres14 parameter group', () => {
    const parameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(databaseProperties.DBParameterGroupName)];
    expect(parameterGroup.Properties).toMatchObject({
      Family: 'postgres14',
      DBParameterGroupName: 'paydb-primary-db-dev-params',
      Parameters: { 'rds.force_ssl': '1', ssl_min_protocol_version: 'TLSv1.2' },
    });
  });

  it('ends sessions silent longer than half the shortest silence before a lease takeover (a frozen primary that resumes after a takeover cannot commit for its pooled sessions)', () => {
    const parameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(databaseProperties.DBParameterGroupName)];
    // (TTL 45 s + margin 30 s − longest renewal gap 25 s: 10 s interval + 5 s between keeper runs + 10 s cold start) / 2
    expect(parameterGroup.Properties.Parameters).toMatchObject({ idle_session_timeout: '25000', idle_in_transaction_session_timeout: '25000' });
    // The replica's group has no such timeouts: it must keep the DR side's own sessions.
    const custom = Template.fromStack(buildStage(testConfig({ leaseTtlSeconds: '60' })).primaryRegion);
    const customGroup = Object.values(custom.findResources('AWS::RDS::DBParameterGroup', { Properties: { DBParameterGroupName: 'paydb-primary-db-dev-params' } }))[0];
    expect(customGroup.Properties.Parameters.idle_session_timeout).toBe('32500');
  });

  it('takes its credentials from the Secrets Manager secret', () => {
    const secretId = findOne(primary, 'AWS::SecretsManager::Secret', { Name: 'paydb-db-credentials-dev' }).logicalId;
    expect(JSON.stringify(databaseProperties.MasterUserPassword)).toContain(`{"Ref":"${secretId}"}`);
    primary.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      SecretId: { Ref: secretId }, TargetId: { Ref: database.logicalId }, TargetType: 'AWS::RDS::DBInstance',
    });
  });
});

describe('PrimaryRegionStack: credentials secret', () => {
  const secret = findOne(primary, 'AWS::SecretsManager::Secret', { Name: 'paydb-db-credentials-dev' });
  const secretProperties = secret.resource.Properties as Json;

  it('is encrypted with this region\'s key and generates the master password for dbadmin', () => {
    expect(secretProperties.KmsKeyId).toEqual(primaryKeyArn);
    expect(secretProperties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'password', SecretStringTemplate: '{"username":"dbadmin"}' });
  });

  it('is replicated into the DR region, encrypted there with the DR key', () => {
    expect(secretProperties.ReplicaRegions).toHaveLength(1);
    expect(secretProperties.ReplicaRegions[0].Region).toBe('us-east-2');
    expect(crossRegionSource(secretProperties.ReplicaRegions[0].KmsKeyId, primary, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
  });

  it('rotates every 30 days with the hosted single-user PostgreSQL rotation in the function subnets', () => {
    const rotation = propertiesOf(primary, 'AWS::SecretsManager::RotationSchedule', { SecretId: { Ref: secret.logicalId } }) as Json;
    expect(rotation.RotationRules.ScheduleExpression).toBe('rate(30 days)');
    expect(rotation.HostedRotationLambda).toMatchObject({
      RotationType: 'PostgreSQLSingleUser', RotationLambdaName: 'paydb-primary-db-dev-rotation', KmsKeyArn: primaryKeyArn,
    });
    expect(JSON.stringify(rotation.HostedRotationLambda.VpcSubnetIds)).toMatch(/functionsSubnet1.*functionsSubnet2/);
  });

  it('lets the rotation function reach only the Secrets Manager endpoint and the database, inside the VPC', () => {
    const rotation = propertiesOf(primary, 'AWS::SecretsManager::RotationSchedule', { SecretId: { Ref: secret.logicalId } }) as Json;
    const groupId = rotation.HostedRotationLambda.VpcSecurityGroupIds['Fn::GetAtt'][0];
    const egress = primary.toJSON().Resources[groupId].Properties.SecurityGroupEgress as Json[];
    expect(egress.map(({ IpProtocol, FromPort, ToPort }: Json) => `${IpProtocol} ${FromPort}-${ToPort}`).sort()).toEqual(['tcp 443-443', 'tcp 5432-5432']);
    for (const rule of egress) expect(rule.CidrIp).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^NetworkVpc/), 'CidrBlock'] });
  });
});

describe('PrimaryRegionStack: backup bucket', () => {
  const rules = backupBucketProperties.ReplicationConfiguration?.Rules as Json[];

  it('is versioned, KMS-encrypted with this region\'s key and blocks public access', () => {
    expect(backupBucketProperties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(backupBucketProperties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: primaryKeyArn } },
    ]);
    expect(backupBucketProperties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
  });

  it('denies requests without TLS', () => {
    primary.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: backupBucket.logicalId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
  });

  it('replicates with one enabled rule to the DR bucket, whose ARN comes from the DR stack by cross-region reference', () => {
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ Id: 'paydb-backup-to-dr-dev', Status: 'Enabled', Filter: { Prefix: '' } });
    const destination = crossRegionSource(rules[0].Destination.Bucket, primary, dr);
    const drBucketId = findOne(dr, 'AWS::S3::Bucket', { BucketName: `paydb-backup-dr-${TEST_ACCOUNT}-dev` }).logicalId;
    expect(destination).toEqual({ 'Fn::GetAtt': [drBucketId, 'Arn'] });
  });

  it('uses Replication Time Control of 15 minutes with replication metrics', () => {
    expect(rules[0].Destination.ReplicationTime).toEqual({ Status: 'Enabled', Time: { Minutes: 15 } });
    expect(rules[0].Destination.Metrics).toEqual({ Status: 'Enabled', EventThreshold: { Minutes: 15 } });
  });

  it('replicates KMS-encrypted objects, re-encrypting them with the DR key, and delete markers', () => {
    expect(rules[0].SourceSelectionCriteria).toEqual({ SseKmsEncryptedObjects: { Status: 'Enabled' } });
    expect(crossRegionSource(rules[0].Destination.EncryptionConfiguration.ReplicaKmsKeyID, primary, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
    expect(rules[0].DeleteMarkerReplication).toEqual({ Status: 'Enabled' });
  });

  it('replicates with a role S3 assumes, allowed to decrypt here and encrypt with the DR key only', () => {
    const roleId = referencedLogicalId(backupBucketProperties.ReplicationConfiguration.Role);
    const role = primary.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 's3.amazonaws.com' } }),
    ]);
    const policy = propertiesOf(primary, 'AWS::IAM::Policy', { Roles: [{ Ref: roleId }] }) as Json;
    const statements = policy.PolicyDocument.Statement as Json[];
    const byAction = (action: string) => statements.find((statement) => [statement.Action].flat().includes(action));
    expect(byAction('kms:Decrypt')?.Resource).toEqual(primaryKeyArn);
    expect(crossRegionSource(byAction('kms:Encrypt')?.Resource, primary, dr)).toEqual({ 'Fn::GetAtt': [drKeyId, 'Arn'] });
    expect(JSON.stringify(byAction('s3:ReplicateObject')?.Resource)).toContain(`:s3:::paydb-backup-dr-${TEST_ACCOUNT}-dev/*`);
    for (const statement of statements) expect(statement.Resource).not.toBe('*');
  });

  it('sends replication failure, missed-threshold and not-tracked events to the encrypted alert topic', () => {
    const topicId = findOne(primary, 'AWS::SNS::Topic', { TopicName: 'paydb-primary-alerts-dev' }).logicalId;
    const notifications = propertiesOf(primary, 'Custom::S3BucketNotifications', { BucketName: { Ref: backupBucket.logicalId } }) as Json;
    const events = (notifications.NotificationConfiguration.TopicConfigurations as Json[])
      .filter((configuration) => configuration.TopicArn.Ref === topicId)
      .flatMap((configuration) => configuration.Events);
    expect(events.sort()).toEqual([
      's3:Replication:OperationFailedReplication', 's3:Replication:OperationMissedThreshold', 's3:Replication:OperationNotTracked',
    ]);
    expect(primary.findResources('AWS::SNS::Topic')[topicId].Properties.KmsMasterKeyId).toEqual(primaryKeyArn);
  });

  it('is destroyable: DeletionPolicy Delete and objects auto-deleted', () => {
    expect(backupBucket.resource.DeletionPolicy).toBe('Delete');
    expect(backupBucket.resource.UpdateReplacePolicy).toBe('Delete');
    const autoDelete = findOne(primary, 'Custom::S3AutoDeleteObjects', { BucketName: { Ref: backupBucket.logicalId } });
    expect(autoDelete.resource.DeletionPolicy).toBe('Delete');
  });

  it('logs access to a TLS-only, versioned, destroyable log bucket', () => {
    const logBucketId = referencedLogicalId(backupBucketProperties.LoggingConfiguration.DestinationBucketName);
    const logBucket = primary.findResources('AWS::S3::Bucket')[logBucketId];
    expect(logBucket.Properties.BucketName).toBe(`paydb-backup-primary-${TEST_ACCOUNT}-dev-logs`);
    expect(logBucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(logBucket.DeletionPolicy).toBe('Delete');
    findOne(primary, 'Custom::S3AutoDeleteObjects', { BucketName: { Ref: logBucketId } });
  });
});

describe('PrimaryRegionStack: network', () => {
  const peering = findOne(primary, 'AWS::EC2::VPCPeeringConnection');
  const peeringProperties = peering.resource.Properties as Json;

  it('has a VPC of the configured CIDR named {service}-{purpose}-{suffix}', () => {
    primary.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '10.10.0.0/16', Tags: Match.arrayWith([{ Key: 'Name', Value: 'paydb-primary-vpc-dev' }]),
    });
  });

  it('requests peering from this VPC to the DR VPC (cross-region reference) in us-east-2', () => {
    expect(peeringProperties.VpcId).toEqual({ Ref: vpcId });
    expect(peeringProperties.PeerRegion).toBe('us-east-2');
    const drVpcId = findOne(dr, 'AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' }).logicalId;
    expect(crossRegionSource(peeringProperties.PeerVpcId, primary, dr)).toEqual({ Ref: drVpcId });
  });

  it('routes the DR CIDR over the peering from every private and isolated route table', () => {
    const routeTables = routeTableIdsOfSubnets(primary, ['Private', 'Isolated']);
    expect(routeTables).toHaveLength(4);
    for (const routeTableId of routeTables) {
      primary.hasResourceProperties('AWS::EC2::Route', {
        RouteTableId: { Ref: routeTableId }, DestinationCidrBlock: '10.20.0.0/16', VpcPeeringConnectionId: { Ref: peering.logicalId },
      });
    }
  });

  it('does not route the DR CIDR anywhere but over the peering', () => {
    for (const route of Object.values(primary.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '10.20.0.0/16' } }))) {
      expect(route.Properties.VpcPeeringConnectionId).toEqual({ Ref: peering.logicalId });
    }
  });

  it('has as many NAT gateways as configured, in public subnets', () => {
    const natGateways = Object.values(primary.findResources('AWS::EC2::NatGateway'));
    expect(natGateways).toHaveLength(config.network.natGatewaysPerRegion);
    const publicSubnets = Object.keys(primary.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Public' }]) },
    }));
    for (const natGateway of natGateways) expect(publicSubnets).toContain(referencedLogicalId(natGateway.Properties.SubnetId));
  });

  it('has interface endpoints for the AWS APIs the functions call and gateway endpoints for S3 and DynamoDB', () => {
    for (const service of ['rds', 'secretsmanager', 'sns', 'monitoring', 'logs']) {
      primary.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.us-east-1.${service}`, VpcEndpointType: 'Interface', PrivateDnsEnabled: true, VpcId: { Ref: vpcId },
      });
    }
    for (const service of ['s3', 'dynamodb']) {
      primary.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] }, VpcEndpointType: 'Gateway',
      });
    }
  });

  it('logs all VPC traffic to a KMS-encrypted, destroyable log group', () => {
    const flowLog = propertiesOf(primary, 'AWS::EC2::FlowLog', { ResourceId: { Ref: vpcId } }) as Json;
    expect(flowLog).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    const logGroup = primary.findResources('AWS::Logs::LogGroup')[referencedLogicalId(flowLog.LogGroupName)];
    expect(logGroup.Properties).toMatchObject({ LogGroupName: '/vpc/flow-logs/paydb-primary-vpc-dev', KmsKeyId: primaryKeyArn });
    expect(logGroup.DeletionPolicy).toBe('Delete');
  });
});

describe('PrimaryRegionStack: security groups', () => {
  const securityGroups = primary.findResources('AWS::EC2::SecurityGroup');
  const standaloneIngress = Object.values(primary.findResources('AWS::EC2::SecurityGroupIngress')).map((rule) => rule.Properties as Json);
  const databaseGroupId = referencedLogicalId(databaseProperties.VPCSecurityGroups[0]);

  it('gives the database one security group', () => {
    expect(databaseProperties.VPCSecurityGroups).toHaveLength(1);
  });

  it('lets in only PostgreSQL (tcp 5432) from the primary and DR VPC CIDRs (the lease keeper\'s rule is in its own stack, see test/lib/failover/lease-keeper.test.ts)', () => {
    const inline = securityGroups[databaseGroupId].Properties.SecurityGroupIngress as Json[];
    expect(inline.map(({ IpProtocol, FromPort, ToPort, CidrIp }) => ({ IpProtocol, FromPort, ToPort, CidrIp }))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.10.0.0/16' },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.0.0/16' },
    ]);
    const standalone = standaloneIngress.filter((candidate) => pointsAt(candidate.GroupId, databaseGroupId));
    expect(standalone).toEqual([]);
  });

  it('opens nothing to the internet (no 0.0.0.0/0 or ::/0 ingress anywhere in the stack)', () => {
    const allIngress = [
      ...Object.values(securityGroups).flatMap((group) => (group.Properties.SecurityGroupIngress ?? []) as Json[]),
      ...standaloneIngress,
    ];
    expect(allIngress.length).toBeGreaterThan(0);
    for (const rule of allIngress) {
      expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      expect(rule.CidrIpv6).not.toBe('::/0');
    }
  });

  it('has a fence group for the primary that admits only PostgreSQL from the DR function subnets (the orchestrator; the lease keeper from its own stack), no real egress', () => {
    const fence = findOne(primary, 'AWS::EC2::SecurityGroup', { GroupName: 'paydb-primary-db-fence-dev' });
    const fenceProperties = fence.resource.Properties as Json;
    expect(fenceProperties.VpcId).toEqual({ Ref: vpcId });
    // The DR VPC is 10.20.0.0/16; its function subnets are the two /22 CDK allocates after the public /24s.
    expect(stage.drRegion.network.functionSubnetCidrs).toEqual(['10.20.4.0/22', '10.20.8.0/22']);
    expect((fenceProperties.SecurityGroupIngress as Json[]).map(({ IpProtocol, FromPort, ToPort, CidrIp }) => ({ IpProtocol, FromPort, ToPort, CidrIp }))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.4.0/22' },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.8.0/22' },
    ]);
    expect(fenceProperties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
    // No other rule in this stack; the lease keeper's own stack adds its one rule.
    expect(standaloneIngress.filter((rule) => pointsAt(rule.GroupId, fence.logicalId))).toEqual([]);
    // Its description is immutable (a change replaces the group, whose exported id the orchestrator imports).
    expect(fenceProperties.GroupDescription).toBe('Deny-all: the old primary is moved here after a failover so no client can write to it');
    // The orchestrator is handed this group's id; it must be the deny-all group above.
    expect(stage.primaryRegion.getLogicalId(stage.primaryRegion.fenceSecurityGroup.node.defaultChild as CfnElement)).toBe(fence.logicalId);
  });
});
