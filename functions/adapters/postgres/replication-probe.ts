/**
 * Heartbeat and replication-lag measurement shared by the AWS replication monitor and the local drill.
 *
 * Why not RDS's own `ReplicaLag`: for PostgreSQL, AWS documents it as
 * `extract(epoch from now() - pg_last_xact_replay_timestamp())` on the replica, i.e. "time since the last
 * replayed transaction". On an idle primary nothing is replayed, so that number climbs steadily although the
 * replica holds every byte the primary has — it reads as minutes of lag on a quiet night and would cross a
 * 300 s alarm (or block a promotion) with zero data at risk. A heartbeat written every minute only caps the
 * error at a minute. The correct question is positional: has the replica replayed up to the primary's current
 * WAL position? Only when it has not is "time since the last replayed commit" the lag.
 */
import type { ClientBase } from 'pg';

export const HEARTBEAT_SCHEMA_SQL = [
  'CREATE SCHEMA IF NOT EXISTS dr_monitor',
  'CREATE TABLE IF NOT EXISTS dr_monitor.heartbeat (id int primary key, written_at timestamptz not null)',
];

const HEARTBEAT_ROW_ID = 1;
const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA_NAME = '3F000';

export interface Heartbeat {
  /** The primary's WAL flush position after the heartbeat committed: a replica that replayed this has everything. */
  lsn: string;
  writtenAt: Date;
}

export type LagMethod = 'caught-up' | 'replay-timestamp' | 'heartbeat-age';

export interface ReplicationLag {
  lagSeconds: number;
  /** How `lagSeconds` was derived (see `measureReplicationLag`). */
  method: LagMethod;
  /** WAL bytes between the primary's position and the replica's replay position; only when the primary's LSN is known. */
  bytesBehind?: number;
  replayLsn?: string;
  /** Commit time (primary clock) of the last transaction the replica replayed. */
  lastReplayedCommitAt?: Date;
  /** Newest heartbeat visible on the replica. */
  heartbeatWrittenAt?: Date;
}

export interface MeasureLagOptions {
  /** The primary's current WAL position (from `writeHeartbeat`); omit when the primary is unreachable. */
  primaryLsn?: string;
  /**
   * How long to wait for the replica to replay up to `primaryLsn` before calling it behind. The heartbeat the
   * caller has just written needs a few milliseconds to stream; without this grace every healthy measurement
   * would fall through to "time since the previous replayed commit". Default 1000 ms.
   */
  catchUpWaitMs?: number;
}

export async function ensureHeartbeatSchema(primary: ClientBase): Promise<void> {
  for (const statement of HEARTBEAT_SCHEMA_SQL) await primary.query(statement);
}

/**
 * Upserts the single heartbeat row with the primary's `now()` (autocommit), then reads the WAL position that
 * includes that commit. Creates the schema on first use.
 */
export async function writeHeartbeat(primary: ClientBase): Promise<Heartbeat> {
  const upsert = () =>
    primary.query<{ written_at: Date }>(
      `INSERT INTO dr_monitor.heartbeat (id, written_at) VALUES ($1, now())
       ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at
       RETURNING written_at`,
      [HEARTBEAT_ROW_ID],
    );
  let result;
  try {
    result = await upsert();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== UNDEFINED_TABLE && code !== INVALID_SCHEMA_NAME) throw error;
    await ensureHeartbeatSchema(primary);
    result = await upsert();
  }
  // The flush position, not the insert position: a walsender can only ship flushed WAL, so this is the
  // point a caught-up replica can actually reach.
  const position = await primary.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
  return { lsn: position.rows[0].lsn, writtenAt: result.rows[0].written_at };
}

interface ReplicaPosition {
  in_recovery: boolean;
  replay_lsn: string | null;
  caught_up: boolean | null;
  bytes_behind: string | null;
  last_replayed_commit_at: Date | null;
  seconds_since_last_replayed_commit: number | null;
}

