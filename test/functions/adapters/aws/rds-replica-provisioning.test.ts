/**
 * Re-protection over RDS (functions/adapters/aws/rds-replica-provisioning.ts), with one mocked RDS client per region
 * (aws-sdk-client-mock on each instance). What the fakes rely on, from the RDS API reference:
 * - CreateDBInstanceReadReplica: `SourceDBInstanceIdentifier` an ARN for a cross-region source, `KmsKeyId` of the
 *   destination region; error DBInstanceAlreadyExists, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
 * - StartDBInstanceAutomatedBackupsReplication called in the destination region (`SourceDBInstanceArn`, `KmsKeyId`,
 *   `BackupRetentionPeriod`), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstanceAutomatedBackupsReplication.html
 * - DescribeDBInstances: `DBInstanceArn`, `ReadReplicaSourceDBInstanceIdentifier`, `StatusInfos`, `DBInstanceAutomatedBackupsReplications`,
 *   error DBInstanceNotFound (HTTP 404), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html
 * - DescribeDBInstanceAutomatedBackups by `DBInstanceAutomatedBackupsArn`, `RestoreWindow.LatestTime`,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstanceAutomatedBackups.html
 * - Renaming: ModifyDBInstance `NewDBInstanceIdentifier` + `ApplyImmediately`, refused on a stopped instance,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html; StartDBInstance,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartDBInstance.html; security group memberships and
 *   their status, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_VpcSecurityGroupMembership.html
 */
import {
  CreateDBInstanceReadReplicaCommand, DBInstanceAlreadyExistsFault, DBInstanceNotFoundFault, DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand, InvalidDBInstanceStateFault, KMSKeyNotAccessibleFault, ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, RDSClient,
  StartDBInstanceAutomatedBackupsReplicationCommand, StartDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { RdsReplicaProvisioning, type ReplicaTargetSettings } from '../../../../functions/adapters/aws/rds-replica-provisioning';
import type { DatabaseMember } from '../../../../functions/core/estate-roles';
import { ReplicaTargetConflictError } from '../../../../functions/core/ports';

const primaryRds = new RDSClient({ region: 'us-east-1' });
const drRds = new RDSClient({ region: 'us-east-2' });
const primary = mockClient(primaryRds);
const dr = mockClient(drRds);

const WRITER: DatabaseMember = { side: 'dr', instanceId: 'paydb-dr-replica-db-dev' };
const WRITER_ARN = 'arn:aws:rds:us-east-2:111111111111:db:paydb-dr-replica-db-dev';
/** The configured primary-region instance: the replica of the DR writer takes its name once the old primary is renamed. */
const TARGET: DatabaseMember = { side: 'primary', instanceId: 'paydb-primary-db-dev' };
const RETIRED = 'paydb-primary-db-dev-retired-202612010507';
const SETTINGS: ReplicaTargetSettings = {
  instanceId: TARGET.instanceId, fenceSecurityGroupId: 'sg-fence', kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary',
  dbSubnetGroupName: 'paydb-primary-reprotect-db-dev-subnets', dbParameterGroupName: 'paydb-primary-db-dev-params', vpcSecurityGroupIds: ['sg-db'], backupRetentionDays: 7,
  monitoringRoleArn: 'arn:aws:iam::111111111111:role/primary-monitoring', maxAllocatedStorageGiB: 500,
};
const DR_SETTINGS: ReplicaTargetSettings = {
  instanceId: WRITER.instanceId, fenceSecurityGroupId: 'sg-dr-fence', kmsKeyId: 'arn:aws:kms:us-east-2:111111111111:key/dr',
  dbSubnetGroupName: 'paydb-dr-replica-db-dev-subnets', dbParameterGroupName: 'paydb-dr-replica-db-dev-params', vpcSecurityGroupIds: ['sg-dr-db'], backupRetentionDays: 7,
  monitoringRoleArn: 'arn:aws:iam::111111111111:role/dr-monitoring',
};
const provisioning = (targets: { primary?: ReplicaTargetSettings; dr?: ReplicaTargetSettings } = { primary: SETTINGS, dr: DR_SETTINGS }) => new RdsReplicaProvisioning({
  regions: { primary: { region: 'us-east-1', rds: primaryRds }, dr: { region: 'us-east-2', rds: drRds } },
  targets,
});
/** The old primary as RDS describes it: standalone, in `groups` (membership status `active`). */
const oldPrimary = (status: string, groups: readonly string[] = ['sg-fence'], groupStatus = 'active') => ({ DBInstances: [{
  DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: status, VpcSecurityGroups: groups.map((id) => ({ VpcSecurityGroupId: id, Status: groupStatus })),
}] });
const notFound = () => new DBInstanceNotFoundFault({ message: 'DBInstance not found', $metadata: { httpStatusCode: 404 } });
const replicaOf = (source: string, status = 'available', replication = 'replicating') => ({ DBInstances: [{
  DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: status, ReadReplicaSourceDBInstanceIdentifier: source,
  StatusInfos: [{ StatusType: 'read replication', Status: replication, Normal: replication === 'replicating' }],
}] });

beforeEach(() => {
  primary.reset();
  dr.reset();
  dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).resolves({ DBInstances: [{ DBInstanceIdentifier: WRITER.instanceId, DBInstanceArn: WRITER_ARN, DBInstanceStatus: 'available' }] });
  // The target name is free (the old writer renamed away) unless a test says otherwise.
  primary.on(DescribeDBInstancesCommand).rejects(notFound());
});

