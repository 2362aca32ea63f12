import { DATABASE_PAIR_SPEC, type DatabasePairConfig } from '../shared/database-pair';
import { readEnvironment, text } from '../shared/environment';

/** Environment of the replication monitor, validated once per cold start. */
export interface MonitorConfig extends DatabasePairConfig {
  readonly failoverStateTable: string;
}

const MONITOR_SPEC = {
  ...DATABASE_PAIR_SPEC,
  failoverStateTable: text('FAILOVER_STATE_TABLE'),
};

/** THROWS one error naming every missing or invalid variable. */
export function readMonitorConfig(env: NodeJS.ProcessEnv): MonitorConfig {
  return readEnvironment('replication-monitor', env, MONITOR_SPEC);
}
