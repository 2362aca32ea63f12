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
 */
import {
  CreateDBInstanceReadReplicaCommand, DBInstanceAlreadyExistsFault, DBInstanceNotFoundFault, DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand, KMSKeyNotAccessibleFault, RDSClient, StartDBInstanceAutomatedBackupsReplicationCommand,
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
const TARGET: DatabaseMember = { side: 'primary', instanceId: 'paydb-primary-db-dev-r2' };
const SETTINGS: ReplicaTargetSettings = {
  instanceId: TARGET.instanceId, kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary', dbSubnetGroupName: 'paydb-primary-subnets-dev',
  dbParameterGroupName: 'paydb-primary-r2-dev-params', vpcSecurityGroupIds: ['sg-db'], backupRetentionDays: 7,
};
const provisioning = () => new RdsReplicaProvisioning({
  regions: { primary: { region: 'us-east-1', rds: primaryRds }, dr: { region: 'us-east-2', rds: drRds } },
  targets: { primary: SETTINGS },
});
const notFound = () => new DBInstanceNotFoundFault({ message: 'DBInstance not found', $metadata: { httpStatusCode: 404 } });
const replicaOf = (source: string, status = 'available', replication = 'replicating') => ({ DBInstances: [{
  DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: status, ReadReplicaSourceDBInstanceIdentifier: source,
  StatusInfos: [{ StatusType: 'read replication', Status: replication, Normal: replication === 'replicating' }],
}] });

beforeEach(() => {
  primary.reset();
  dr.reset();
  dr.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: WRITER.instanceId }).resolves({ DBInstances: [{ DBInstanceIdentifier: WRITER.instanceId, DBInstanceArn: WRITER_ARN, DBInstanceStatus: 'available' }] });
});

describe('the target', () => {
  test('the replica of a DR writer goes to the primary region under the configured identifier; none is configured for the DR region', () => {
    expect(provisioning().targetFor(WRITER)).toEqual(TARGET);
    expect(provisioning().targetFor({ side: 'primary', instanceId: TARGET.instanceId })).toBeUndefined();
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
  test('called in the TARGET region with the writer\'s ARN, that region\'s key, subnet group, parameter group and security groups', async () => {
    primary.on(CreateDBInstanceReadReplicaCommand).resolves({ DBInstance: { DBInstanceIdentifier: TARGET.instanceId, DBInstanceStatus: 'creating' } });

    await provisioning().createReplica(WRITER, TARGET);

    expect(dr.commandCalls(CreateDBInstanceReadReplicaCommand)).toHaveLength(0);
    expect(primary.commandCalls(CreateDBInstanceReadReplicaCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'paydb-primary-db-dev-r2',
      SourceDBInstanceIdentifier: WRITER_ARN,
      KmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/primary',
      DBSubnetGroupName: 'paydb-primary-subnets-dev',
      DBParameterGroupName: 'paydb-primary-r2-dev-params',
      VpcSecurityGroupIds: ['sg-db'],
      PubliclyAccessible: false,
      CopyTagsToSnapshot: true,
      DeletionProtection: true,
    });
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
