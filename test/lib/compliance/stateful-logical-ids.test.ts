import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStage } from '../support/dr-stage';

/**
 * Stateful resources cannot be replaced by a refactor. CloudFormation identifies a resource by its logical ID; a
 * construct moved or renamed gets a new one, and the next deployment creates the new resource and DELETES the old one
 * (the databases, their keys, the backups). This pins the logical ID, type, physical name and deletion policies of every
 * stateful resource, and the statements of the keys' policies. A deliberate change updates this list in the same commit,
 * with a migration plan (CloudFormation resource import, or a refactor with `cdk refactor`).
 */

type Pin = readonly [stack: string, type: string, logicalId: string, physicalName: string | undefined];

const PINNED: readonly Pin[] = [
  ['DRRegionStack', 'AWS::KMS::Key', 'EncryptionKey3A692D6E', undefined],
  ['DRRegionStack', 'AWS::EC2::VPC', 'NetworkVpc7FB7348F', undefined],
  ['DRRegionStack', 'AWS::S3::Bucket', 'BackupsAccessLogs4CD0EFAD', 'paydb-backup-dr-123456789012-dev-logs'],
  ['DRRegionStack', 'AWS::S3::Bucket', 'BackupsBucket2936A3AA', 'paydb-backup-dr-123456789012-dev'],
  ['DRRegionStack', 'AWS::DynamoDB::Table', 'FailoverStateTable9E540C56', 'paydb-failover-state-dev'],
  ['PrimaryRegionStack', 'AWS::KMS::Key', 'EncryptionKey3A692D6E', undefined],
  ['PrimaryRegionStack', 'AWS::EC2::VPC', 'NetworkVpc7FB7348F', undefined],
  ['PrimaryRegionStack', 'AWS::SecretsManager::Secret', 'DatabaseCredentials24F58BE6', 'paydb-db-credentials-dev'],
  ['PrimaryRegionStack', 'AWS::RDS::DBParameterGroup', 'DatabaseParametersB8AC9B07', undefined],
  ['PrimaryRegionStack', 'AWS::RDS::DBSubnetGroup', 'DatabaseInstanceSubnetGroupDE121BB6', undefined],
  ['PrimaryRegionStack', 'AWS::RDS::DBInstance', 'DatabaseInstanceAA8A5FDE', 'paydb-primary-db-dev'],
  ['PrimaryRegionStack', 'AWS::EC2::SecurityGroup', 'DatabaseSecurityGroup42A76E04', undefined],
  ['PrimaryRegionStack', 'AWS::EC2::SecurityGroup', 'FenceSecurityGroupF6280FC5', 'paydb-primary-db-fence-dev'],
  // Named by the failover orchestrator's environment (re-protection): the replica it creates in the primary region.
  ['PrimaryRegionStack', 'AWS::RDS::DBSubnetGroup', 'ReprotectionTargetSubnets326E0A91', 'paydb-primary-reprotect-db-dev-subnets'],
  ['PrimaryRegionStack', 'AWS::S3::Bucket', 'BackupsAccessLogs4CD0EFAD', 'paydb-backup-primary-123456789012-dev-logs'],
  ['PrimaryRegionStack', 'AWS::S3::Bucket', 'BackupsBucket2936A3AA', 'paydb-backup-primary-123456789012-dev'],
  ['DRDatabaseStack', 'AWS::RDS::DBSubnetGroup', 'ReplicaSubnets79DCB701', 'paydb-dr-replica-db-dev-subnets'],
  ['DRDatabaseStack', 'AWS::RDS::DBParameterGroup', 'ReplicaParameters6D392FA5', undefined],
  ['DRDatabaseStack', 'AWS::RDS::DBInstance', 'ReplicaInstance66334D3C', 'paydb-dr-replica-db-dev'],
  ['DRDatabaseStack', 'AWS::EC2::SecurityGroup', 'ReplicaSecurityGroupE46CE65B', undefined],
  // The fail-back's fence of the DR instance (its id is exported to the orchestrator's stack).
  ['DRDatabaseStack', 'AWS::EC2::SecurityGroup', 'FenceSecurityGroupF6280FC5', 'paydb-dr-db-fence-dev'],
  ['DRDatabaseStack', 'AWS::DynamoDB::GlobalTable', 'WriteLeaseTableAFFB1AC4', 'paydb-write-lease-dev'],
];

