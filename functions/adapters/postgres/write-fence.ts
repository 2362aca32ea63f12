/**
 * The data-plane half of the database-level write fence, shared by the primary's lease keeper, the orchestrator's
 * planned switchover and the local drill:
 *
 * 1. the read-only default is set by the adapter where it does NOT replicate to the standby (AWS: the primary's
 *    own DB parameter group, `default_transaction_read_only` is dynamic; locally: `ALTER SYSTEM`, which lives in
 *    postgresql.auto.conf). `ALTER DATABASE … SET` would be WAL-logged and make the promoted replica read-only too;
 * 2. `terminateSessionsBefore`: every client session that started before the fence is cut, so pooled connections
 *    opened earlier cannot keep writing (a security-group change does not cut tracked connections either);
 * 3. `verifyWriteFence`, from a NEW session: it is read-only and no client session older than the fence survives.
 *
 * Replication (walsender) sessions are left alone: the replica must keep receiving WAL to catch up.
 * A client can still `SET default_transaction_read_only = off` in a new session; the network fence (deny-all
 * security group on AWS) is what stops new sessions. RDS: the master user (rds_superuser) may signal other
 * sessions (pg_signal_backend), see "Terminating a session" in
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.html
 */
import type { ClientBase } from 'pg';

/**
 * `application_name` of the fence's own sessions (the keeper's and the switchover's): they never terminate each
 * other. Any client could claim the name, so it only exempts from termination; the network fence still applies.
 */
export const FENCE_APPLICATION_NAME = 'dr-write-fence';

export interface WriteFenceCheck {
  readonly fenced: boolean;
  readonly detail: string;
}

/** The server's clock: the fence's time, taken once new sessions are read-only. */
export async function serverTime(client: ClientBase): Promise<Date> {
  return (await client.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;
}

/** Cuts every client session (but ours and RDS's own) that started before `before`; returns how many. */
export async function terminateSessionsBefore(client: ClientBase, before: Date): Promise<number> {
  // Filter first, terminate after: PostgreSQL may evaluate a WHERE clause in any order, and would then signal our
  // own session or the replica's walsender before the filters exclude them (seen with EXPLAIN on 14).
  const result = await client.query<{ pid: number }>(
    `WITH candidates AS MATERIALIZED (
       SELECT pid FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND backend_start < $1
          AND usename IS DISTINCT FROM 'rdsadmin' AND application_name IS DISTINCT FROM $2)
     SELECT pid FROM candidates WHERE pg_terminate_backend(pid)`,
    [before, FENCE_APPLICATION_NAME],
  );
  return result.rowCount ?? 0;
}

/**
 * Checks the fence on a NEW session (`client` connected after the fence). THROWS only if it cannot query.
 * `fencedAt` is the fence's own time; without it, no other client session may exist at all.
 */
export async function verifyWriteFence(client: ClientBase, fencedAt?: Date): Promise<WriteFenceCheck> {
  const [{ read_only: readOnly }] = (await client.query<{ read_only: string }>("SELECT current_setting('transaction_read_only') AS read_only")).rows;
  const survivors = (await client.query<{ count: string }>(
    `SELECT count(*) AS count FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename IS DISTINCT FROM 'rdsadmin'
        AND application_name IS DISTINCT FROM $2 AND ($1::timestamptz IS NULL OR backend_start < $1)`,
    [fencedAt ?? null, FENCE_APPLICATION_NAME],
  )).rows[0].count;
  const problems = [
    ...(readOnly === 'on' ? [] : ['a new session is NOT read-only']),
    ...(Number(survivors) === 0 ? [] : [`${survivors} client sessions from before the fence are still open`]),
  ];
  return problems.length === 0
    ? { fenced: true, detail: 'new sessions are read-only and no session from before the fence survives' }
    : { fenced: false, detail: problems.join('; ') };
}

/** The WAL position up to which the server has flushed: after a verified fence, nothing commits past it. */
export async function walFlushLsn(client: ClientBase): Promise<string> {
  return (await client.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0].lsn;
}

/** The standby's replay position; `undefined` once it is no longer in recovery. */
export async function walReplayLsn(client: ClientBase): Promise<string | undefined> {
  const [row] = (await client.query<{ in_recovery: boolean; lsn: string | null }>(
    'SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS lsn',
  )).rows;
  return row.in_recovery ? row.lsn ?? '0/0' : undefined;
}

/** Is this server a writer? Out of recovery and a test write commits (in the monitor's own schema). */
export async function checkWriter(client: ClientBase): Promise<{ writable: boolean; detail: string }> {
  const [{ in_recovery: inRecovery }] = (await client.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery')).rows;
  if (inRecovery) return { writable: false, detail: 'still in recovery (a standby)' };
  try {
    // A plain transaction, as a client's would be: a read-only default on this server must fail the check.
    await client.query('BEGIN');
    await client.query('CREATE SCHEMA IF NOT EXISTS dr_monitor');
    await client.query('CREATE TABLE IF NOT EXISTS dr_monitor.writer_check (id int primary key, checked_at timestamptz not null)');
    await client.query('INSERT INTO dr_monitor.writer_check VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at');
    await client.query('COMMIT');
    return { writable: true, detail: 'out of recovery; a test write committed' };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    return { writable: false, detail: `test write refused: ${(error as Error).message}` };
  }
}
