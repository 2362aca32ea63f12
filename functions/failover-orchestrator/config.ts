import { DEFAULT_FAILOVER_SETTINGS, type FailoverModeSetting } from '../core/failover-orchestrator';
import { LAG_LOOKBACK_SECONDS_LIMITS } from '../adapters/aws/cloudwatch-replication-lag';
import { DATABASE_PAIR_SPEC, type DatabasePairConfig } from '../shared/database-pair';
import { arn, commaList, integer, oneOf, optional, optionalVariables, readEnvironment, requiredVariables, text, withDefault } from '../shared/environment';

const FAILOVER_MODES: readonly FailoverModeSetting[] = ['automatic', 'manual-confirm'];

/** Environment of the failover orchestrator, validated once per cold start. */
export interface OrchestratorConfig extends DatabasePairConfig {
  readonly alertTopicArn: string;
  /** The runbook page every alert of this function links to. */
  readonly runbookUrl: string;
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
  /** `automatic`: an alarm may promote once the primary's write lease ran out; `manual-confirm`: only an operator. */
  readonly failoverMode: FailoverModeSetting;
  /** DynamoDB MRSC table of the write lease (its DR-region replica); required in automatic mode. */
  readonly writeLeaseTable?: string;
  /** The DR side takes an expired lease only this long after it ran out (clock skew + the keeper's fence overrun). */
  readonly leaseTakeoverMarginSeconds: number;
  /** Planned switchover: longest wait for the replica to replay the frozen primary's last WAL position. */
  readonly switchoverCatchUpTimeoutSeconds: number;
  /** The primary's own DB parameter group: the switchover's write freeze sets its read-only default. */
  readonly primaryParameterGroup: string;
  /**
   * Re-protection and fail-back (issue 11), all or none. A re-protection creates the replica under the configured
   * instance identifier of the other region (the old writer there renamed away first), with that region's KMS key, a DB
   * subnet group of its database subnets, the instance's own parameter group and its client security groups; the
   * fail-back freezes the DR instance in its parameter group and fences it with the DR VPC's deny-all group.
   */
  readonly primaryKmsKeyArn?: string;
  readonly primarySubnetGroup?: string;
  readonly primarySecurityGroupIds?: readonly string[];
  readonly drKmsKeyArn?: string;
  readonly drSubnetGroup?: string;
  readonly drSecurityGroupIds?: readonly string[];
  readonly drParameterGroup?: string;
  readonly drFenceSecurityGroupId?: string;
  /** Each region's enhanced-monitoring role, as its instance's template uses it. */
  readonly primaryMonitoringRoleArn?: string;
  readonly drMonitoringRoleArn?: string;
  readonly reprotectInstanceClass?: string;
  readonly reprotectMaxAllocatedStorageGiB?: number;
  readonly reprotectBackupRetentionDays?: number;
}

/** The variables re-protection needs together, in both regions (it runs both ways: after the failover and after the fail-back). */
export const REPROTECTION_ENV_VARS = [
  'PRIMARY_KMS_KEY_ARN', 'PRIMARY_DB_SUBNET_GROUP', 'PRIMARY_DB_SECURITY_GROUP_IDS',
  'DR_KMS_KEY_ARN', 'DR_DB_SUBNET_GROUP', 'DR_DB_SECURITY_GROUP_IDS', 'DR_DB_PARAMETER_GROUP', 'DR_FENCE_SECURITY_GROUP_ID',
  'PRIMARY_DB_MONITORING_ROLE_ARN', 'DR_DB_MONITORING_ROLE_ARN',
] as const;

