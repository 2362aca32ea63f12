import { orchestratorPermissionProbes, type SyntheticDrillSettings } from '../core/drill-readiness';
import { LAG_LOOKBACK_SECONDS_LIMITS } from '../adapters/aws/cloudwatch-replication-lag';

/** Environment of the synthetic drill, validated once per cold start. */
export interface SyntheticDrillConfig {
  readonly environmentSuffix: string;
  readonly metricNamespace: string;
  readonly drRegion: string;
  readonly replicaInstanceId: string;
  readonly replicaEndpoint: string;
  readonly alertTopicArn: string;
  readonly failoverStateTable: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly failoverRuleName: string;
  readonly orchestratorRoleArn: string;
  /** How far back the monitor's lag data is read (the orchestrator's look-back, so the drill judges as it does). */
  readonly lagLookbackSeconds: number;
  readonly settings: SyntheticDrillSettings;
}

const TEXT = [
  'ENVIRONMENT_SUFFIX', 'METRIC_NAMESPACE', 'DR_REGION', 'REPLICA_DB_INSTANCE_ID', 'REPLICA_DB_ENDPOINT', 'ALERT_TOPIC_ARN',
  'FAILOVER_STATE_TABLE', 'HOSTED_ZONE_ID', 'WRITER_RECORD_NAME', 'ESTATE_ALARM_NAMES', 'COMPOSITE_ALARM_NAME',
  'FAILOVER_RULE_NAME', 'ORCHESTRATOR_FUNCTION_ARN', 'ORCHESTRATOR_ROLE_ARN', 'PRIMARY_DB_INSTANCE_ARN',
  'REPLICA_DB_INSTANCE_ARN', 'FAILOVER_STATE_TABLE_ARN', 'MAX_REPLICATION_LAG_SECONDS', 'LAG_LOOKBACK_SECONDS',
] as const;

/** Names of every variable the drill reads (for documentation and tests). */
export const SYNTHETIC_DRILL_ENV_VARS: readonly string[] = TEXT;

/** RDS keeps a replica's latest restorable time within about 5 minutes of now; three times that is a stalled backup. */
const MAX_RESTORABLE_AGE_MINUTES = 15;
const ARN = /^arn:(aws[a-z-]*):/;

/** THROWS one error naming every missing or invalid variable. */
export function readSyntheticDrillConfig(env: NodeJS.ProcessEnv): SyntheticDrillConfig {
  const missing = TEXT.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new Error(`synthetic-drill: missing environment variable(s): ${missing.join(', ')}`);
  const value = (name: (typeof TEXT)[number]) => env[name]!.trim();
  const problems: string[] = [];
  const maxLagSeconds = Number(value('MAX_REPLICATION_LAG_SECONDS'));
  if (!Number.isInteger(maxLagSeconds) || maxLagSeconds < 1) {
    problems.push(`MAX_REPLICATION_LAG_SECONDS must be a positive integer, got "${value('MAX_REPLICATION_LAG_SECONDS')}"`);
  }
  const lagLookbackSeconds = Number(value('LAG_LOOKBACK_SECONDS'));
  const { min, max } = LAG_LOOKBACK_SECONDS_LIMITS;
  if (!Number.isInteger(lagLookbackSeconds) || lagLookbackSeconds < min || lagLookbackSeconds > max) {
    problems.push(`LAG_LOOKBACK_SECONDS must be an integer from ${min} to ${max}, got "${value('LAG_LOOKBACK_SECONDS')}"`);
  }
  for (const name of ['ALERT_TOPIC_ARN', 'ORCHESTRATOR_FUNCTION_ARN', 'ORCHESTRATOR_ROLE_ARN', 'PRIMARY_DB_INSTANCE_ARN', 'REPLICA_DB_INSTANCE_ARN', 'FAILOVER_STATE_TABLE_ARN'] as const) {
    if (!ARN.test(value(name))) problems.push(`${name} must be an ARN, got "${value(name)}"`);
  }
  const estateAlarmNames = value('ESTATE_ALARM_NAMES').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (problems.length > 0) throw new Error(`synthetic-drill: ${problems.join('; ')}`);
  const partition = ARN.exec(value('ORCHESTRATOR_ROLE_ARN'))![1];
  return {
    environmentSuffix: value('ENVIRONMENT_SUFFIX'),
    metricNamespace: value('METRIC_NAMESPACE'),
    drRegion: value('DR_REGION'),
    replicaInstanceId: value('REPLICA_DB_INSTANCE_ID'),
    replicaEndpoint: value('REPLICA_DB_ENDPOINT'),
    alertTopicArn: value('ALERT_TOPIC_ARN'),
    failoverStateTable: value('FAILOVER_STATE_TABLE'),
    hostedZoneId: value('HOSTED_ZONE_ID'),
    writerRecordName: value('WRITER_RECORD_NAME'),
    failoverRuleName: value('FAILOVER_RULE_NAME'),
    orchestratorRoleArn: value('ORCHESTRATOR_ROLE_ARN'),
    lagLookbackSeconds,
    settings: {
      estateAlarmNames,
      compositeAlarmName: value('COMPOSITE_ALARM_NAME'),
      orchestratorFunctionArn: value('ORCHESTRATOR_FUNCTION_ARN'),
      replicaEndpoint: value('REPLICA_DB_ENDPOINT'),
      maxLagSeconds,
      maxRestorableAgeMinutes: MAX_RESTORABLE_AGE_MINUTES,
      orchestratorPermissions: orchestratorPermissionProbes({
        primaryInstanceArn: value('PRIMARY_DB_INSTANCE_ARN'),
        replicaInstanceArn: value('REPLICA_DB_INSTANCE_ARN'),
        hostedZoneId: value('HOSTED_ZONE_ID'),
        alertTopicArn: value('ALERT_TOPIC_ARN'),
        failoverStateTableArn: value('FAILOVER_STATE_TABLE_ARN'),
        metricNamespace: value('METRIC_NAMESPACE'),
        partition,
      }),
    },
  };
}

/** What the drill accepts: `{"mode":"synthetic","trigger":"pipeline" | "schedule" | ...}`; both fields optional. */
export function parseSyntheticDrillEvent(event: unknown): { trigger: string } {
  const fields = (event ?? {}) as Record<string, unknown>;
  if (typeof fields !== 'object' || Array.isArray(fields)) throw new Error('event must be a JSON object');
  if (fields.mode !== undefined && fields.mode !== 'synthetic') {
    throw new Error(`mode must be "synthetic" (this function never promotes anything), got ${JSON.stringify(fields.mode)}`);
  }
  const trigger = fields.trigger ?? 'manual';
  if (typeof trigger !== 'string' || !/^[A-Za-z0-9:_.-]{1,64}$/.test(trigger)) {
    throw new Error(`trigger must be 1-64 letters, digits or ":_.-", got ${JSON.stringify(fields.trigger)}`);
  }
  return { trigger };
}