async function readReplicaPosition(replica: ClientBase, primaryLsn: string | undefined): Promise<ReplicaPosition> {
  const { rows } = await replica.query<ReplicaPosition>(
    `SELECT pg_is_in_recovery() AS in_recovery,
            pg_last_wal_replay_lsn()::text AS replay_lsn,
            pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up,
            greatest(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::text AS bytes_behind,
            pg_last_xact_replay_timestamp() AS last_replayed_commit_at,
            extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS seconds_since_last_replayed_commit`,
    [primaryLsn ?? null],
  );
  return rows[0];
}

async function readNewestHeartbeat(replica: ClientBase): Promise<Date | undefined> {
  try {
    const { rows } = await replica.query<{ written_at: Date }>('SELECT written_at FROM dr_monitor.heartbeat WHERE id = $1', [HEARTBEAT_ROW_ID]);
    return rows[0]?.written_at;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === UNDEFINED_TABLE || code === INVALID_SCHEMA_NAME) return undefined;
    throw error;
  }
}

/** The measured node is not (or no longer, after a promotion) a replica: there is no replication to lag. */
export class NotInRecoveryError extends Error {
  constructor() {
    super('not a replica: pg_is_in_recovery() is false (never a standby, or already promoted)');
    this.name = 'NotInRecoveryError';
  }
}

const secondsSince = (at: Date, now: Date) => Math.max(0, (now.getTime() - at.getTime()) / 1000);

/**
 * Replication lag of `replica` in seconds, correct on an idle primary:
 * - primary LSN known and replayed (within `catchUpWaitMs`): `caught-up`, the time waited (0 or sub-second);
 * - primary LSN known, not replayed: `replay-timestamp`, `now() - pg_last_xact_replay_timestamp()` — the age of
 *   the newest data the replica has, so an upper bound on how old the unreplayed commits are;
 * - primary unreachable: `heartbeat-age`, the age of the newest evidence of the primary's state on the replica
 *   (the heartbeat row or the last replayed commit, whichever is newer): an upper bound of the data at risk.
 * Throws `NotInRecoveryError` on a primary or promoted replica, and an Error when there is no evidence at all
 * (never replayed a transaction, no heartbeat).
 */
export async function measureReplicationLag(replica: ClientBase, options: MeasureLagOptions = {}): Promise<ReplicationLag> {
  const { primaryLsn } = options;
  const catchUpWaitMs = options.catchUpWaitMs ?? 1000;
  const startedAt = Date.now();
  let position = await readReplicaPosition(replica, primaryLsn);
  if (!position.in_recovery) throw new NotInRecoveryError();

  if (primaryLsn !== undefined) {
    while (!position.caught_up && Date.now() - startedAt < catchUpWaitMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      position = await readReplicaPosition(replica, primaryLsn);
    }
    const common = {
      bytesBehind: Number(position.bytes_behind),
      replayLsn: position.replay_lsn ?? undefined,
      lastReplayedCommitAt: position.last_replayed_commit_at ?? undefined,
    };
    if (position.caught_up) return { lagSeconds: (Date.now() - startedAt) / 1000, method: 'caught-up', ...common };
    if (position.seconds_since_last_replayed_commit !== null) {
      return { lagSeconds: Math.max(0, position.seconds_since_last_replayed_commit), method: 'replay-timestamp', ...common };
    }
  }

  const heartbeatWrittenAt = await readNewestHeartbeat(replica);
  const newestEvidence = [heartbeatWrittenAt, position.last_replayed_commit_at ?? undefined]
    .filter((at): at is Date => at !== undefined)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  if (!newestEvidence) throw new Error('cannot measure lag: the replica has replayed no transaction and holds no heartbeat');
  const { rows } = await replica.query<{ now: Date }>('SELECT now() AS now');
  return {
    lagSeconds: secondsSince(newestEvidence, rows[0].now),
    method: 'heartbeat-age',
    bytesBehind: primaryLsn !== undefined ? Number(position.bytes_behind) : undefined,
    replayLsn: position.replay_lsn ?? undefined,
    lastReplayedCommitAt: position.last_replayed_commit_at ?? undefined,
    heartbeatWrittenAt,
  };
}
