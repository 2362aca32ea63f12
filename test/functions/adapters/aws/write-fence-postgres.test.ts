/**
 * The write fence against a REAL PostgreSQL primary + streaming replica (functions/adapters/local/postgres-cluster.ts).
 * RDS itself is mocked (aws-sdk-client-mock): ModifyDBParameterGroup "applies" the read-only default to the local
 * primary a little later, as RDS applies a dynamic parameter asynchronously, and the security groups are a small
 * in-memory model. Everything SQL is real.
 */
import {
  DescribeDBInstancesCommand, ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { Client, Pool, type PoolClient } from 'pg';
import { AwsPrimarySelfFence } from '../../../../functions/adapters/aws/aws-primary-self-fence';
import type { TargetProvider } from '../../../../functions/adapters/aws/database-session';
import { RdsDatabaseControl } from '../../../../functions/adapters/aws/rds-database-control';
import { startCluster, type PostgresCluster } from '../../../../functions/adapters/local/postgres-cluster';
import { FENCE_APPLICATION_NAME, serverTime, terminateSessionsBefore, verifyWriteFence } from '../../../../functions/adapters/postgres/write-fence';
import { lsnReached } from '../../../../functions/core/lsn';
import { systemClock } from '../../../../functions/core/system-clock';

const rds = mockClient(RDSClient);
let cluster: PostgresCluster;
/** The primary's security groups as RDS would list them. */
let securityGroups: { VpcSecurityGroupId: string; Status: string }[];
/** How long the mocked RDS takes to apply a parameter change to the server. */
const APPLY_DELAY_MS = 400;
const pending: Promise<unknown>[] = [];

beforeAll(async () => {
  cluster = await startCluster({ database: 'drill' });
  await cluster.primary.query('CREATE TABLE payments (id serial primary key, amount int not null)');
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(pending);
  await cluster?.stop();
});

beforeEach(() => {
  rds.reset();
  securityGroups = [{ VpcSecurityGroupId: 'sg-primary', Status: 'active' }];
  rds.on(ModifyDBParameterGroupCommand).callsFake(async (input) => {
    const value = input.Parameters?.[0]?.ParameterValue === '1' ? 'on' : 'off';
    // RDS answers at once and applies the dynamic parameter shortly after.
    pending.push(new Promise((resolve) => setTimeout(resolve, APPLY_DELAY_MS))
      .then(() => cluster.primary.configure({ default_transaction_read_only: value })));
    return { DBParameterGroupName: input.DBParameterGroupName };
  });
  rds.on(DescribeDBInstancesCommand).callsFake(async () => ({ DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: securityGroups }] }));
  rds.on(ModifyDBInstanceCommand).callsFake(async (input) => {
    securityGroups = (input.VpcSecurityGroupIds ?? []).map((id: string) => ({ VpcSecurityGroupId: id, Status: 'active' }));
    return {};
  });
});

afterEach(async () => {
  await Promise.allSettled(pending.splice(0));
  await cluster.primary.configure({ default_transaction_read_only: 'off' });
});

const primary: TargetProvider = async () => cluster.primary.target;
const replica: TargetProvider = async () => cluster.replica.target;

/** A pooled application session that has been writing (and holds an open transaction with an uncommitted write). */
async function writingPooledSession(pool: Pool): Promise<PoolClient> {
  const session = await pool.connect();
  session.on('error', () => undefined);
  await session.query('INSERT INTO payments (amount) VALUES (1)');
  await session.query('BEGIN');
  await session.query('INSERT INTO payments (amount) VALUES (2)');
  return session;
}

const count = async () => Number((await cluster.primary.query<{ n: string }>('SELECT count(*) AS n FROM payments'))[0].n);
const poolFor = () => {
  const pool = new Pool({ ...cluster.primary.connectionConfig, max: 2 });
  pool.on('error', () => undefined);
  return pool;
};