/** The Sid (or principal) of each statement of each key policy: a changed key policy is deliberate too. */
const KEY_POLICY_STATEMENTS: Record<string, string[]> = {
  DRRegionStack: ['AWS:arn:aws:iam::123456789012:root', 'DenyGrantsNotForAwsResources', 'AllowCloudWatchLogs', 'AllowCloudWatchAlarmsToWriteEncryptedTopicsAndQueues', 'AllowEventBridgeRulesToWriteEncryptedTopicsAndQueues'],
  PrimaryRegionStack: ['AWS:arn:aws:iam::123456789012:root', 'DenyGrantsNotForAwsResources', 'AllowCloudWatchLogs', 'AllowCloudWatchAlarmsToWriteEncryptedTopicsAndQueues', 'AllowS3NotificationsToWriteEncryptedTopicsAndQueues', 'AWS:arn:aws:iam::123456789012:root'],
};

const STATEFUL_TYPES = [...new Set(PINNED.map(([, type]) => type))];
const NAME_PROPERTIES = ['BucketName', 'TableName', 'Name', 'DBInstanceIdentifier', 'DBSubnetGroupName', 'GroupName'];

const stage = buildStage();
const templates = Object.fromEntries(stage.node.children.filter((child): child is Stack => child instanceof Stack)
  .map((stack) => [stack.node.id, Template.fromStack(stack).toJSON()]));

function actual(): Pin[] {
  return Object.entries(templates).flatMap(([stack, template]) => Object.entries(template.Resources as Record<string, any>)
    .filter(([, resource]) => STATEFUL_TYPES.includes(resource.Type))
    .filter(([, resource]) => resource.Type !== 'AWS::EC2::SecurityGroup' || PINNED.some(([pinnedStack, , id]) => pinnedStack === stack && Object.keys(template.Resources).includes(id) && template.Resources[id] === resource))
    .map(([logicalId, resource]) => [stack, resource.Type, logicalId, NAME_PROPERTIES.map((property) => resource.Properties?.[property]).find((value) => typeof value === 'string')] as Pin));
}

describe('stateful resources keep their logical IDs (a refactor must not replace them)', () => {
  it('every database, key, table, bucket, secret, VPC, subnet group, parameter group and database security group is pinned, and nothing else of those types exists', () => {
    const sort = (pins: readonly Pin[]) => [...pins].map((pin) => pin.join(' ')).sort();
    expect(sort(actual())).toEqual(sort(PINNED));
  });

  // VPCs, security groups, parameter groups and CDK's own subnet group of the primary carry CloudFormation's default (Delete).
  const explicitPolicies = PINNED.filter(([, type, logicalId]) => !['AWS::EC2::VPC', 'AWS::EC2::SecurityGroup', 'AWS::RDS::DBParameterGroup'].includes(type)
    && logicalId !== 'DatabaseInstanceSubnetGroupDE121BB6');
  // DeletionPolicy Delete everywhere: the estate is destroyable and nothing is silently orphaned. UpdateReplacePolicy
  // Snapshot on the two database instances: a deployment that replaces one (a property whose update requires
  // replacement) must not lose its data, so CloudFormation snapshots the old instance before deleting it
  // (keepSnapshotWhenReplaced in lib/constructs/database/postgres-engine.ts; of the DR instance only once it is promoted,
  // RDS takes no final snapshot of a read replica). Everything else is replaced with Delete.
  it.each(explicitPolicies)('%s %s %s keeps DeletionPolicy Delete; UpdateReplacePolicy is Snapshot for a database instance, Delete otherwise', (stack, type, logicalId) => {
    const resource = templates[stack].Resources[logicalId];
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Delete', type === 'AWS::RDS::DBInstance' ? 'Snapshot' : 'Delete']);
  });

  it.each(Object.entries(KEY_POLICY_STATEMENTS))('the %s key policy keeps its statements', (stack, statements) => {
    const key = templates[stack].Resources.EncryptionKey3A692D6E;
    expect(key.Properties.KeyPolicy.Statement.map((statement: Record<string, any>) => statement.Sid ?? `AWS:${statement.Principal.AWS}`)).toEqual(statements);
  });

  it('fails when a construct is renamed (the check can fail)', () => {
    const renamed = actual().map((pin) => (pin[2] === 'ReplicaInstance66334D3C' ? [pin[0], pin[1], 'ReplicaDatabaseInstanceB1C2D3E4', pin[3]] as Pin : pin));
    expect(renamed.map((pin) => pin.join(' ')).sort()).not.toEqual(PINNED.map((pin) => pin.join(' ')).sort());
  });
});
