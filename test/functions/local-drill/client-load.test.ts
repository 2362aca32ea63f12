import { setTimeout as sleep } from 'node:timers/promises';
import { FaultProxy } from '../../../functions/adapters/local/fault-proxy';
import { freePort, PostgresCluster, startCluster } from '../../../functions/adapters/local/postgres-cluster';
import { HISTORY_TABLE_SQL, readWrittenIds, runClientLoad, serverIdentity, type ClientLoadOptions } from '../../../functions/local-drill/client-load';
import { boundedLoss, failedWritesNeverCommit, oneWriter } from '../../../functions/local-drill/history/checks';
import { HistoryRecorder, type History, type ServerId } from '../../../functions/local-drill/history/history';

// Against one real PostgreSQL 14 primary + replica. Each test runs its own load (its own client prefix) on the
// shared table for a fraction of a second.
let cluster: PostgresCluster;
let primaryId: ServerId;
let replicaId: ServerId;

beforeAll(async () => {
  cluster = await startCluster({ database: 'drill' });
  await cluster.primary.query(HISTORY_TABLE_SQL);
  await cluster.waitForReplicaCatchUp();
  primaryId = await cluster.primary.session(serverIdentity);
  replicaId = await cluster.replica.session(serverIdentity);
});

afterAll(async () => {
  await cluster?.stop();
});

/** Runs a load while `whileRunning` runs, then stops it and waits for every client to finish. */
async function runLoadWhile(options: Omit<ClientLoadOptions, 'signal'>, whileRunning: () => Promise<unknown>): Promise<History> {
  const stop = new AbortController();
  const load = runClientLoad({ ...options, signal: stop.signal });
  try {
    await whileRunning();
  } finally {
    stop.abort();
    await load;
  }
  return options.history.events;
}

const primaryIds = () => cluster.primary.session(readWrittenIds);

test('four clients write concurrently, one operation at a time each; every acknowledged write is on the primary and the checks pass', async () => {
  const history = new HistoryRecorder();

  const events = await runLoadWhile({ history, path: 'direct', clientPrefix: 'steady', target: () => cluster.primary.target }, () => sleep(500));

  expect(events.filter((event) => event.outcome !== 'ok')).toEqual([]);
  expect(events.length).toBeGreaterThan(40);
  expect(new Set(events.map((event) => event.client))).toEqual(new Set(['steady-1', 'steady-2', 'steady-3', 'steady-4']));
  expect(new Set(events.map((event) => event.server))).toEqual(new Set([primaryId]));
  for (const client of ['steady-1', 'steady-2', 'steady-3', 'steady-4']) {
    const own = events.filter((event) => event.client === client);
    expect(own.every((event, index) => index === 0 || event.invokedAt >= own[index - 1].completedAt)).toBe(true);
  }
  const present = await primaryIds();
  const results = [oneWriter(events), boundedLoss(events, { survivingIds: present, lossBound: 0 }), failedWritesNeverCommit(events, present)];
  expect(results.filter((result) => !result.passed)).toEqual([]);
  expect(results[1]).toMatchObject({ lost: 0, rpoSeconds: 0 });
});

test('a read-only replica rejects every write: fail with SQLSTATE 25006, answered by a server distinguishable from the primary', async () => {
  const history = new HistoryRecorder();

  const events = await runLoadWhile({ history, path: 'direct', clientPrefix: 'replica', clients: 2, target: () => cluster.replica.target }, () => sleep(200));

  // A physical replica is a clone: the same system identifier as its primary, told apart by its address.
  expect(replicaId.split('@')[0]).toBe(primaryId.split('@')[0]);
  expect(replicaId).not.toBe(primaryId);
  expect(events.length).toBeGreaterThan(2);
  expect(events.every((event) => event.outcome === 'fail' && event.server === replicaId && /^25006: /.test(event.error))).toBe(true);
  expect(failedWritesNeverCommit(events, await primaryIds()).passed).toBe(true);
});

test('a refused connection is a fail that no server answered, and stopping does not wait out the reconnect pause', async () => {
  const history = new HistoryRecorder();
  const closedPort = await freePort();
  const startedAt = Date.now();

  const events = await runLoadWhile(
    { history, path: 'direct', clientPrefix: 'refused', clients: 1, reconnectDelayMs: 10_000, target: () => ({ ...cluster.primary.target, port: closedPort }) },
    () => sleep(100),
  );

  expect(Date.now() - startedAt).toBeLessThan(1000);
  expect(events).toEqual([expect.objectContaining({ client: 'refused-1', outcome: 'fail', error: expect.stringContaining('ECONNREFUSED') })]);
  expect(events[0]).not.toHaveProperty('server');
});

test('a COMMIT whose answer is black-holed is info, not fail — and the write did commit; black-holed connects fail', async () => {
  // Rows of the `slow-` clients make COMMIT take 300 ms (a deferred trigger runs at commit), so the black hole
  // can be dropped while every client is known to be waiting for its COMMIT's answer.
  await cluster.primary.query(`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;
    CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON drill_history DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.client LIKE 'slow-%') EXECUTE FUNCTION slow_commit()`);
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: cluster.primary.port });
  const history = new HistoryRecorder();
  const stepTimeoutMs = 600;
  try {
    await runLoadWhile(
      { history, path: 'endpoint', clientPrefix: 'slow', stepTimeoutMs, target: () => ({ ...cluster.primary.target, host: proxy.host, port: proxy.port }) },
      async () => {
        await waitUntil(async () => {
          const [{ committing }] = await cluster.primary.query<{ committing: number }>(
            "SELECT count(*)::int AS committing FROM pg_stat_activity WHERE application_name LIKE 'drill-slow-%' AND state = 'active' AND query = 'COMMIT'",
          );
          return committing === 4;
        });
        proxy.blackhole();
        // Each client's COMMIT times out, then its reconnect meets the black hole and times out too.
        await waitUntil(async () => history.events.filter((event) => event.outcome === 'fail').length >= 4);
      },
    );
  } finally {
    await proxy.close();
    await cluster.primary.query('DROP TRIGGER slow_commit ON drill_history; DROP FUNCTION slow_commit()');
  }

  const events = history.events;
  const indeterminate = events.filter((event) => event.outcome === 'info');
  const present = await primaryIds();
  expect(indeterminate.map((event) => [event.id, event.server, event.error]).sort()).toEqual(
    ['slow-1:1', 'slow-2:1', 'slow-3:1', 'slow-4:1'].map((id) => [id, primaryId, 'Query read timeout']),
  );
  expect(indeterminate.every((event) => event.completedAt - event.invokedAt >= stepTimeoutMs)).toBe(true);
  expect(indeterminate.every((event) => present.has(event.id))).toBe(true);
  // The reconnects after the timeouts met the black hole: nothing was sent, so they are definite failures.
  const failed = events.filter((event) => event.outcome === 'fail');
  expect(failed.length).toBeGreaterThanOrEqual(4);
  expect(failed.every((event) => event.server === undefined && /timeout/.test(event.error))).toBe(true);
  expect(events.filter((event) => event.outcome === 'ok')).toEqual([]);
  expect(failedWritesNeverCommit(events, present).passed).toBe(true);
  expect(boundedLoss(events, { survivingIds: present, lossBound: 0 })).toMatchObject({ passed: true, lost: 0 });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
