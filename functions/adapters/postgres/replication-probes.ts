import { Client } from 'pg';
import { clientConfigFor, DatabaseTarget, probeDatabase, ProbeResult } from './connectivity';
import { Heartbeat, measureReplicationLag, ReplicationLag, writeHeartbeat } from './replication-probe';

/** The data-plane checks of one monitor run, each on its own short-lived connection. */
export interface ReplicationProbes {
  probePrimary(): Promise<ProbeResult>;
  probeReplica(): Promise<ProbeResult>;
  /** THROWS on any failure. */
  writeHeartbeat(): Promise<Heartbeat>;
  /** THROWS on any failure (`NotInRecoveryError` once the replica is promoted). */
  measureLag(primaryLsn?: string): Promise<ReplicationLag>;
}

/**
 * A database to probe: its target, or how to find it when probed (a database the roles name that may not exist, or not
 * yet); a failure to find it fails that database's checks only.
 */
export type ProbeTarget = DatabaseTarget | (() => Promise<DatabaseTarget>);

export interface ReplicationProbeTargets {
  /** The writer. */
  primary: ProbeTarget;
  /** Its replica; absent while nothing protects the writer (every replica check then fails with that reason). */
  replica?: ProbeTarget;
  /** Bound for connecting and for each statement. */
  timeoutMs: number;
}

const NO_REPLICA = 'no replica: nothing protects the writer';

async function resolve(target: ProbeTarget | undefined): Promise<DatabaseTarget> {
  if (target === undefined) throw new Error(NO_REPLICA);
  return typeof target === 'function' ? target() : target;
}

async function withSession<T>(source: ProbeTarget | undefined, timeoutMs: number, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(clientConfigFor(await resolve(source), timeoutMs));
  client.on('error', () => undefined); // a server dying mid-run rejects the pending query; that is the error we report
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `ReplicationProbes` over real PostgreSQL connections (RDS over TLS in AWS, the local cluster in the drill). */
export function postgresReplicationProbes({ primary, replica, timeoutMs }: ReplicationProbeTargets): ReplicationProbes {
  return {
    probePrimary: async () => probeDatabase(await resolve(primary), timeoutMs),
    probeReplica: async () => (replica === undefined ? { reachable: false, latencyMs: 0, error: NO_REPLICA } : probeDatabase(await resolve(replica), timeoutMs)),
    writeHeartbeat: () => withSession(primary, timeoutMs, writeHeartbeat),
    measureLag: (primaryLsn) => withSession(replica, timeoutMs, (client) => measureReplicationLag(client, { primaryLsn })),
  };
}
