import { Client } from 'pg';
import type { DrillDatabase } from '../core/drill-full';
import { clientConfigFor, type DatabaseTarget } from '../adapters/postgres/connectivity';
import { writeHeartbeat } from '../adapters/postgres/replication-probe';

/** Where the production primary is and how to log in anywhere (the drill copy inherits the primary's users). */
export interface DrillDatabaseOptions {
  readonly primaryTarget: () => Promise<DatabaseTarget>;
  readonly timeoutMs: number;
}

const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA_NAME = '3F000';

/**
 * `DrillDatabase` over pg. The marker on production is the monitor's own heartbeat row (no drill tables on
 * the primary); the write test after promotion goes to a `dr_drill` schema on the disposable copy only.
 */
export function postgresDrillDatabase(options: DrillDatabaseOptions): DrillDatabase {
  const withClient = async <T>(host: string | undefined, work: (client: Client) => Promise<T>): Promise<T> => {
    const primary = await options.primaryTarget();
    const client = new Client(clientConfigFor({ ...primary, host: host ?? primary.host }, options.timeoutMs));
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    writeMarker: () => withClient(undefined, async (client) => (await writeHeartbeat(client)).writtenAt),
    hasMarker: (endpoint, writtenAt) => withClient(endpoint, async (client) => {
      try {
        const { rows } = await client.query<{ replayed: boolean }>(
          'SELECT coalesce(max(written_at) >= $1, false) AS replayed FROM dr_monitor.heartbeat', [writtenAt]);
        return rows[0].replayed;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === UNDEFINED_TABLE || code === INVALID_SCHEMA_NAME) return false;
        throw error;
      }
    }),
    writeAndRead: (endpoint, runId) => withClient(endpoint, async (client) => {
      const { rows } = await client.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
      if (rows[0].in_recovery) return false;
      await client.query('CREATE SCHEMA IF NOT EXISTS dr_drill');
      await client.query('CREATE TABLE IF NOT EXISTS dr_drill.write_probe (run_id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())');
      await client.query('INSERT INTO dr_drill.write_probe (run_id) VALUES ($1) ON CONFLICT (run_id) DO UPDATE SET written_at = now()', [runId]);
      const read = await client.query('SELECT run_id FROM dr_drill.write_probe WHERE run_id = $1', [runId]);
      return read.rowCount === 1;
    }),
  };
}
