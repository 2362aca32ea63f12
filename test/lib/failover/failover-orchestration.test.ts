import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStage, crossRegionSource, findOne, importedFrom, propertiesOf, referencedLogicalId, testConfig } from '../support/dr-stage';
import { Json, actionsOf, allPolicyActions, grantsOf, instanceArn, synthesizedFunction } from '../monitoring/function-template';

const stage = buildStage(testConfig());
const orchestration = Template.fromStack(stage.failoverOrchestration);
const route53 = Template.fromStack(stage.route53Failover);
const monitoring = Template.fromStack(stage.drMonitoring);
const primary = Template.fromStack(stage.primaryRegion);
const dr = Template.fromStack(stage.drRegion);

const orchestrator = synthesizedFunction(orchestration, 'paydb-failover-orchestrator-dev');
const variables = orchestrator.properties.Environment.Variables as Json;
const drKeyArn = { 'Fn::GetAtt': [findOne(dr, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('DR-region') }).logicalId, 'Arn'] };
const stateTable = findOne(dr, 'AWS::DynamoDB::Table', { TableName: 'paydb-failover-state-dev' });
const alertTopic = { Ref: findOne(dr, 'AWS::SNS::Topic', { TopicName: 'paydb-dr-alerts-dev' }).logicalId };
const zoneRef = { Ref: findOne(route53, 'AWS::Route53::HostedZone', { Name: 'db.paydb-dev.internal.' }).logicalId };
const zoneArn = (resource: Json) => {
  const [, [prefix, partition, path, zoneId]] = resource['Fn::Join'];
  return { prefix, partition, path, zone: importedFrom(zoneId, route53) };
};
const expectedZoneArn = { prefix: 'arn:', partition: { Ref: 'AWS::Partition' }, path: ':route53:::hostedzone/', zone: zoneRef };

describe('failover orchestrator function', () => {
  it('runs 15 minutes at most, two at a time, traced, in the DR function subnets', () => {
    expect(orchestrator.properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 900, ReservedConcurrentExecutions: 2, TracingConfig: { Mode: 'Active' } });
    expect(orchestrator.properties.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [findOne(orchestration, 'AWS::SQS::Queue', { QueueName: 'paydb-failover-orchestrator-dev-dlq' }).logicalId, 'Arn'] });
    const functionSubnets = Object.keys(dr.findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'functions' }]) } }));
    expect(orchestrator.properties.VpcConfig.SubnetIds.map((id: unknown) => importedFrom(id, dr))).toEqual(functionSubnets.map((id) => ({ Ref: id })));
  });

  it('gets the common and orchestrator-only environment', () => {
    expect(variables).toMatchObject({
      ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', DR_REGION: 'us-east-2',
      PRIMARY_DB_INSTANCE_ID: 'paydb-primary-db-dev', REPLICA_DB_INSTANCE_ID: 'paydb-dr-replica-db-dev', DB_PORT: '5432', DB_NAME: 'payments',
      DB_SECRET_ARN: 'paydb-db-credentials-dev', NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      WRITER_RECORD_NAME: 'writer.db.paydb-dev.internal', MAX_PROMOTION_LAG_SECONDS: '300', PROMOTION_TIMEOUT_SECONDS: '780',
    });
    expect(importedFrom(variables.ALERT_TOPIC_ARN, dr)).toEqual(alertTopic);
    expect(importedFrom(variables.FAILOVER_STATE_TABLE, dr)).toEqual({ Ref: stateTable.logicalId });
    expect(importedFrom(variables.HOSTED_ZONE_ID, route53)).toEqual(zoneRef);
  });

  it('fails over automatically under the write lease: the lease table, its timings, the switchover catch-up bound and the primary\'s parameter group', () => {
    expect(variables).toMatchObject({
      FAILOVER_MODE: 'automatic',
      WRITE_LEASE_TABLE: 'paydb-write-lease-dev',
      LEASE_TAKEOVER_MARGIN_SECONDS: '30',
      SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS: '300',
      PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-db-dev-params',
    });
    // The names are those of the synthesized resources.
    expect(variables.WRITE_LEASE_TABLE).toBe(propertiesOf(Template.fromStack(stage.drDatabase), 'AWS::DynamoDB::GlobalTable').TableName);
    const primaryParameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[
      referencedLogicalId(propertiesOf(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).DBParameterGroupName)];
    expect(variables.PRIMARY_DB_PARAMETER_GROUP).toBe(primaryParameterGroup.Properties.DBParameterGroupName);
  });

  it('pins the record whose SetIdentifier is the PRIMARY writer record\'s', () => {
    const primaryRecord = propertiesOf(route53, 'AWS::Route53::RecordSet', { Failover: 'PRIMARY' });
    expect(variables.PRIMARY_RECORD_SET_ID).toBe(primaryRecord.SetIdentifier);
    expect(variables.WRITER_RECORD_NAME).toBe(primaryRecord.Name);
  });

  it('fences with the deny-all security group of the primary VPC (cross-region reference)', () => {
    const fenceId = findOne(primary, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Deny-all') }).logicalId;
    expect(crossRegionSource(variables.FENCE_SECURITY_GROUP_ID, orchestration, primary)).toEqual({ 'Fn::GetAtt': [fenceId, 'GroupId'] });
    const primaryInstanceId = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' }).logicalId;
    expect(crossRegionSource(variables.PRIMARY_DB_ENDPOINT, orchestration, primary)).toEqual({ 'Fn::GetAtt': [primaryInstanceId, 'Endpoint.Address'] });
  });
});

