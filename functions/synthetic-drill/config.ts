import { orchestratorPermissionProbes, type SyntheticDrillSettings } from '../core/drill-readiness';
import { LAG_LOOKBACK_SECONDS_LIMITS } from '../adapters/aws/cloudwatch-replication-lag';
import { DATABASE_PAIR_SPEC, type DatabasePairConfig } from '../shared/database-pair';
import { arn, commaList, integer, positiveInteger, readEnvironment, requiredVariables, text } from '../shared/environment';

/** Environment of the synthetic drill, validated once per cold start. */
export interface SyntheticDrillConfig
  extends Pick<DatabasePairConfig, 'environmentSuffix' | 'metricNamespace' | 'drRegion' | 'replicaInstanceId' | 'replicaEndpoint'> {
  readonly alertTopicArn: string;
  /** The runbook page every alert of this function links to. */
  readonly runbookUrl: string;
  readonly failoverStateTable: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly failoverRuleName: string;
  readonly orchestratorRoleArn: string;
  /** How far back the monitor's lag data is read (the orchestrator's look-back, so the drill judges as it does). */
  readonly lagLookbackSeconds: number;
  readonly settings: SyntheticDrillSettings;
}

const { environmentSuffix, metricNamespace, drRegion, replicaInstanceId, replicaEndpoint } = DATABASE_PAIR_SPEC;

const SYNTHETIC_DRILL_SPEC = {
  environmentSuffix,
  metricNamespace,
  drRegion,
  replicaInstanceId,
  replicaEndpoint,
  maxLagSeconds: positiveInteger('MAX_REPLICATION_LAG_SECONDS'),
  lagLookbackSeconds: integer('LAG_LOOKBACK_SECONDS', LAG_LOOKBACK_SECONDS_LIMITS),
  alertTopicArn: arn('ALERT_TOPIC_ARN'),
  runbookUrl: text('RUNBOOK_URL'),
  failoverStateTable: text('FAILOVER_STATE_TABLE'),
  hostedZoneId: text('HOSTED_ZONE_ID'),
  writerRecordName: text('WRITER_RECORD_NAME'),
  estateAlarmNames: commaList('ESTATE_ALARM_NAMES'),
  compositeAlarmName: text('COMPOSITE_ALARM_NAME'),
  failoverRuleName: text('FAILOVER_RULE_NAME'),
  orchestratorFunctionArn: arn('ORCHESTRATOR_FUNCTION_ARN'),
  orchestratorRoleArn: arn('ORCHESTRATOR_ROLE_ARN'),
  primaryInstanceArn: arn('PRIMARY_DB_INSTANCE_ARN'),
  replicaInstanceArn: arn('REPLICA_DB_INSTANCE_ARN'),
  failoverStateTableArn: arn('FAILOVER_STATE_TABLE_ARN'),
};

/** Names of every variable the drill reads (for documentation and tests). */
export const SYNTHETIC_DRILL_ENV_VARS: readonly string[] = requiredVariables(SYNTHETIC_DRILL_SPEC);

/**
 * RDS takes one automated backup a day, in the backup window
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html): a day plus the
 * window's length and slack, then the replica's backups have stalled.
 */
const MAX_BACKUP_AGE_HOURS = 26;

/** THROWS one error naming every missing or invalid variable. */
export function readSyntheticDrillConfig(env: NodeJS.ProcessEnv): SyntheticDrillConfig {
  const {
    estateAlarmNames, compositeAlarmName, orchestratorFunctionArn, maxLagSeconds, primaryInstanceArn, replicaInstanceArn, failoverStateTableArn,
    ...config
  } = readEnvironment('synthetic-drill', env, SYNTHETIC_DRILL_SPEC);
  // A validated ARN reads arn:<partition>:...; the role's partition is the one every probed resource lives in.
  const partition = config.orchestratorRoleArn.split(':')[1];
  return {
    ...config,
    settings: {
      estateAlarmNames,
      compositeAlarmName,
      orchestratorFunctionArn,
      replicaEndpoint: config.replicaEndpoint,
      maxLagSeconds,
      maxBackupAgeHours: MAX_BACKUP_AGE_HOURS,
      orchestratorPermissions: orchestratorPermissionProbes({
        primaryInstanceArn,
        replicaInstanceArn,
        hostedZoneId: config.hostedZoneId,
        alertTopicArn: config.alertTopicArn,
        failoverStateTableArn,
        metricNamespace: config.metricNamespace,
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