describe('the target', () => {
  test('the replica of a writer goes to the other region under that region\'s configured identifier; none where no settings are given', () => {
    expect(provisioning().targetFor(WRITER)).toEqual(TARGET);
    expect(provisioning().targetFor(TARGET)).toEqual(WRITER);
    expect(provisioning({ primary: SETTINGS }).targetFor(TARGET)).toBeUndefined();
  });

  test('absent (DBInstanceNotFound in its region) reads as undefined; other errors propagate', async () => {
    primary.on(DescribeDBInstancesCommand).rejects(notFound());
    expect(await provisioning().describeTarget(TARGET)).toBeUndefined();
    primary.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    await expect(provisioning().describeTarget(TARGET)).rejects.toThrow(/ETIMEDOUT/);
  });

  test('a cross-region replica names its source by ARN: read back as the DR writer, with its replication state', async () => {
    primary.on(DescribeDBInstancesCommand).resolves(replicaOf(WRITER_ARN, 'creating', 'replicating'));
    expect(await provisioning().describeTarget(TARGET)).toEqual({ status: 'creating', available: false, source: WRITER, replicationState: 'replicating' });
  });

  test('a source in a region outside the estate is unknown; a standalone instance has no source', async () => {
    primary.on(DescribeDBInstancesCommand).resolves(replicaOf('arn:aws:rds:eu-west-1:111111111111:db:elsewhere'));
    expect((await provisioning().describeTarget(TARGET))?.source).toEqual({ unknown: 'arn:aws:rds:eu-west-1:111111111111:db:elsewhere' });
    primary.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: 'available' }] });
    expect(await provisioning().describeTarget(TARGET)).toEqual({ status: 'available', available: true });
  });
});

