import { DEFAULT_LEASE_TIMINGS, validateLeaseTimings, type LeaseTimings } from '../core/write-lease';
import { DATABASE_PAIR_SPEC } from '../shared/database-pair';
import { arn, integer, readEnvironment, requiredVariables, text, type ValuesOf } from '../shared/environment';

/** Environment of the primary region's lease keeper, validated once per cold start. */
const LEASE_KEEPER_SPEC = {
  environmentSuffix: DATABASE_PAIR_SPEC.environmentSuffix,
  metricNamespace: DATABASE_PAIR_SPEC.metricNamespace,
  primaryRegion: DATABASE_PAIR_SPEC.primaryRegion,
  primaryInstanceId: DATABASE_PAIR_SPEC.primaryInstanceId,
  primaryEndpoint: DATABASE_PAIR_SPEC.primaryEndpoint,
  port: DATABASE_PAIR_SPEC.port,
  database: DATABASE_PAIR_SPEC.database,
  /** The primary region's database secret (an ARN or, in its own region, its name). */
  secretArn: DATABASE_PAIR_SPEC.secretArn,
  primaryParameterGroup: text('PRIMARY_DB_PARAMETER_GROUP'),
  primarySecurityGroupId: text('PRIMARY_DB_SECURITY_GROUP_ID'),
  fenceSecurityGroupId: text('FENCE_SECURITY_GROUP_ID'),
  writeLeaseTable: text('WRITE_LEASE_TABLE'),
  alertTopicArn: arn('ALERT_TOPIC_ARN'),
  runbookUrl: text('RUNBOOK_URL'),
  leaseTtlSeconds: integer('LEASE_TTL_SECONDS', { min: 2, max: 3_600 }),
  leaseRenewIntervalSeconds: integer('LEASE_RENEW_INTERVAL_SECONDS', { min: 1, max: 1_800 }),
  leaseFenceBudgetSeconds: integer('LEASE_FENCE_BUDGET_SECONDS', { min: 1, max: 3_600 }),
  /** How long one invocation keeps renewing (the schedule starts the next one); Lambda allows at most 900 s. */
  keeperRunSeconds: integer('KEEPER_RUN_SECONDS', { min: 1, max: 840 }),
};

export type LeaseKeeperConfig = Readonly<ValuesOf<typeof LEASE_KEEPER_SPEC>> & {
  /** The keeper's timings (`takeoverMarginMs` is the DR side's: the keeper never uses it). */
  readonly timings: LeaseTimings;
};

/** Names of every variable the lease keeper requires (for documentation and tests). */
export const LEASE_KEEPER_ENV_VARS = requiredVariables(LEASE_KEEPER_SPEC);

function timingsOf(values: Partial<ValuesOf<typeof LEASE_KEEPER_SPEC>>): LeaseTimings | undefined {
  const { leaseTtlSeconds, leaseRenewIntervalSeconds, leaseFenceBudgetSeconds } = values;
  if (leaseTtlSeconds === undefined || leaseRenewIntervalSeconds === undefined || leaseFenceBudgetSeconds === undefined) return undefined;
  return {
    ttlMs: leaseTtlSeconds * 1000,
    renewIntervalMs: leaseRenewIntervalSeconds * 1000,
    fenceBudgetMs: leaseFenceBudgetSeconds * 1000,
    takeoverMarginMs: DEFAULT_LEASE_TIMINGS.takeoverMarginMs,
  };
}

/** THROWS one error naming every missing or invalid variable and every unsafe combination of the lease timings. */
export function readLeaseKeeperConfig(env: NodeJS.ProcessEnv): LeaseKeeperConfig {
  const values = readEnvironment('lease-keeper', env, LEASE_KEEPER_SPEC, (read) => {
    const timings = timingsOf(read);
    const problems = timings ? validateLeaseTimings(timings).map((problem) => `LEASE_*_SECONDS: ${problem}`) : [];
    if (read.primarySecurityGroupId !== undefined && read.primarySecurityGroupId === read.fenceSecurityGroupId) {
      problems.push(`FENCE_SECURITY_GROUP_ID must differ from PRIMARY_DB_SECURITY_GROUP_ID (both "${read.fenceSecurityGroupId}")`);
    }
    return problems;
  });
  return { ...values, timings: timingsOf(values)! };
}
