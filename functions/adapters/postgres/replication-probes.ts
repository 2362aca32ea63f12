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

export interface ReplicationProbeTargets {
  primary: DatabaseTarget;
  replica: DatabaseTarget;
  /** Bound for connecting and for each statement. */
  timeoutMs: number;
}

async function withSession<T>(target: DatabaseTarget, timeoutMs: number, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(clientConfigFor(target, timeoutMs));
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
    probePrimary: () => probeDatabase(primary, timeoutMs),
    probeReplica: () => probeDatabase(replica, timeoutMs),
    writeHeartbeat: () => withSession(primary, timeoutMs, writeHeartbeat),
    measureLag: (primaryLsn) => withSession(replica, timeoutMs, (client) => measureReplicationLag(client, { primaryLsn })),
  };
}
