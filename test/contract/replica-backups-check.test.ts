import { runSyntheticDrill, type SyntheticDrillPorts } from '../../functions/core/drill-readiness';

/**
 * Defect 5, the contract between the DR replica the infrastructure builds and the drill's `replica-backups` check.
 *
 * The infrastructure gives the cross-region replica its own automated backups (BackupRetentionPeriod, see
 * lib/constructs/database/replica-database.ts). RDS for PostgreSQL supports automated backups on read replicas from
 * 14.1, but "Point-in-time recovery (PITR) isn't supported for read replicas. You can use PITR only with a primary
 * (writer) instance" ("Working with read replicas for Amazon RDS for PostgreSQL", limitations,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.html), and
 * DescribeDBInstances' LatestRestorableTime is "the latest time to which a database in this DB instance can be restored
 * with point-in-time restore" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html). A replica
 * therefore reports no LatestRestorableTime, and a check that requires one is never ready: the pipeline's post-deploy
 * step would fail on every run.
 *
 * The check is now based on what RDS reports for a replica: retention > 0 and the age of its newest automated
 * snapshot (functions/core/drill-readiness.ts). Before that fix the first test failed.
 */

const ports = (retentionDays: number): SyntheticDrillPorts => ({
  inspection: {
    alarmStates: async () => [],
    // What DescribeDBInstances returns for a healthy cross-region PostgreSQL replica: retention, no restorable time.
    replicaBackups: async () => ({ retentionDays, latestAutomatedBackupAt: new Date(Date.parse('2025-12-31T20:00:00Z')) }),
    failoverRecords: async () => [],
    healthCheckExists: async () => true,
    simulateOrchestrator: async () => [],
    failoverRule: async () => undefined,
  },
  database: {
    describeReplica: async () => { throw new Error('not under test'); },
    replicationLagSeconds: async () => { throw new Error('not under test'); },
  },
  failoverState: { read: async () => undefined },
  metrics: { record: async () => undefined },
  alerts: { notify: async () => undefined },
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  now: () => Date.parse('2026-01-01T00:00:00Z'),
});

const settings = {
  estateAlarmNames: [], compositeAlarmName: 'composite', orchestratorFunctionArn: 'arn:aws:lambda:us-east-2:123456789012:function:orchestrator',
  replicaEndpoint: 'replica.example', maxLagSeconds: 300, maxBackupAgeHours: 26, orchestratorPermissions: [],
};

const backupsCheck = async (retentionDays: number) =>
  (await runSyntheticDrill('test', ports(retentionDays), settings)).checks.find((check) => check.name === 'replica-backups');

describe('defect 5: the drill\'s replica-backups check accepts what RDS reports for a PostgreSQL read replica', () => {
  it('a replica with automated backups and no LatestRestorableTime (PITR is not supported on replicas) is ready', async () => {
    expect(await backupsCheck(7)).toMatchObject({ ok: true });
  });

  it('a replica without automated backups is not ready (this part holds today and after the fix)', async () => {
    expect(await backupsCheck(0)).toMatchObject({ ok: false, detail: expect.stringContaining('retention 0') });
  });
});