describe('CreateDBInstanceReadReplica', () => {
  test('called in the TARGET region with the writer\'s ARN, that region\'s key, subnet group, parameter group, security groups and monitoring role, and everything the templates give an instance', async () => {
    primary.on(CreateDBInstanceReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: 'creating' } });

    await provisioning().createReplica(WRITER, TARGET);

    expect(dr.commandCalls(CreateDBInstanceReadReplicaCommand)).toHaveLength(0);
    expect(primary.commandCalls(CreateDBInstanceReadReplicaCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'paydb-primary-db-dev',
      SourceDBInstanceIdentifier: WRITER_ARN,
      KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary',
      DBSubnetGroupName: 'paydb-primary-reprotect-db-dev-subnets',
      DBParameterGroupName: 'paydb-primary-db-dev-params',
      VpcSecurityGroupIds: ['sg-db'],
      MaxAllocatedStorage: 500,
      // What lib/constructs/database/*.ts give both instances (ESTATE_INSTANCE_SETTINGS): CloudFormation would never add it.
      MultiAZ: true,
      StorageType: 'gp3',
      EnableIAMDatabaseAuthentication: true,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary',
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::111111111111:role/primary-monitoring',
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      AutoMinorVersionUpgrade: true,
      PubliclyAccessible: false,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
    });
  });

  test('the write freeze the old writer left in the parameter group the replica inherits is lifted first (immediate), in the target region', async () => {
    primary.on(DescribeDBInstancesCommand).rejects(notFound());

    await provisioning().createReplica(WRITER, TARGET);

    expect(primary.commandCalls(ModifyDBParameterGroupCommand).map((call) => call.args[0].input)).toEqual([{
      DBParameterGroupName: 'paydb-primary-db-dev-params',
      Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '0', ApplyMethod: 'immediate' }],
    }]);
    const calls = primary.calls().map((call) => call.args[0].constructor.name);
    expect(calls.indexOf('ModifyDBParameterGroupCommand')).toBeLessThan(calls.indexOf('CreateDBInstanceReadReplicaCommand'));
  });

  test('never lifted while a database still answers to the target name (a retry that finds the replica: its group is left alone)', async () => {
    primary.on(DescribeDBInstancesCommand).resolves(replicaOf(WRITER_ARN, 'creating'));
    primary.on(CreateDBInstanceReadReplicaCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: { httpStatusCode: 400 } }));

    await provisioning().createReplica(WRITER, TARGET);

    expect(primary.commandCalls(ModifyDBParameterGroupCommand)).toHaveLength(0);
  });

  test('DBInstanceAlreadyExists for a replica of this writer (a retry whose first request went through) is adopted', async () => {
    primary.on(CreateDBInstanceReadReplicaCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: { httpStatusCode: 400 } }));
    primary.on(DescribeDBInstancesCommand).resolves(replicaOf(WRITER_ARN, 'creating'));

    await expect(provisioning().createReplica(WRITER, TARGET)).resolves.toBeUndefined();
  });

  test('DBInstanceAlreadyExists for anything else is a conflict (the core refuses loudly)', async () => {
    primary.on(CreateDBInstanceReadReplicaCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: { httpStatusCode: 400 } }));
    primary.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: 'available' }] });

    const refused = provisioning().createReplica(WRITER, TARGET);

    await expect(refused).rejects.toBeInstanceOf(ReplicaTargetConflictError);
    await expect(refused).rejects.toThrow(/already exists \(DBInstanceAlreadyExists\) and is not a replica, not from paydb-dr-replica-db-dev/);
  });

  test('other refusals propagate as they are (e.g. KMSKeyNotAccessibleFault)', async () => {
    primary.on(CreateDBInstanceReadReplicaCommand).rejects(new KMSKeyNotAccessibleFault({ message: 'key disabled', $metadata: { httpStatusCode: 400 } }));
    await expect(provisioning().createReplica(WRITER, TARGET)).rejects.toBeInstanceOf(KMSKeyNotAccessibleFault);
  });

  test('a writer RDS does not know is not sent anywhere', async () => {
    dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).rejects(notFound());
    await expect(provisioning().createReplica(WRITER, TARGET)).rejects.toThrow(/writer paydb-dr-replica-db-dev \(DR region\) was not found in us-east-2/);
    expect(primary.commandCalls(CreateDBInstanceReadReplicaCommand)).toHaveLength(0);
  });
});