describe('failover orchestrator permissions', () => {
  it('may promote only the DR replica, and (fail-back) the replica a re-protection created under the primary\'s name', () => {
    expect(grantsOf(orchestrator.statements, 'rds:PromoteReadReplica')).toEqual([
      { Action: 'rds:PromoteReadReplica', Resource: instanceArn('us-east-2', 'paydb-dr-replica-db-dev') },
      { Action: 'rds:PromoteReadReplica', Resource: instanceArn('us-east-1', 'paydb-primary-db-dev') },
    ]);
  });

  it('may modify and stop only the old primary, and (fail-back) the DR instance', () => {
    const fencePrimary = { Action: ['rds:ModifyDBInstance', 'rds:StopDBInstance'], Resource: instanceArn('us-east-1', 'paydb-primary-db-dev') };
    const fenceDr = { Action: ['rds:ModifyDBInstance', 'rds:StopDBInstance'], Resource: instanceArn('us-east-2', 'paydb-dr-replica-db-dev') };
    expect(grantsOf(orchestrator.statements, 'rds:ModifyDBInstance')).toEqual([fencePrimary, fenceDr]);
    expect(grantsOf(orchestrator.statements, 'rds:StopDBInstance')).toEqual([fencePrimary, fenceDr]);
  });

  it('may change only the writer record of the failover zone, and only by UPSERT', () => {
    const [change, ...others] = grantsOf(orchestrator.statements, 'route53:ChangeResourceRecordSets');
    expect(others).toEqual([]);
    expect(change.Action).toBe('route53:ChangeResourceRecordSets');
    expect(zoneArn(change.Resource as Json)).toEqual(expectedZoneArn);
    expect(change.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['writer.db.paydb-dev.internal'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    const [list] = grantsOf(orchestrator.statements, 'route53:ListResourceRecordSets');
    expect(zoneArn(list.Resource as Json)).toEqual(expectedZoneArn);
  });

  it('may publish only to the DR alert topic, through the DR key via SNS', () => {
    const [publish, ...others] = grantsOf(orchestrator.statements, 'sns:Publish');
    expect(others).toEqual([]);
    expect(importedFrom(publish.Resource, dr)).toEqual(alertTopic);
    // The DR key encrypts the topic, the state table and the dead-letter queue: each use only through its service.
    // The state table and the DR replica of the write lease share one grant: same key, same service.
    const keyGrants = grantsOf(orchestrator.statements, 'kms:GenerateDataKey');
    expect(keyGrants.map((grant) => grant.Condition?.StringEquals['kms:ViaService']).sort()).toEqual([
      'dynamodb.us-east-2.amazonaws.com', 'sns.us-east-2.amazonaws.com', 'sqs.us-east-2.amazonaws.com',
    ]);
    for (const grant of keyGrants) expect(importedFrom(grant.Resource, dr)).toEqual(drKeyArn);
  });

  it('may get, put and update items of the failover state table, and only get and (conditionally) put the write lease in the DR region', () => {
    const dynamodb = orchestrator.statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    expect(dynamodb.map((statement) => statement.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem'], ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(dynamodb[0].Resource).toBe('arn:aws:dynamodb:us-east-2:123456789012:table/paydb-write-lease-dev');
    expect(importedFrom(dynamodb[1].Resource, dr)).toEqual({ 'Fn::GetAtt': [stateTable.logicalId, 'Arn'] });
  });

  it('may change only the primary\'s own parameter group (planned switchover: the write freeze) and the DR instance\'s (fail-back)', () => {
    expect(grantsOf(orchestrator.statements, 'rds:ModifyDBParameterGroup')).toEqual([{
      Action: 'rds:ModifyDBParameterGroup',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:us-east-1:123456789012:pg:paydb-primary-db-dev-params']] },
    }, {
      Action: 'rds:ModifyDBParameterGroup',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:us-east-2:123456789012:pg:paydb-dr-replica-db-dev-params']] },
    }]);
  });

  it('has exactly the expected actions and no wildcard action anywhere in the stack', () => {
    expect(orchestrator.statements.flatMap(actionsOf).sort()).toEqual([
      'cloudwatch:GetMetricData', 'cloudwatch:PutMetricData', 'dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
      'iam:PassRole', 'kms:CreateGrant', 'kms:CreateGrant', 'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:DescribeKey',
      'kms:GenerateDataKey', 'kms:GenerateDataKey', 'kms:GenerateDataKey',
      'rds:CreateDBInstanceReadReplica', 'rds:DescribeDBInstanceAutomatedBackups', 'rds:DescribeDBInstances', 'rds:DescribeDBInstances',
      'rds:ModifyDBInstance', 'rds:ModifyDBInstance', 'rds:ModifyDBParameterGroup', 'rds:ModifyDBParameterGroup', 'rds:PromoteReadReplica', 'rds:PromoteReadReplica',
      'rds:StartDBInstance', 'rds:StartDBInstanceAutomatedBackupsReplication', 'rds:StopDBInstance', 'rds:StopDBInstance',
      'route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'secretsmanager:GetSecretValue',
      'sns:Publish', 'sqs:SendMessage', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    expect(allPolicyActions(orchestration).filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('re-protection and fail-back: what the orchestrator is told', () => {
  const drDatabase = Template.fromStack(stage.drDatabase);
  const primaryDatabase = findOne(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });
  const primaryKeyId = findOne(primary, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('primary-region') }).logicalId;
  const reprotectSubnets = findOne(primary, 'AWS::RDS::DBSubnetGroup', { DBSubnetGroupName: 'paydb-primary-reprotect-db-dev-subnets' });
  const drFence = findOne(drDatabase, 'AWS::EC2::SecurityGroup', { GroupName: 'paydb-dr-db-fence-dev' });
  const drInstance = propertiesOf(drDatabase, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' });

  it('is configured for re-protection both ways: every variable the handler needs together, by the names of the synthesized resources', () => {
    expect(variables).toMatchObject({
      PRIMARY_DB_SUBNET_GROUP: 'paydb-primary-reprotect-db-dev-subnets',
      PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-db-dev-params',
      DR_DB_SUBNET_GROUP: 'paydb-dr-replica-db-dev-subnets',
      DR_DB_PARAMETER_GROUP: 'paydb-dr-replica-db-dev-params',
      REPROTECT_DB_INSTANCE_CLASS: 'db.r6g.xlarge',
      REPROTECT_BACKUP_RETENTION_DAYS: '7',
    });
    expect(variables.PRIMARY_DB_SUBNET_GROUP).toBe((reprotectSubnets.resource.Properties as Json).DBSubnetGroupName);
    // The names the templates give the instances' own groups: a successor is created in them.
    const primaryProperties = primaryDatabase.resource.Properties as Json;
    const primaryParameterGroup = primary.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(primaryProperties.DBParameterGroupName)];
    expect(variables.PRIMARY_DB_PARAMETER_GROUP).toBe(primaryParameterGroup.Properties.DBParameterGroupName);
    const drParameterGroup = drDatabase.findResources('AWS::RDS::DBParameterGroup')[referencedLogicalId(drInstance.DBParameterGroupName)];
    expect(variables.DR_DB_PARAMETER_GROUP).toBe(drParameterGroup.Properties.DBParameterGroupName);
    const drSubnetGroup = drDatabase.findResources('AWS::RDS::DBSubnetGroup')[referencedLogicalId(drInstance.DBSubnetGroupName)];
    expect(variables.DR_DB_SUBNET_GROUP).toBe(drSubnetGroup.Properties.DBSubnetGroupName);
    expect(variables.REPROTECT_DB_INSTANCE_CLASS).toBe(primaryProperties.DBInstanceClass);
    expect(variables.REPROTECT_BACKUP_RETENTION_DAYS).toBe(String(primaryProperties.BackupRetentionPeriod));
  });

  it('creates each replica with its region\'s key, in that database\'s client group (not the fence), and fences the DR instance with the DR fence group', () => {
    expect(crossRegionSource(variables.PRIMARY_KMS_KEY_ARN, orchestration, primary)).toEqual({ 'Fn::GetAtt': [primaryKeyId, 'Arn'] });
    const [clientGroup] = (primaryDatabase.resource.Properties as Json).VPCSecurityGroups;
    expect(crossRegionSource(variables.PRIMARY_DB_SECURITY_GROUP_IDS, orchestration, primary)).toEqual(clientGroup);
    expect(crossRegionSource(variables.PRIMARY_DB_SECURITY_GROUP_IDS, orchestration, primary)).not.toEqual(crossRegionSource(variables.FENCE_SECURITY_GROUP_ID, orchestration, primary));
    expect(importedFrom(variables.DR_KMS_KEY_ARN, dr)).toEqual(drKeyArn);
    expect(importedFrom(variables.DR_DB_SECURITY_GROUP_IDS, drDatabase)).toEqual((drInstance.VPCSecurityGroups as Json[])[0]);
    expect(importedFrom(variables.DR_FENCE_SECURITY_GROUP_ID, drDatabase)).toEqual({ 'Fn::GetAtt': [drFence.logicalId, 'GroupId'] });
  });
});

describe('re-protection and fail-back: the resources', () => {
  const drDatabase = Template.fromStack(stage.drDatabase);
  const primaryDatabase = propertiesOf(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });

  it('the primary-region replica\'s subnet group holds the primary VPC\'s database subnets, the primary instance\'s, and is deleted with the stack', () => {
    const { resource } = findOne(primary, 'AWS::RDS::DBSubnetGroup', { DBSubnetGroupName: 'paydb-primary-reprotect-db-dev-subnets' });
    const primarySubnets = primary.findResources('AWS::RDS::DBSubnetGroup')[referencedLogicalId(primaryDatabase.DBSubnetGroupName)].Properties.SubnetIds;
    expect((resource.Properties as Json).SubnetIds).toEqual(primarySubnets);
    const isolated = Object.keys(primary.findResources('AWS::EC2::Subnet', { Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]) } }));
    expect(((resource.Properties as Json).SubnetIds as Json[]).map(referencedLogicalId).sort()).toEqual(isolated.sort());
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
  });

  it('no parameter group of its own: a successor takes the instance\'s name and its group (the keeper and the switchover freeze that one)', () => {
    expect(Object.values(primary.findResources('AWS::RDS::DBParameterGroup')).map((group) => group.Properties.DBParameterGroupName)).toEqual(['paydb-primary-db-dev-params']);
  });

  it('the DR fence group is in the DR VPC, admits only PostgreSQL from the DR function subnets and has no real egress', () => {
    const fence = findOne(drDatabase, 'AWS::EC2::SecurityGroup', { GroupName: 'paydb-dr-db-fence-dev' });
    const properties = fence.resource.Properties as Json;
    const drVpcId = findOne(dr, 'AWS::EC2::VPC').logicalId;
    expect(importedFrom(properties.VpcId, dr)).toEqual({ Ref: drVpcId });
    expect(stage.drRegion.network.functionSubnetCidrs).toEqual(['10.20.4.0/22', '10.20.8.0/22']);
    expect((properties.SecurityGroupIngress as Json[]).map(({ IpProtocol, FromPort, ToPort, CidrIp }) => ({ IpProtocol, FromPort, ToPort, CidrIp }))).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.4.0/22' },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.8.0/22' },
    ]);
    expect(drDatabase.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })]);
    expect(properties.GroupDescription).toBe('Deny-all: the DR instance is moved here by a fail-back so no client can write to it');
  });

  it('the orchestrator reaches PostgreSQL in both VPCs (the DR writer is frozen over SQL in a fail-back), nothing else but HTTPS', () => {
    const groupId = referencedLogicalId(orchestrator.properties.VpcConfig.SecurityGroupIds[0]);
    const egress = orchestration.findResources('AWS::EC2::SecurityGroup')[groupId].Properties.SecurityGroupEgress as Json[];
    expect(egress.map(({ IpProtocol, FromPort, ToPort, CidrIp }) => `${IpProtocol} ${FromPort}-${ToPort} ${CidrIp}`).sort()).toEqual([
      'tcp 443-443 0.0.0.0/0', 'tcp 5432-5432 10.10.0.0/16', 'tcp 5432-5432 10.20.0.0/16',
    ]);
  });
});

