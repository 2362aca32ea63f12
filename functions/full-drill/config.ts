import { FULL_DRILL_TASKS, type FullDrillState, type FullDrillTask } from '../core/drill-full';
import { DATABASE_PAIR_SPEC, type DatabasePairConfig } from '../shared/database-pair';
import { readEnvironment, requiredVariables, text } from '../shared/environment';

/** Environment of the full-drill tasks, validated once per cold start. */
export interface FullDrillConfig
  extends Pick<DatabasePairConfig, 'environmentSuffix' | 'metricNamespace' | 'drRegion' | 'primaryEndpoint' | 'port' | 'database' | 'secretArn'> {
  readonly primaryInstanceArn: string;
  readonly alertTopicArn: string;
  /** The runbook page every alert of this function links to. */
  readonly runbookUrl: string;
  readonly failoverStateTable: string;
  readonly instancePrefix: string;
  readonly instanceClass: string;
  readonly kmsKeyArn: string;
  readonly subnetGroupName: string;
  readonly securityGroupId: string;
  readonly parameterGroupName: string;
}

/** RDS identifiers: a letter first, then letters, digits and single hyphens; the timestamp (14 digits) follows. */
const INSTANCE_PREFIX = /^[a-z](?:[a-z0-9]|-(?!-))*-$/;

const { environmentSuffix, metricNamespace, drRegion, primaryEndpoint, port, database, secretArn } = DATABASE_PAIR_SPEC;

const FULL_DRILL_SPEC = {
  environmentSuffix,
  metricNamespace,
  drRegion,
  primaryEndpoint,
  primaryInstanceArn: text('PRIMARY_DB_INSTANCE_ARN'),
  port,
  database,
  secretArn,
  alertTopicArn: text('ALERT_TOPIC_ARN'),
  runbookUrl: text('RUNBOOK_URL'),
  failoverStateTable: text('FAILOVER_STATE_TABLE'),
  instancePrefix: text('DRILL_INSTANCE_PREFIX', {
    accepts: (prefix) => INSTANCE_PREFIX.test(prefix) && prefix.length <= 40,
    expected: 'a valid RDS identifier start ending in "-" (max 40)',
  }),
  instanceClass: text('DRILL_INSTANCE_CLASS'),
  kmsKeyArn: text('DRILL_KMS_KEY_ARN'),
  subnetGroupName: text('DRILL_SUBNET_GROUP'),
  securityGroupId: text('DRILL_SECURITY_GROUP_ID'),
  parameterGroupName: text('DRILL_PARAMETER_GROUP'),
};

/** Names of every variable the tasks read (for documentation and tests). */
export const FULL_DRILL_ENV_VARS: readonly string[] = requiredVariables(FULL_DRILL_SPEC);

/** THROWS one error naming every missing or invalid variable. */
export function readFullDrillConfig(env: NodeJS.ProcessEnv): FullDrillConfig {
  return readEnvironment('full-drill', env, FULL_DRILL_SPEC);
}

export interface FullDrillEvent {
  readonly task: FullDrillTask;
  readonly drill?: FullDrillState;
}

/** The state machine sends `{"task": ..., "drill": <state>}`; THROWS on anything else. */
export function parseFullDrillEvent(event: unknown): FullDrillEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new Error('event must be a JSON object');
  const { task, drill } = event as Record<string, unknown>;
  if (!FULL_DRILL_TASKS.includes(task as FullDrillTask)) {
    throw new Error(`task must be one of ${FULL_DRILL_TASKS.join(', ')}, got ${JSON.stringify(task)}`);
  }
  if (task !== 'start' && (typeof drill !== 'object' || drill === null || typeof (drill as FullDrillState).instanceId !== 'string')) {
    throw new Error(`task ${String(task)} needs the drill state with an instanceId`);
  }
  return { task: task as FullDrillTask, ...(task !== 'start' ? { drill: drill as FullDrillState } : {}) };
}