describe('automated backups replicated to the primary region', () => {
  const BACKUPS_ARN = 'arn:aws:rds:us-east-1:111111111111:auto-backup:ab-example';

  test('StartDBInstanceAutomatedBackupsReplication is called in the DESTINATION region with the writer\'s ARN, its key and the retention', async () => {
    primary.on(StartDBInstanceAutomatedBackupsReplicationCommand).resolves({ DBInstanceAutomatedBackup: { DBInstanceAutomatedBackupsArn: BACKUPS_ARN, Status: 'pending' } });

    expect(await provisioning().startBackupReplication(WRITER, 'primary')).toEqual({ state: 'pending', detail: `${BACKUPS_ARN} pending` });
    expect(dr.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)).toHaveLength(0);
    expect(primary.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)[0].args[0].input).toEqual({
      SourceDBInstanceArn: WRITER_ARN, KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary', BackupRetentionPeriod: 7,
    });
  });

  test('not enabled while the writer lists no replication into that region', async () => {
    dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).resolves({ DBInstances: [{
      DBInstanceArn: WRITER_ARN, DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: 'arn:aws:rds:eu-west-1:111111111111:auto-backup:ab-other' }],
    }] });
    expect(await provisioning().backupReplication(WRITER, 'primary')).toBeUndefined();
    expect(primary.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)).toHaveLength(0);
  });

  test('pending until the destination can restore (RestoreWindow.LatestTime), then replicating', async () => {
    dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).resolves({ DBInstances: [{
      DBInstanceArn: WRITER_ARN, DBInstanceAutomatedBackupsReplications: [{ DBInstanceAutomatedBackupsArn: BACKUPS_ARN }],
    }] });
    primary.on(DescribeDBInstanceAutomatedBackupsCommand, { DBInstanceAutomatedBackupsArn: BACKUPS_ARN })
      .resolvesOnce({ DBInstanceAutomatedBackups: [{ DBInstanceAutomatedBackupsArn: BACKUPS_ARN, Status: 'pending' }] })
      .resolves({ DBInstanceAutomatedBackups: [{ DBInstanceAutomatedBackupsArn: BACKUPS_ARN, Status: 'replicating', RestoreWindow: { EarliestTime: new Date('2026-11-21T10:00:00Z'), LatestTime: new Date('2026-11-21T10:05:00Z') } }] });

    expect(await provisioning().backupReplication(WRITER, 'primary')).toEqual({ state: 'pending', detail: `${BACKUPS_ARN} pending` });
    expect(await provisioning().backupReplication(WRITER, 'primary')).toEqual({
      state: 'replicating', detail: `${BACKUPS_ARN} replicating, restorable in us-east-1 up to 2026-11-21T10:05:00.000Z`,
    });
  });
});