const ORCHESTRATOR_SPEC = {
  ...DATABASE_PAIR_SPEC,
  alertTopicArn: text('ALERT_TOPIC_ARN'),
  runbookUrl: text('RUNBOOK_URL'),
  failoverStateTable: text('FAILOVER_STATE_TABLE'),
  fenceSecurityGroupId: text('FENCE_SECURITY_GROUP_ID'),
  hostedZoneId: text('HOSTED_ZONE_ID'),
  writerRecordName: text('WRITER_RECORD_NAME'),
  primaryRecordSetId: text('PRIMARY_RECORD_SET_ID'),
  maxPromotionLagSeconds: integer('MAX_PROMOTION_LAG_SECONDS', { min: 1, max: 86_400 }),
  promotionTimeoutSeconds: integer('PROMOTION_TIMEOUT_SECONDS', { min: 30, max: 3_600 }),
  probeIntervalSeconds: integer('PROBE_INTERVAL_SECONDS', { min: 1, max: 3_600 }),
  lagLookbackSeconds: integer('LAG_LOOKBACK_SECONDS', LAG_LOOKBACK_SECONDS_LIMITS),
  primaryProbeAttempts: withDefault(integer('PRIMARY_PROBE_ATTEMPTS', { min: 1, max: 10 }), DEFAULT_FAILOVER_SETTINGS.primaryProbeAttempts),
  primaryProbeTimeoutMs: withDefault(integer('PRIMARY_PROBE_TIMEOUT_MS', { min: 100, max: 60_000 }), DEFAULT_FAILOVER_SETTINGS.primaryProbeTimeoutMs),
  primaryProbeIntervalMs: withDefault(integer('PRIMARY_PROBE_INTERVAL_MS', { min: 0, max: 60_000 }), DEFAULT_FAILOVER_SETTINGS.primaryProbeIntervalMs),
  failoverMode: oneOf('FAILOVER_MODE', FAILOVER_MODES),
  writeLeaseTable: optional(text('WRITE_LEASE_TABLE')),
  leaseTakeoverMarginSeconds: withDefault(integer('LEASE_TAKEOVER_MARGIN_SECONDS', { min: 1, max: 3_600 }), DEFAULT_FAILOVER_SETTINGS.takeoverMarginMs / 1000),
  switchoverCatchUpTimeoutSeconds: withDefault(
    integer('SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS', { min: 1, max: 3_600 }), DEFAULT_FAILOVER_SETTINGS.catchUpTimeoutMs / 1000,
  ),
  primaryParameterGroup: text('PRIMARY_DB_PARAMETER_GROUP'),
  primaryKmsKeyArn: optional(arn('PRIMARY_KMS_KEY_ARN')),
  primarySubnetGroup: optional(text('PRIMARY_DB_SUBNET_GROUP')),
  primarySecurityGroupIds: optional(commaList('PRIMARY_DB_SECURITY_GROUP_IDS')),
  drKmsKeyArn: optional(arn('DR_KMS_KEY_ARN')),
  drSubnetGroup: optional(text('DR_DB_SUBNET_GROUP')),
  drSecurityGroupIds: optional(commaList('DR_DB_SECURITY_GROUP_IDS')),
  primaryMonitoringRoleArn: optional(arn('PRIMARY_DB_MONITORING_ROLE_ARN')),
  drMonitoringRoleArn: optional(arn('DR_DB_MONITORING_ROLE_ARN')),
  reprotectInstanceClass: optional(text('REPROTECT_DB_INSTANCE_CLASS')),
  reprotectMaxAllocatedStorageGiB: optional(integer('REPROTECT_MAX_ALLOCATED_STORAGE_GIB', { min: 20, max: 65_536 })),
  // Default 7 (create-handler.ts): a default here would show in every configuration, re-protection on or not.
  reprotectBackupRetentionDays: optional(integer('REPROTECT_BACKUP_RETENTION_DAYS', { min: 1, max: 35 })),
  drParameterGroup: optional(text('DR_DB_PARAMETER_GROUP')),
  drFenceSecurityGroupId: optional(text('DR_FENCE_SECURITY_GROUP_ID')),
};

/** Names of every variable the orchestrator requires (for documentation and tests). */
export const ORCHESTRATOR_ENV_VARS = requiredVariables(ORCHESTRATOR_SPEC);
/** Names of the variables it reads when present. */
export const ORCHESTRATOR_OPTIONAL_ENV_VARS = optionalVariables(ORCHESTRATOR_SPEC);

/** THROWS one error naming every missing or invalid variable. */
export function readOrchestratorConfig(env: NodeJS.ProcessEnv): OrchestratorConfig {
  return readEnvironment('failover-orchestrator', env, ORCHESTRATOR_SPEC, ({ primaryRegion, drRegion, failoverMode, writeLeaseTable }) => [
    ...(primaryRegion !== undefined && primaryRegion === drRegion ? [`PRIMARY_REGION and DR_REGION must differ (both "${primaryRegion}")`] : []),
    // Automatic promotion is safe only behind the write lease: without its table an alarm could promote while the
    // primary still takes writes.
    ...(failoverMode === 'automatic' && writeLeaseTable === undefined ? ['WRITE_LEASE_TABLE is required when FAILOVER_MODE is "automatic"'] : []),
    ...reprotectionProblems(env),
  ]);
}

/** Re-protection settings are all or none; a new replica's client groups must not include its region's deny-all group. */
function reprotectionProblems(env: NodeJS.ProcessEnv): string[] {
  const set = REPROTECTION_ENV_VARS.filter((name) => env[name]?.trim());
  if (set.length === 0) return [];
  const problems = set.length < REPROTECTION_ENV_VARS.length
    ? [`re-protection needs all of ${REPROTECTION_ENV_VARS.join(', ')}; missing: ${REPROTECTION_ENV_VARS.filter((name) => !set.includes(name)).join(', ')}`]
    : [];
  const clientGroupsAvoidFence = (groupsVariable: string, fenceVariable: string) => {
    const groups = (env[groupsVariable] ?? '').split(',').map((group) => group.trim());
    const fence = env[fenceVariable]?.trim();
    if (fence && groups.includes(fence)) problems.push(`${groupsVariable} must not include ${fenceVariable} (the deny-all group)`);
  };
  clientGroupsAvoidFence('PRIMARY_DB_SECURITY_GROUP_IDS', 'FENCE_SECURITY_GROUP_ID');
  clientGroupsAvoidFence('DR_DB_SECURITY_GROUP_IDS', 'DR_FENCE_SECURITY_GROUP_ID');
  return problems;
}
