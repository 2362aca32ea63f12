import { Client } from 'pg';
import { PostgresCluster, startCluster } from '../../functions/adapters/local/postgres-cluster';
import { measureReplicationLag, writeHeartbeat } from '../../functions/adapters/postgres/replication-probe';
import { postgresReplicationProbes } from '../../functions/adapters/postgres/replication-probes';
import type { MetricDatum } from '../../functions/core/ports';
import { runMonitorCycle } from '../../functions/replication-monitor/monitor';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: PostgresCluster;
let primary: Client;
let replica: Client;

beforeAll(async () => {
  cluster = await startCluster({ database: 'payments' });
  primary = await cluster.primary.connect();
  replica = await cluster.replica.connect();
  await primary.query('CREATE TABLE payments (id bigserial primary key, amount numeric not null)');
});

afterAll(async () => {
  await primary?.end();
  await replica?.end();
  await cluster?.stop();
});

/** What RDS reports as ReplicaLag for PostgreSQL: time since the last replayed transaction. */
async function naiveReplayTimestampLag(): Promise<number> {
  const { rows } = await replica.query<{ lag: number }>('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag');
  return rows[0].lag;
}

async function primaryFlushLsn(): Promise<string> {
  const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
  return rows[0].lsn;
}

test('the heartbeat creates its schema once, keeps one row and advances the WAL', async () => {
  const first = await writeHeartbeat(primary);
  const second = await writeHeartbeat(primary);

  const { rows } = await primary.query<{ id: number; written_at: Date }>('SELECT id, written_at FROM dr_monitor.heartbeat');
  expect(rows).toEqual([{ id: 1, written_at: second.writtenAt }]);
  expect(second.writtenAt.getTime()).toBeGreaterThanOrEqual(first.writtenAt.getTime());
  const { rows: order } = await primary.query<{ advanced: boolean }>('SELECT $1::pg_lsn > $2::pg_lsn AS advanced', [second.lsn, first.lsn]);
  expect(order[0].advanced).toBe(true);
});

test('a caught-up replica reports about zero lag and zero bytes behind', async () => {
  const heartbeat = await writeHeartbeat(primary);

  const lag = await measureReplicationLag(replica, { primaryLsn: heartbeat.lsn });

  expect(lag.method).toBe('caught-up');
  expect(lag.lagSeconds).toBeLessThan(1);
  expect(lag.bytesBehind).toBe(0);
  const { rows } = await replica.query<{ written_at: Date }>('SELECT written_at FROM dr_monitor.heartbeat');
  expect(rows[0].written_at).toEqual(heartbeat.writtenAt);
});

test('on an idle primary the lag stays about zero while the naive replay-timestamp lag keeps growing', async () => {
  await writeHeartbeat(primary);
  await cluster.waitForReplicaCatchUp();
  const idleSeconds = 3;

  const samples: Array<{ lag: number; naive: number }> = [];
  for (let second = 0; second <= idleSeconds; second += 1) {
    if (second > 0) await sleep(1000);
    const lag = await measureReplicationLag(replica, { primaryLsn: await primaryFlushLsn() });
    expect(lag.method).toBe('caught-up');
    samples.push({ lag: lag.lagSeconds, naive: await naiveReplayTimestampLag() });
  }

  for (const sample of samples) expect(sample.lag).toBeLessThan(0.5);
  expect(samples[idleSeconds].naive).toBeGreaterThanOrEqual(idleSeconds - 0.2);
  expect(samples[idleSeconds].naive - samples[0].naive).toBeGreaterThan(idleSeconds - 0.5);
});

test('lag grows while replay is paused under write load and returns to about zero after resume', async () => {
  await replica.query('SELECT pg_wal_replay_pause()');
  try {
    const writeFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await primary.query('INSERT INTO payments (amount) SELECT 10.50 FROM generate_series(1, 50)');
        await sleep(50);
      }
    };
    await writeFor(1200);
    const early = await measureReplicationLag(replica, { primaryLsn: (await writeHeartbeat(primary)).lsn, catchUpWaitMs: 200 });
    await writeFor(1200);
    const late = await measureReplicationLag(replica, { primaryLsn: (await writeHeartbeat(primary)).lsn, catchUpWaitMs: 200 });

    expect(early.method).toBe('replay-timestamp');
    expect(late.method).toBe('replay-timestamp');
    expect(early.lagSeconds).toBeGreaterThan(1);
    expect(late.lagSeconds - early.lagSeconds).toBeGreaterThan(1);
    expect(early.bytesBehind).toBeGreaterThan(0);
    expect(late.bytesBehind).toBeGreaterThan(early.bytesBehind!);
  } finally {
    await replica.query('SELECT pg_wal_replay_resume()');
  }

  const recovered = await measureReplicationLag(replica, { primaryLsn: (await writeHeartbeat(primary)).lsn });
  expect(recovered.method).toBe('caught-up');
  expect(recovered.lagSeconds).toBeLessThan(1);
  expect(recovered.bytesBehind).toBe(0);
  const counts = await Promise.all([primary, replica].map((client) => client.query<{ n: string }>('SELECT count(*) AS n FROM payments')));
  expect(counts[1].rows[0].n).toBe(counts[0].rows[0].n);
});

test('measuring lag on the primary is refused: there is no replication to lag', async () => {
  await expect(measureReplicationLag(primary)).rejects.toThrow(/not a replica/);
});

test('a monitor run against real PostgreSQL publishes both nodes reachable and about zero lag', async () => {
  const recorded: MetricDatum[] = [];
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  const result = await runMonitorCycle({
    configured: { writer: { side: 'primary', instanceId: 'primary' }, replica: { side: 'dr', instanceId: 'replica' } },
    probes: async () => () => postgresReplicationProbes({ primary: cluster.primary.target, replica: cluster.replica.target, timeoutMs: 2000 }),
    describe: async () => ({ status: 'available', available: true }),
    failoverState: { read: async () => undefined },
    metrics: { record: async (data) => void recorded.push(...data) },
    logger: quiet,
  });

  expect(result.errors).toEqual([]);
  expect(result.lag?.method).toBe('caught-up');
  const values = Object.fromEntries(recorded.map((datum) => [datum.name, datum.value]));
  expect(values).toMatchObject({ PrimaryReachable: 1, ReplicaReachable: 1, FailedOver: 0, MonitorErrors: 0 });
  expect(values.ReplicationLagSeconds).toBeLessThan(1);
});