describe('retiring the old writer that holds the target name (ModifyDBInstance NewDBInstanceIdentifier)', () => {
  const describeOld = (response: ReturnType<typeof oldPrimary>) => primary.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET.instanceId }).resolves(response);

  test('stopped inside its fence group: started first (a stopped instance cannot be modified), nothing renamed yet', async () => {
    describeOld(oldPrimary('stopped'));

    const progress = await provisioning().retireOldWriter(TARGET, RETIRED);

    expect(progress).toEqual({ done: false, detail: expect.stringMatching(/start requested/) });
    expect(primary.commandCalls(StartDBInstanceCommand).map((call) => call.args[0].input)).toEqual([{ DBInstanceIdentifier: TARGET.instanceId }]);
    expect(primary.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  test('stopped OUTSIDE its fence group: refused (started, it could take writes), nothing started', async () => {
    describeOld(oldPrimary('stopped', ['sg-db']));

    const refused = provisioning().retireOldWriter(TARGET, RETIRED);

    await expect(refused).rejects.toBeInstanceOf(ReplicaTargetConflictError);
    await expect(refused).rejects.toThrow(/stopped outside its fence \(security groups are sg-db \(active\), not only sg-fence/);
    expect(primary.commandCalls(StartDBInstanceCommand)).toHaveLength(0);
  });

  test('running outside its fence: moved into the fence group first (immediately), not renamed yet', async () => {
    describeOld(oldPrimary('available', ['sg-db']));

    const progress = await provisioning().retireOldWriter(TARGET, RETIRED);

    expect(progress.done).toBe(false);
    expect(primary.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: TARGET.instanceId, VpcSecurityGroupIds: ['sg-fence'], ApplyImmediately: true },
    ]);
  });

  test('the fence group requested but not active yet: waits, requests nothing again', async () => {
    describeOld(oldPrimary('available', ['sg-fence'], 'adding'));

    const progress = await provisioning().retireOldWriter(TARGET, RETIRED);

    expect(progress).toEqual({ done: false, detail: expect.stringMatching(/isolating it before the rename/) });
    expect(primary.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  test('available and isolated: renamed, applied immediately, in its own region', async () => {
    describeOld(oldPrimary('available'));

    const progress = await provisioning().retireOldWriter(TARGET, RETIRED);

    expect(progress).toEqual({ done: false, detail: expect.stringMatching(/rename to paydb-primary-db-dev-retired-202612010507 requested/) });
    expect(primary.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: TARGET.instanceId, NewDBInstanceIdentifier: RETIRED, ApplyImmediately: true },
    ]);
    expect(dr.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  test('a rename an earlier call already requested (the name taken by it, or the instance busy with it) is waited for, not failed', async () => {
    describeOld(oldPrimary('available'));
    for (const refusal of [
      new DBInstanceAlreadyExistsFault({ message: 'DB instance already exists', $metadata: { httpStatusCode: 400 } }),
      new InvalidDBInstanceStateFault({ message: 'DB instance is not available for modification', $metadata: { httpStatusCode: 400 } }),
    ]) {
      primary.on(ModifyDBInstanceCommand).rejects(refusal);
      expect((await provisioning().retireOldWriter(TARGET, RETIRED)).done).toBe(false);
    }
    primary.on(ModifyDBInstanceCommand).rejects(new Error('AccessDenied'));
    await expect(provisioning().retireOldWriter(TARGET, RETIRED)).rejects.toThrow('AccessDenied');
  });

  test('starting, rebooting, renaming: waits', async () => {
    for (const status of ['starting', 'rebooting', 'renaming', 'modifying']) {
      describeOld(oldPrimary(status));
      expect(await provisioning().retireOldWriter(TARGET, RETIRED)).toEqual({ done: false, detail: `status ${status}: waiting until it is available` });
    }
    expect(primary.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  test('done once nothing answers to the old name (the retired one does, or nothing at all)', async () => {
    primary.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET.instanceId }).rejects(notFound());
    primary.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: RETIRED }).resolves({ DBInstances: [{ DBInstanceIdentifier: RETIRED, DBInstanceStatus: 'rebooting' }] });
    expect(await provisioning().retireOldWriter(TARGET, RETIRED)).toEqual({ done: true, detail: `${RETIRED} is rebooting; nothing answers to paydb-primary-db-dev any more` });

    primary.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: RETIRED }).rejects(notFound());
    expect((await provisioning().retireOldWriter(TARGET, RETIRED)).detail).toMatch(/neither paydb-primary-db-dev nor .* exists \(deleted\?\): the name is free/);
  });

  test('a read replica under the name is never renamed', async () => {
    primary.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: TARGET.instanceId }).resolves(replicaOf('arn:aws:rds:eu-west-1:111111111111:db:elsewhere'));
    await expect(provisioning().retireOldWriter(TARGET, RETIRED)).rejects.toBeInstanceOf(ReplicaTargetConflictError);
    expect(primary.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  test('the old DR writer after a fail-back: in the DR region, with the DR fence group', async () => {
    dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).resolves({ DBInstances: [{
      DBInstanceIdentifier: WRITER.instanceId, DBInstanceStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-dr-fence', Status: 'active' }],
    }] });

    await provisioning().retireOldWriter(WRITER, 'paydb-dr-replica-db-dev-retired-202612020101');

    expect(dr.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: WRITER.instanceId, NewDBInstanceIdentifier: 'paydb-dr-replica-db-dev-retired-202612020101', ApplyImmediately: true },
    ]);
    expect(primary.calls()).toHaveLength(0);
  });
});
