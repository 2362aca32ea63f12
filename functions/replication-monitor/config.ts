/** Environment of the replication monitor, validated once per cold start. */
export interface MonitorConfig {
  readonly environmentSuffix: string;
  readonly metricNamespace: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly primaryEndpoint: string;
  readonly replicaEndpoint: string;
  readonly port: number;
  readonly database: string;
  readonly secretArn: string;
  readonly failoverStateTable: string;
}

const REQUIRED = [
  'ENVIRONMENT_SUFFIX',
  'METRIC_NAMESPACE',
  'PRIMARY_REGION',
  'DR_REGION',
  'PRIMARY_DB_INSTANCE_ID',
  'REPLICA_DB_INSTANCE_ID',
  'PRIMARY_DB_ENDPOINT',
  'REPLICA_DB_ENDPOINT',
  'DB_PORT',
  'DB_NAME',
  'DB_SECRET_ARN',
  'FAILOVER_STATE_TABLE',
] as const;

/** THROWS naming every missing variable (and a non-numeric `DB_PORT`). */
export function readMonitorConfig(env: NodeJS.ProcessEnv): MonitorConfig {
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new Error(`replication-monitor: missing environment variable(s): ${missing.join(', ')}`);
  const value = (name: (typeof REQUIRED)[number]) => env[name]!.trim();
  const port = Number(value('DB_PORT'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`replication-monitor: DB_PORT must be a TCP port number, got "${value('DB_PORT')}"`);
  }
  return {
    environmentSuffix: value('ENVIRONMENT_SUFFIX'),
    metricNamespace: value('METRIC_NAMESPACE'),
    primaryRegion: value('PRIMARY_REGION'),
    drRegion: value('DR_REGION'),
    primaryInstanceId: value('PRIMARY_DB_INSTANCE_ID'),
    replicaInstanceId: value('REPLICA_DB_INSTANCE_ID'),
    primaryEndpoint: value('PRIMARY_DB_ENDPOINT'),
    replicaEndpoint: value('REPLICA_DB_ENDPOINT'),
    port,
    database: value('DB_NAME'),
    secretArn: value('DB_SECRET_ARN'),
    failoverStateTable: value('FAILOVER_STATE_TABLE'),
  };
}