test('terminateSessionsBefore + verifyWriteFence cut an open pooled session that was writing', async () => {
  const pool = poolFor();
  const session = await writingPooledSession(pool);
  const before = await count();
  const walsender = async () => (await cluster.primary.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender'")).map((row) => row.pid);
  const streaming = await walsender();
  expect(streaming).toHaveLength(1);
  await cluster.primary.configure({ default_transaction_read_only: 'on' });
  // The fence's own session, as the keeper and the switchover open it.
  const admin = new Client({ ...cluster.primary.connectionConfig, application_name: FENCE_APPLICATION_NAME });
  await admin.connect();
  try {
    const fencedAt = await serverTime(admin);
    // Before the cut, the check from a new session sees the survivor.
    const checker = await cluster.primary.connect();
    expect(await verifyWriteFence(checker, fencedAt)).toEqual({ fenced: false, detail: '1 client sessions from before the fence are still open' });
    await checker.end();

    expect(await terminateSessionsBefore(admin, fencedAt)).toBe(1);
    // The fencing session itself and the replica's walsender are left alone.
    expect((await admin.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await walsender()).toEqual(streaming);

    const fresh = await cluster.primary.connect();
    expect(await verifyWriteFence(fresh, fencedAt)).toEqual({ fenced: true, detail: 'new sessions are read-only and no session from before the fence survives' });
    await expect(fresh.query('INSERT INTO payments (amount) VALUES (3)')).rejects.toMatchObject({ code: '25006' });
    await fresh.end();
  } finally {
    await admin.end();
  }
  // The pooled session is gone: its next statement fails and its uncommitted write never lands.
  await expect(session.query('INSERT INTO payments (amount) VALUES (4)')).rejects.toThrow(/terminat|not queryable/);
  session.release(true);
  await pool.end();
  expect(await count()).toBe(before);
});

describe('AwsPrimarySelfFence (the lease keeper, primary region only)', () => {
  const fence = (target: TargetProvider = primary) => new AwsPrimarySelfFence({
    rds: new RDSClient({ region: 'us-east-1' }), instanceId: 'paydb-primary-dev', parameterGroupName: 'paydb-primary-dev-params',
    primarySecurityGroupId: 'sg-primary', fenceSecurityGroupId: 'sg-fence', primaryTarget: target, sqlTimeoutMs: 2_000,
    settleTimeoutMs: 3_000, settlePollMs: 100, clock: systemClock,
  });

  test('the primary answers its keeper; a closed port does not', async () => {
    expect(await fence().primaryAnswers()).toBe(true);
    expect(await fence(async () => ({ ...cluster.primary.target, port: 1 })).primaryAnswers()).toBe(false);
    expect(await fence(async () => { throw new Error('AccessDenied'); }).primaryAnswers()).toBe(false);
  });

  test('fence: read-only parameter, pooled writers cut once it applies, fence group; verified; release makes it writable again', async () => {
    const pool = poolFor();
    const session = await writingPooledSession(pool);
    const keeper = fence();

    const action = await keeper.fence('the write lease could not be renewed');
    const check = await keeper.verify();

    expect(action).toMatch(/default_transaction_read_only=1 requested on paydb-primary-dev-params; new sessions read-only; [1-9]\d* older client session\(s\) terminated; moved into sg-fence/);
    expect(check).toEqual({
      fenced: true,
      detail: 'new sessions are read-only and no session from before the fence survives; only the fence security group is listed and active (sg-fence (active))',
    });
    await expect(session.query('SELECT 1')).rejects.toThrow();
    session.release(true);
    await expect(cluster.primary.query('INSERT INTO payments (amount) VALUES (5)')).rejects.toMatchObject({ code: '25006' });
    expect(rds.commandCalls(ModifyDBParameterGroupCommand).map((call) => call.args[0].input)).toEqual([{
      DBParameterGroupName: 'paydb-primary-dev-params',
      Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
    }]);
    expect(rds.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input))
      .toEqual([{ DBInstanceIdentifier: 'paydb-primary-dev', VpcSecurityGroupIds: ['sg-fence'], ApplyImmediately: true }]);

    await keeper.release();
    await Promise.allSettled(pending.splice(0));
    await cluster.primary.query('INSERT INTO payments (amount) VALUES (6)');
    expect(securityGroups).toEqual([{ VpcSecurityGroupId: 'sg-primary', Status: 'active' }]);
    await pool.end();
  });

  test('a parameter that has not reached the server yet: nothing is cut, verify says "not fenced", the next tick completes it', async () => {
    const keeper = new AwsPrimarySelfFence({
      rds: new RDSClient({ region: 'us-east-1' }), instanceId: 'paydb-primary-dev', parameterGroupName: 'paydb-primary-dev-params',
      primarySecurityGroupId: 'sg-primary', fenceSecurityGroupId: 'sg-fence', primaryTarget: primary, sqlTimeoutMs: 2_000,
      settleTimeoutMs: 0, clock: systemClock,
    });
    const pool = poolFor();
    const session = await writingPooledSession(pool);

    expect(await keeper.fence('lost')).toMatch(/has not reached new sessions yet/);
    expect(await keeper.verify()).toMatchObject({ fenced: false, detail: expect.stringMatching(/^the read-only default had not reached new sessions/) });
    await session.query('SELECT 1'); // not cut while new sessions would still be writable

    await Promise.allSettled(pending.splice(0));
    expect(await keeper.fence('lost')).toMatch(/new sessions read-only; [1-9]\d* older client session\(s\) terminated; already only in sg-fence/);
    expect((await keeper.verify()).fenced).toBe(true);
    session.release(true);
    await pool.end();
  });
});

describe('RdsDatabaseControl over SQL (the orchestrator\'s planned switchover)', () => {
  const control = (options: { primaryTarget?: TargetProvider; replicaTarget?: TargetProvider; freezeTimeoutMs?: number } = {}) => new RdsDatabaseControl({
    primaryRds: new RDSClient({ region: 'us-east-1' }), drRds: new RDSClient({ region: 'us-east-2' }),
    primaryInstanceId: 'paydb-primary-dev', replicaInstanceId: 'paydb-replica-dev', fenceSecurityGroupId: 'sg-fence',
    primaryParameterGroup: 'paydb-primary-dev-params', primaryTarget: options.primaryTarget ?? primary, replicaTarget: options.replicaTarget ?? replica,
    probe: async () => ({ reachable: true, latencyMs: 1 }),
    replicationLag: { replicationLagEstimate: async () => ({ lagSeconds: 0, basis: 'fixed for the test' }) },
    sqlTimeoutMs: 2_000, freezeTimeoutMs: options.freezeTimeoutMs ?? 10_000, freezePollMs: 100, clock: systemClock,
  });

  test('a freeze that is never verified throws instead of reporting a flush position', async () => {
    rds.on(ModifyDBParameterGroupCommand).resolves({}); // accepted, but never reaches the server
    await expect(control({ freezeTimeoutMs: 800 }).freezePrimary()).rejects.toThrow(/write freeze of the primary is not verified after 0.8 s: new sessions are not read-only yet/);
    await cluster.primary.query('INSERT INTO payments (amount) VALUES (7)');
  });

  test('freeze: retried while the parameter applies, pooled writers cut, verified from a new session, then the flush LSN; the replica reaches it', async () => {
    const pool = poolFor();
    const session = await writingPooledSession(pool);
    const dr = control();

    const frozen = await dr.freezePrimary();

    expect(frozen.flushLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(frozen.detail).toMatch(/new sessions are read-only and no session from before the fence survives; [1-9]\d* client session\(s\) terminated; WAL flushed up to/);
    await expect(session.query('SELECT 1')).rejects.toThrow();
    session.release(true);
    await expect(cluster.primary.query('INSERT INTO payments (amount) VALUES (8)')).rejects.toMatchObject({ code: '25006' });
    // Nothing commits past the frozen position: the replica catches up to it and stays there.
    await cluster.waitForReplicaCatchUp();
    const replayed = await dr.replicaReplayLsn();
    expect(replayed).toBeDefined();
    expect(lsnReached(replayed!, frozen.flushLsn)).toBe(true);
    expect(await dr.verifyWriter()).toEqual({ writable: false, detail: 'still in recovery (a standby)' });

    await dr.thawPrimary();
    await Promise.allSettled(pending.splice(0));
    await cluster.primary.query('INSERT INTO payments (amount) VALUES (9)');
    await pool.end();
  });

  test('a rotated password on the SQL path is re-read once', async () => {
    const reads: (boolean | undefined)[] = [];
    const rotating: TargetProvider = async (options) => {
      reads.push(options?.refreshCredentials);
      return options?.refreshCredentials ? cluster.replica.target : { ...cluster.replica.target, password: 'stale' };
    };
    expect(await control({ replicaTarget: rotating }).replicaReplayLsn()).toMatch(/\//);
    expect(reads).toEqual([undefined, true]);
  });

  test('after promotion: no replay position, and the DR database takes a test write', async () => {
    await cluster.replica.promote();
    const dr = control();
    expect(await dr.replicaReplayLsn()).toBeUndefined();
    expect(await dr.verifyWriter()).toEqual({ writable: true, detail: 'out of recovery; a test write committed' });
  });
});
