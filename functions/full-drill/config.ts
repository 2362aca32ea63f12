import { FULL_DRILL_TASKS, type FullDrillState, type FullDrillTask } from '../core/drill-full';

/** Environment of the full-drill tasks, validated once per cold start. */
export interface FullDrillConfig {
  readonly environmentSuffix: string;
  readonly metricNamespace: string;
  readonly drRegion: string;
  readonly primaryEndpoint: string;
  readonly primaryInstanceArn: string;
  readonly port: number;
  readonly database: string;
  readonly secretArn: string;
  readonly alertTopicArn: string;
  readonly failoverStateTable: string;
  readonly instancePrefix: string;
  readonly instanceClass: string;
  readonly kmsKeyArn: string;
  readonly subnetGroupName: string;
  readonly securityGroupId: string;
  readonly parameterGroupName: string;
}

const TEXT = {
  environmentSuffix: 'ENVIRONMENT_SUFFIX',
  metricNamespace: 'METRIC_NAMESPACE',
  drRegion: 'DR_REGION',
  primaryEndpoint: 'PRIMARY_DB_ENDPOINT',
  primaryInstanceArn: 'PRIMARY_DB_INSTANCE_ARN',
  database: 'DB_NAME',
  secretArn: 'DB_SECRET_ARN',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  failoverStateTable: 'FAILOVER_STATE_TABLE',
  instancePrefix: 'DRILL_INSTANCE_PREFIX',
  instanceClass: 'DRILL_INSTANCE_CLASS',
  kmsKeyArn: 'DRILL_KMS_KEY_ARN',
  subnetGroupName: 'DRILL_SUBNET_GROUP',
  securityGroupId: 'DRILL_SECURITY_GROUP_ID',
  parameterGroupName: 'DRILL_PARAMETER_GROUP',
} as const;

/** Names of every variable the tasks read (for documentation and tests). */
export const FULL_DRILL_ENV_VARS: readonly string[] = [...Object.values(TEXT), 'DB_PORT'];

/** RDS identifiers: a letter first, then letters, digits and single hyphens; the timestamp (14 digits) follows. */
const INSTANCE_PREFIX = /^[a-z](?:[a-z0-9]|-(?!-))*-$/;

/** THROWS one error naming every missing or invalid variable. */
export function readFullDrillConfig(env: NodeJS.ProcessEnv): FullDrillConfig {
  const missing = FULL_DRILL_ENV_VARS.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new Error(`full-drill: missing environment variable(s): ${missing.join(', ')}`);
  const text = Object.fromEntries(Object.entries(TEXT).map(([field, name]) => [field, env[name]!.trim()])) as Record<keyof typeof TEXT, string>;
  const problems: string[] = [];
  const port = Number(env.DB_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`DB_PORT must be a TCP port number, got "${env.DB_PORT}"`);
  if (!INSTANCE_PREFIX.test(text.instancePrefix) || text.instancePrefix.length > 40) {
    problems.push(`DRILL_INSTANCE_PREFIX must be a valid RDS identifier start ending in "-" (max 40), got "${text.instancePrefix}"`);
  }
  if (problems.length > 0) throw new Error(`full-drill: ${problems.join('; ')}`);
  return { ...text, port };
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