describe('re-protection and fail-back: the orchestrator\'s grants', () => {
  const rdsArn = (region: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${region}:123456789012:${resource}`]] });
  const bySid = (sid: string) => {
    const found = orchestrator.statements.filter((statement) => statement.Sid === sid);
    expect(found).toHaveLength(1);
    const [{ Action, Resource, Condition }] = found;
    return Condition ? { Action, Resource, Condition } : { Action, Resource };
  };
  const primaryKeyArn = (resource: unknown) => crossRegionSource(resource, orchestration, primary);
  // CDK orders a statement's resources itself.
  const sorted = (resources: unknown) => [resources].flat().map((resource) => JSON.stringify(resource)).sort();
  const primaryKeyId = findOne(primary, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('primary-region') }).logicalId;

  const drKeyOf = (resource: unknown) => importedFrom(resource, dr);

  it('may describe the old writers under their retired names, and start only the two instances (a stopped old writer, inside its fence, to rename it)', () => {
    expect(bySid('ReadTheRetiredOldWriters')).toEqual({ Action: 'rds:DescribeDBInstances', Resource: [
      rdsArn('us-east-1', 'db:paydb-primary-db-dev-retired-*'), rdsArn('us-east-2', 'db:paydb-dr-replica-db-dev-retired-*'),
    ] });
    expect(bySid('StartTheOldWriterInsideItsFenceToRenameIt')).toEqual({ Action: 'rds:StartDBInstance', Resource: [
      instanceArn('us-east-1', 'paydb-primary-db-dev'), instanceArn('us-east-2', 'paydb-dr-replica-db-dev'),
    ] });
  });

  it('may create replicas only under the two configured names, in their own subnet and parameter groups and the default option groups, never a public one', () => {
    const [create, ...others] = grantsOf(orchestrator.statements, 'rds:CreateDBInstanceReadReplica');
    expect(others).toEqual([]);
    expect(create.Action).toBe('rds:CreateDBInstanceReadReplica');
    expect(sorted(create.Resource)).toEqual(sorted([
      instanceArn('us-east-1', 'paydb-primary-db-dev'), instanceArn('us-east-2', 'paydb-dr-replica-db-dev'),
      rdsArn('us-east-1', 'subgrp:paydb-primary-reprotect-db-dev-subnets'), rdsArn('us-east-2', 'subgrp:paydb-dr-replica-db-dev-subnets'),
      rdsArn('us-east-1', 'pg:paydb-primary-db-dev-params'), rdsArn('us-east-2', 'pg:paydb-dr-replica-db-dev-params'),
      rdsArn('us-east-1', 'og:default:postgres-14'), rdsArn('us-east-2', 'og:default:postgres-14'),
    ]));
    expect(create.Condition).toEqual({ BoolIfExists: { 'rds:PubliclyAccessible': 'false' } });
  });

  it('may replicate only the two instances\' automated backups, and read them in either region', () => {
    const [start, ...others] = grantsOf(orchestrator.statements, 'rds:StartDBInstanceAutomatedBackupsReplication');
    expect(others).toEqual([]);
    expect(start.Condition).toBeUndefined();
    expect(sorted(start.Resource)).toEqual(sorted([
      instanceArn('us-east-1', 'paydb-primary-db-dev'), instanceArn('us-east-2', 'paydb-dr-replica-db-dev'), rdsArn('us-east-1', 'auto-backup:*'), rdsArn('us-east-2', 'auto-backup:*'),
    ]));
    expect(grantsOf(orchestrator.statements, 'rds:DescribeDBInstanceAutomatedBackups')).toEqual([{
      Action: 'rds:DescribeDBInstanceAutomatedBackups', Resource: [rdsArn('us-east-1', 'auto-backup:*'), rdsArn('us-east-2', 'auto-backup:*')],
    }]);
  });

  it('lets RDS use each region\'s key for it: grants only for AWS resources through RDS of that region, describe only through RDS', () => {
    const grants = grantsOf(orchestrator.statements, 'kms:CreateGrant');
    expect(grants).toHaveLength(2);
    const [primaryGrant, drGrant] = grants;
    expect(primaryKeyArn(primaryGrant.Resource)).toEqual({ 'Fn::GetAtt': [primaryKeyId, 'Arn'] });
    expect(primaryGrant.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' }, StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } });
    expect(drKeyOf(drGrant.Resource)).toEqual(drKeyArn);
    expect(drGrant.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' }, StringEquals: { 'kms:ViaService': 'rds.us-east-2.amazonaws.com' } });
    const describes = grantsOf(orchestrator.statements, 'kms:DescribeKey');
    expect(describes.map((statement) => statement.Condition)).toEqual([
      { StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } }, { StringEquals: { 'kms:ViaService': 'rds.us-east-2.amazonaws.com' } },
    ]);
  });

  it('may pass only the two instances\' enhanced-monitoring roles (a replica gets its region\'s, as the template\'s instance)', () => {
    const [pass, ...others] = grantsOf(orchestrator.statements, 'iam:PassRole');
    expect(others).toEqual([]);
    const [primaryRole, drRole] = pass.Resource as unknown[];
    const primaryInstance = propertiesOf(primary, 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-primary-db-dev' });
    expect(crossRegionSource(primaryRole, orchestration, primary)).toEqual(primaryInstance.MonitoringRoleArn);
    const drInstance = propertiesOf(Template.fromStack(stage.drDatabase), 'AWS::RDS::DBInstance', { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' });
    expect(importedFrom(drRole, Template.fromStack(stage.drDatabase))).toEqual(drInstance.MonitoringRoleArn);
    expect(variables.PRIMARY_DB_MONITORING_ROLE_ARN).toEqual(primaryRole);
    expect(variables.DR_DB_MONITORING_ROLE_ARN).toEqual(drRole);
    expect(variables.REPROTECT_MAX_ALLOCATED_STORAGE_GIB).toBe(String(primaryInstance.MaxAllocatedStorage));
  });

  it('fail-back: may freeze the DR instance in its own parameter group, fence and stop it, and promote the primary-region replica; never delete', () => {
    expect(bySid('FreezeWritesOfTheDrInstanceForAFailBack')).toEqual({ Action: 'rds:ModifyDBParameterGroup', Resource: rdsArn('us-east-2', 'pg:paydb-dr-replica-db-dev-params') });
    expect(bySid('FenceTheDrInstanceInAFailBack')).toEqual({ Action: ['rds:ModifyDBInstance', 'rds:StopDBInstance'], Resource: instanceArn('us-east-2', 'paydb-dr-replica-db-dev') });
    expect(bySid('PromoteThePrimaryRegionReplicaInAFailBack')).toEqual({ Action: 'rds:PromoteReadReplica', Resource: instanceArn('us-east-1', 'paydb-primary-db-dev') });
    expect(grantsOf(orchestrator.statements, 'rds:DeleteDBInstance')).toEqual([]);
  });
});

describe('failover trigger and resume rules', () => {
  it('starts the orchestrator when the composite alarm enters ALARM, with retries and a dead-letter queue', () => {
    const rule = propertiesOf(orchestration, 'AWS::Events::Rule', { Name: 'paydb-failover-trigger-dev' });
    const compositeId = findOne(monitoring, 'AWS::CloudWatch::CompositeAlarm', { AlarmName: 'paydb-primary-region-failed-dev' }).logicalId;
    const { resources, ...pattern } = rule.EventPattern as Json;
    expect(pattern).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } });
    expect(resources.map((resource: unknown) => importedFrom(resource, monitoring))).toEqual([{ 'Fn::GetAtt': [compositeId, 'Arn'] }]);
    const undelivered = findOne(orchestration, 'AWS::SQS::Queue', { QueueName: 'paydb-failover-orchestrator-dev-undelivered' });
    expect(rule.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 4 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [undelivered.logicalId, 'Arn'] } },
    })]);
    expect(importedFrom((undelivered.resource.Properties as Json).KmsMasterKeyId, dr)).toEqual(drKeyArn);
  });

  it('resumes a pending failover every 5 minutes with {"action":"resume"}', () => {
    const rule = propertiesOf(orchestration, 'AWS::Events::Rule', { Name: 'paydb-failover-orchestrator-dev-resume' });
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] }, Input: '{"action":"resume"}' })]);
  });

  it('lets EventBridge invoke the orchestrator only from these two rules', () => {
    const permissions = Object.values(orchestration.findResources('AWS::Lambda::Permission', {
      Properties: { FunctionName: { 'Fn::GetAtt': [orchestrator.logicalId, 'Arn'] } },
    })) as Json[];
    const ruleIds = permissions.map((permission) => {
      expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
      return permission.Properties.SourceArn['Fn::GetAtt'][0];
    });
    expect(ruleIds.sort()).toEqual(Object.keys(orchestration.findResources('AWS::Events::Rule')).sort());
  });
});

describe('failover state table', () => {
  it('has the string key pk, on-demand billing, SSE with the DR key, PITR, and is deleted with the stack', () => {
    expect(stateTable.resource.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: drKeyArn },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(stateTable.resource.DeletionPolicy).toBe('Delete');
  });
});
