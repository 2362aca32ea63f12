import { DEFAULT_FAILOVER_SETTINGS } from '../core/failover-orchestrator';
import { LAG_LOOKBACK_SECONDS_LIMITS } from '../adapters/aws/cloudwatch-replication-lag';

/** Environment of the failover orchestrator, validated once per cold start. */
export interface OrchestratorConfig {
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
  readonly alertTopicArn: string;
  readonly failoverStateTable: string;
  readonly fenceSecurityGroupId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
  readonly maxPromotionLagSeconds: number;
  readonly promotionTimeoutSeconds: number;
  /** The replication monitor's schedule: the uncertainty window of the lag at the primary's failure. */
  readonly probeIntervalSeconds: number;
  /** How far back the monitor's lag data is read: it must cover the detection window (set by infra). */
  readonly lagLookbackSeconds: number;
  /** The core's re-verification that the primary is down (defaults: `DEFAULT_FAILOVER_SETTINGS`). */
  readonly primaryProbeAttempts: number;
  readonly primaryProbeTimeoutMs: number;
  readonly primaryProbeIntervalMs: number;
}

const TEXT = {
  environmentSuffix: 'ENVIRONMENT_SUFFIX',
  metricNamespace: 'METRIC_NAMESPACE',
  primaryRegion: 'PRIMARY_REGION',
  drRegion: 'DR_REGION',
  primaryInstanceId: 'PRIMARY_DB_INSTANCE_ID',
  replicaInstanceId: 'REPLICA_DB_INSTANCE_ID',
  primaryEndpoint: 'PRIMARY_DB_ENDPOINT',
  replicaEndpoint: 'REPLICA_DB_ENDPOINT',
  database: 'DB_NAME',
  secretArn: 'DB_SECRET_ARN',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  failoverStateTable: 'FAILOVER_STATE_TABLE',
  fenceSecurityGroupId: 'FENCE_SECURITY_GROUP_ID',
  hostedZoneId: 'HOSTED_ZONE_ID',
  writerRecordName: 'WRITER_RECORD_NAME',
  primaryRecordSetId: 'PRIMARY_RECORD_SET_ID',
} as const;

const INTEGERS = {
  port: { name: 'DB_PORT', min: 1, max: 65535 },
  maxPromotionLagSeconds: { name: 'MAX_PROMOTION_LAG_SECONDS', min: 1, max: 86_400 },
  promotionTimeoutSeconds: { name: 'PROMOTION_TIMEOUT_SECONDS', min: 30, max: 3_600 },
  probeIntervalSeconds: { name: 'PROBE_INTERVAL_SECONDS', min: 1, max: 3_600 },
  lagLookbackSeconds: { name: 'LAG_LOOKBACK_SECONDS', ...LAG_LOOKBACK_SECONDS_LIMITS },
} as const;

/** Integers that may be absent: the core's defaults apply. */
const OPTIONAL_INTEGERS = {
  primaryProbeAttempts: { name: 'PRIMARY_PROBE_ATTEMPTS', min: 1, max: 10, fallback: DEFAULT_FAILOVER_SETTINGS.primaryProbeAttempts },
  primaryProbeTimeoutMs: { name: 'PRIMARY_PROBE_TIMEOUT_MS', min: 100, max: 60_000, fallback: DEFAULT_FAILOVER_SETTINGS.primaryProbeTimeoutMs },
  primaryProbeIntervalMs: { name: 'PRIMARY_PROBE_INTERVAL_MS', min: 0, max: 60_000, fallback: DEFAULT_FAILOVER_SETTINGS.primaryProbeIntervalMs },
} as const;

/** Names of every variable the orchestrator requires (for documentation and tests). */
export const ORCHESTRATOR_ENV_VARS = [...Object.values(TEXT), ...Object.values(INTEGERS).map((spec) => spec.name)];
/** Names of the variables it reads when present. */
export const ORCHESTRATOR_OPTIONAL_ENV_VARS = Object.values(OPTIONAL_INTEGERS).map((spec) => spec.name);

/** THROWS one error naming every missing or invalid variable. */
export function readOrchestratorConfig(env: NodeJS.ProcessEnv): OrchestratorConfig {
  const problems: string[] = [];
  const missing = ORCHESTRATOR_ENV_VARS.filter((name) => !env[name]?.trim());
  if (missing.length > 0) problems.push(`missing environment variable(s): ${missing.join(', ')}`);
  const text = Object.fromEntries(Object.entries(TEXT).map(([field, name]) => [field, env[name]?.trim() ?? '']));
  const integer = (spec: { name: string; min: number; max: number }, raw: string | undefined) => {
    const value = Number(raw);
    if (raw && (!Number.isInteger(value) || value < spec.min || value > spec.max)) {
      problems.push(`${spec.name} must be an integer from ${spec.min} to ${spec.max}, got "${raw}"`);
    }
    return value;
  };
  const integers = Object.fromEntries(Object.entries(INTEGERS).map(([field, spec]) => [field, integer(spec, env[spec.name]?.trim())]));
  const optionalIntegers = Object.fromEntries(Object.entries(OPTIONAL_INTEGERS).map(([field, spec]) => {
    const raw = env[spec.name]?.trim();
    return [field, raw ? integer(spec, raw) : spec.fallback];
  }));
  if (text.primaryRegion && text.primaryRegion === text.drRegion) {
    problems.push(`PRIMARY_REGION and DR_REGION must differ (both "${text.primaryRegion}")`);
  }
  if (problems.length > 0) throw new Error(`failover-orchestrator: ${problems.join('; ')}`);
  return { ...text, ...integers, ...optionalIntegers } as unknown as OrchestratorConfig;
}
