/**
 * The one typed, validated configuration of the DR estate.
 *
 * Everything else receives a `DrConfig`; nothing else reads CDK context or the environment.
 * Every invalid value fails synth with a `ConfigError` whose message names the setting.
 */

import { WRITER_REGIONS, type WriterRegion } from '../../functions/core/topology-gate';
import { validateLeaseTimings, type LeaseTimings } from '../../functions/core/write-lease';

/** Account used when none is given, so that `cdk synth` works without credentials. Never deployable. */
export const PLACEHOLDER_ACCOUNT = '000000000000';

/**
 * The PostgreSQL majors RDS supports that `engineVersion` accepts, each with
 * - `minimumMinor`: the oldest minor RDS still creates instances of. 14.14–14.17, 15.9–15.12, 16.5–16.8 and 17.1–17.4
 *   reached the end of RDS standard support on 31 May 2026 and cannot be created since 1 May 2026 (minor versions
 *   table of "Release calendars for Amazon RDS for PostgreSQL",
 *   https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html);
 * - `standardSupportEnds`: the "RDS end of standard support date" of the major (major versions table of the same
 *   page), after which RDS enrolls the instances in the paid RDS Extended Support
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-overview.html).
 */
export const SUPPORTED_ENGINE_MAJORS: Readonly<Record<string, { readonly minimumMinor: number; readonly standardSupportEnds: string }>> = {
  '14': { minimumMinor: 18, standardSupportEnds: '2027-02-28' },
  '15': { minimumMinor: 13, standardSupportEnds: '2028-02-29' },
  '16': { minimumMinor: 9, standardSupportEnds: '2029-02-28' },
  '17': { minimumMinor: 5, standardSupportEnds: '2030-02-28' },
};
/** The major the estate was first built on: its DB parameter groups keep the names and logical IDs they were created with. */
export const ORIGINAL_ENGINE_MAJOR = '14';
/** Synth warns when the configured major's RDS standard support ends within this many months. */
export const SUPPORT_END_WARNING_MONTHS = 6;

/** Memory-optimised Graviton/Intel classes sized for a payment OLTP workload and supported by RDS PostgreSQL 14. */
export const SUPPORTED_INSTANCE_CLASSES = [
  'db.r6g.large', 'db.r6g.xlarge', 'db.r6g.2xlarge', 'db.r6g.4xlarge', 'db.r6g.8xlarge',
  'db.r6i.large', 'db.r6i.xlarge', 'db.r6i.2xlarge', 'db.r6i.4xlarge', 'db.r6i.8xlarge',
  'db.r7g.large', 'db.r7g.xlarge', 'db.r7g.2xlarge', 'db.r7g.4xlarge', 'db.r7g.8xlarge',
] as const;

const KNOWN_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1',
  'sa-east-1',
];

/**
 * Regions that can form one multi-Region strong consistency (MRSC) DynamoDB global table: its two replicas and
 * its witness must all be in ONE of these sets. AWS CloudFormation, "AWS::DynamoDB::GlobalTable
 * GlobalTableWitness", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-globaltablewitness.html
 * (the same sets are in the DynamoDB API reference, CreateGlobalTableWitnessGroupMemberAction).
 */
export const MRSC_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
};

/**
 * How the DR side may take over writes:
 * - `automatic`: the orchestrator promotes on its own once it holds the write lease (a DynamoDB MRSC global
 *   table with replicas in both database regions and its witness in the tooling region; the primary region's
 *   lease keeper renews it and fences the primary itself when it cannot);
 * - `manual-confirm`: no write lease exists, so nothing can prove the primary stopped writing: the orchestrator
 *   prepares and waits for an operator's confirmation. For region triples that no MRSC region set holds.
 */
export const FAILOVER_MODES = ['automatic', 'manual-confirm'] as const;
export type FailoverMode = typeof FAILOVER_MODES[number];

/**
 * One invocation of the lease keeper renews the lease for this long; a schedule starts one every minute, so
 * between two invocations nobody renews for `60 - KEEPER_RUN_SECONDS` s plus a cold start.
 */
export const KEEPER_RUN_SECONDS = 55;
/** Allowance for the next keeper invocation's cold start in the primary VPC before its first renewal. */
export const KEEPER_COLD_START_ALLOWANCE_SECONDS = 10;

export interface WriteLeaseTimingsConfig {
  /** How long one renewal of the write lease is valid. */
  readonly ttlSeconds: number;
  /** The keeper renews this often. */
  readonly renewIntervalSeconds: number;
  /** The keeper fences the primary itself when less than this remains of its lease. */
  readonly fenceBudgetSeconds: number;
  /** The DR side takes an expired lease only this long after it expired (clock skew, an overrunning fence). */
  readonly takeoverMarginSeconds: number;
}

export interface FailoverConfig {
  readonly mode: FailoverMode;
  /** Timings of the write lease; the orchestrator reads TTL and takeover margin in either mode. */
  readonly lease: WriteLeaseTimingsConfig;
}

export interface RegionsConfig {
  readonly primary: string;
  readonly dr: string;
  /** Where the delivery pipeline lives: neither database region, so losing one keeps delivery alive. */
  readonly tooling: string;
}

export interface NetworkConfig {
  readonly primaryCidr: string;
  readonly drCidr: string;
  /** Availability zones used in each region (names, not looked up, so synth needs no credentials). */
  readonly primaryAvailabilityZones: string[];
  readonly drAvailabilityZones: string[];
  /**
   * Optional AZ IDs (`use1-az4`), one per zone name, in the same order. A zone NAME maps to a different physical zone in
   * each account; an ID is the same zone everywhere ("Availability Zone IDs for your AWS resources",
   * https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html). Given IDs, every subnet is pinned by
   * `AvailabilityZoneId` and the names only label the subnets.
   */
  readonly primaryAvailabilityZoneIds?: string[];
  readonly drAvailabilityZoneIds?: string[];
  /** NAT gateways per region; one per AZ keeps Lambda egress alive through an AZ loss. */
  readonly natGatewaysPerRegion: number;
}

export interface DatabaseConfig {
  /** Full engine version, e.g. `14.22`. */
  readonly engineVersion: string;
  /**
   * Lets a deployment change the primary's major version in place (`AllowMajorVersionUpgrade`). Off, RDS refuses an
   * `engineVersion` of another major and the deployment rolls back. On only for the upgrade itself:
   * docs/runbooks/major-version-upgrade.md.
   */
  readonly allowMajorVersionUpgrade: boolean;
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly backupRetentionDays: number;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
}

export interface MonitoringConfig {
  /** Replication lag above which an alert fires (300 s by default). */
  readonly replicationLagAlarmSeconds: number;
  /** Replication lag above which the orchestrator refuses to promote without `force` (RPO budget). */
  readonly maxPromotionLagSeconds: number;
  /** How often the probes run. */
  readonly probeIntervalMinutes: number;
  /** Consecutive failed probe periods before the "primary unreachable" alarm fires. */
  readonly unreachableEvaluationPeriods: number;
  /** TTL of the failover DNS records. */
  readonly dnsTtlSeconds: number;
  /** Optional e-mail subscribed to the alert topics. */
  readonly alertEmail?: string;
}

export interface PipelineConfig {
  /** CodeConnections (GitHub) connection ARN; a placeholder is used for synth when missing. */
  readonly connectionArn: string;
  readonly connectionArnIsPlaceholder: boolean;
  /** `owner/repo` on GitHub. */
  readonly repository: string;
  readonly branch: string;
  /**
   * Before the DR stage deploys, CDK Pipelines' security check diffs the stage against what is deployed and stops for a
   * manual approval when IAM permissions or security groups broaden; it approves itself when nothing broadens.
   */
  readonly confirmPermissionsBroadening: boolean;
}

/**
 * How the DR functions reserve Lambda concurrency in their region:
 * - `all`: every function reserves what it needs (RESERVED_CONCURRENCY): a burst of other functions in the account cannot
 *   throttle the monitor or the orchestrator during a regional outage, and none fans out;
 * - `keeper-only`: only the lease keeper reserves its 1 (a second keeper would renew and fence against the first);
 *   the others share the account's unreserved pool;
 * - `none`: nothing is reserved. Only with failoverMode `manual-confirm` (no keeper).
 * Lambda lets an account reserve at most its concurrency limit minus 100, per region ("You can reserve up to the
 * Unreserved account concurrency value that is shown, minus 100 for functions that don't have reserved concurrency",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html); new accounts may start with a limit
 * far below the default 1,000, where any reservation fails the deployment.
 */
export const RESERVED_CONCURRENCY_MODES = ['all', 'keeper-only', 'none'] as const;
export type ReservedConcurrencyMode = typeof RESERVED_CONCURRENCY_MODES[number];

/** What each DR function reserves in `all` mode (the lease keeper also in `keeper-only`). */
export const RESERVED_CONCURRENCY = {
  leaseKeeper: 1,
  replicationMonitor: 1,
  /** Two: a status query must be answerable while a failover runs; the state table's lock keeps promotion single. */
  failoverOrchestrator: 2,
  syntheticDrill: 2,
  fullDrillTasks: 2,
} as const;
export type ReservingFunction = keyof typeof RESERVED_CONCURRENCY;

/** Lambda keeps this much of a region's account concurrency unreserved (see RESERVED_CONCURRENCY_MODES). */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

export interface FunctionsConfig {
  readonly reservedConcurrency: ReservedConcurrencyMode;
  /** The account's Lambda "Concurrent executions" quota in each database region (AWS default 1,000). */
  readonly accountConcurrencyLimit: number;
}

export interface IamConfig {
  /**
   * Name of a customer-managed policy every IAM role the app creates gets as its permissions boundary (in both
   * accounts), so an execution policy may require it on iam:CreateRole. Undefined: no boundary.
   */
  readonly permissionsBoundaryPolicyName?: string;
}

export interface TopologyConfig {
  /**
   * The region whose database is the writer, as the estate IS (not as it should be): `primary` until a regional
   * failover, then `dr` until a deliberate fail-back. With `dr` the app synthesizes the estate after a failover: the
   * promoted DR instance unchanged (same resource; its parameter group gets the writer's session timeouts), the old
   * primary's resource unchanged (the orchestrator's fence stays: CloudFormation sends only changed properties), the
   * writer name on the DR instance. The pipeline refuses to deploy when
   * this disagrees with what RDS reports (docs/runbooks/reprotect-and-failback.md).
   */
  readonly writerRegion: WriterRegion;
}

export interface RunbooksConfig {
  /**
   * Where the runbooks are published, ending in `/`: every alarm description and every alert links to its page under
   * it (alarms: `alarms.md#<alarm>`). Default: the repository's `docs/runbooks/` on GitHub, at the deployed branch.
   */
  readonly baseUrl: string;
}

export interface ComplianceConfig {
  /**
   * Check every template against AWS Control Tower's proactive controls (cfn-guard rules) at synth, next to cdk-nag.
   * Each failure is fixed or acknowledged on its resource with a reason. Turning it off only skips the check (tests
   * that synthesize many configurations do, to stay fast); the acknowledged controls remain incompatible with the
   * estate if an account enforces them.
   */
  readonly controlTowerChecks: boolean;
}

export interface DrillConfig {
  /** Weekly full drill: a disposable replica is created, promoted, measured and deleted. Costs an instance-hour or two a week. */
  readonly fullDrillEnabled: boolean;
}

export interface DrConfig {
  readonly environmentSuffix: string;
  /** First part of every resource name: `{service}-{purpose}-{environmentSuffix}`. */
  readonly serviceName: string;
  /** Account of the database regions. */
  readonly workloadAccount: string;
  /** Account of the delivery pipeline. */
  readonly toolingAccount: string;
  /** True when no account was given and the placeholder is in use: synth works, deploy must not. */
  readonly accountIsPlaceholder: boolean;
  readonly regions: RegionsConfig;
  readonly network: NetworkConfig;
  readonly database: DatabaseConfig;
  readonly monitoring: MonitoringConfig;
  readonly pipeline: PipelineConfig;
  readonly drills: DrillConfig;
  readonly functions: FunctionsConfig;
  readonly iam: IamConfig;
  readonly compliance: ComplianceConfig;
  readonly runbooks: RunbooksConfig;
  readonly topology: TopologyConfig;
  readonly failover: FailoverConfig;
  /** Tags applied to every resource (validated for RDS by the compliance aspect). */
  readonly tags: Record<string, string>;
  /** Human-readable warnings to print at synth (placeholders in use and similar). */
  readonly warnings: string[];
}

/** A configuration value is invalid; the message names the setting. */
export class ConfigError extends Error {
  constructor(public readonly setting: string, problem: string) {
    super(`Invalid configuration "${setting}": ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Where configuration comes from: CDK context (`-c key=value` or cdk.json) and the process environment. */
export interface ConfigSources {
  readonly context: (key: string) => unknown;
  readonly env: Record<string, string | undefined>;
  /** The moment of the synth, for warnings about support dates; the clock when not given. */
  readonly now?: Date;
}

/** Same shape as `scope.node.tryGetContext`. */
export function configSourcesFrom(tryGetContext: (key: string) => unknown, env: Record<string, string | undefined> = process.env): ConfigSources {
  return { context: tryGetContext, env };
}

const PLACEHOLDER_CONNECTION_ARN =
  'arn:aws:codeconnections:us-west-2:000000000000:connection/00000000-0000-0000-0000-000000000000';

export function loadConfig(sources: ConfigSources): DrConfig {
  const warnings: string[] = [];
  const read = (key: string): string | undefined => {
    const value = sources.context(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };

  const environmentSuffix = read('environmentSuffix') ?? 'dev';
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(environmentSuffix) || environmentSuffix.length > 16) {
    throw new ConfigError('environmentSuffix',
      `"${environmentSuffix}" must be 1-16 lowercase letters, digits and single inner hyphens (it is part of S3 bucket and RDS instance names)`);
  }

  const serviceName = read('serviceName') ?? 'paydb';
  if (!/^[a-z][a-z0-9]{1,11}$/.test(serviceName)) {
    throw new ConfigError('serviceName', `"${serviceName}" must be 2-12 lowercase letters and digits, starting with a letter`);
  }

  const regions: RegionsConfig = {
    primary: validRegion('primaryRegion', read('primaryRegion') ?? 'us-east-1'),
    dr: validRegion('drRegion', read('drRegion') ?? 'us-east-2'),
    tooling: validRegion('toolingRegion', read('toolingRegion') ?? 'us-west-2'),
  };
  if (regions.primary === regions.dr) {
    throw new ConfigError('drRegion', `must differ from primaryRegion (both are ${regions.primary}); a DR copy in the same region survives no regional outage`);
  }
  if (regions.tooling === regions.primary || regions.tooling === regions.dr) {
    warnings.push(`toolingRegion ${regions.tooling} is also a database region: losing that region also stops the delivery pipeline.`);
  }

  const givenAccount = read('account') ?? sources.env.CDK_DEFAULT_ACCOUNT;
  let workloadAccount: string;
  let accountIsPlaceholder = false;
  if (givenAccount === undefined) {
    workloadAccount = PLACEHOLDER_ACCOUNT;
    accountIsPlaceholder = true;
    warnings.push(`No AWS account given (context "account" or CDK_DEFAULT_ACCOUNT): using placeholder ${PLACEHOLDER_ACCOUNT}. ` +
      'Synth works; do not deploy this output. Pass -c account=123456789012 to deploy.');
  } else {
    workloadAccount = validAccount('account', givenAccount);
  }
  const toolingAccount = validAccount('toolingAccount', read('toolingAccount') ?? workloadAccount);

  // Zone IDs first: without zone names, their count decides how many zone labels the names default to.
  const primaryAvailabilityZoneIds = validZoneIds('primaryAvailabilityZoneIds', read('primaryAvailabilityZoneIds'), regions.primary, read('primaryAvailabilityZones'));
  const drAvailabilityZoneIds = validZoneIds('drAvailabilityZoneIds', read('drAvailabilityZoneIds'), regions.dr, read('drAvailabilityZones'));
  const network: NetworkConfig = {
    primaryCidr: validCidr('primaryVpcCidr', read('primaryVpcCidr') ?? '10.10.0.0/16'),
    drCidr: validCidr('drVpcCidr', read('drVpcCidr') ?? '10.20.0.0/16'),
    primaryAvailabilityZones: validZones('primaryAvailabilityZones', read('primaryAvailabilityZones') ?? zoneLabels(regions.primary, primaryAvailabilityZoneIds), regions.primary),
    drAvailabilityZones: validZones('drAvailabilityZones', read('drAvailabilityZones') ?? zoneLabels(regions.dr, drAvailabilityZoneIds), regions.dr),
    primaryAvailabilityZoneIds,
    drAvailabilityZoneIds,
    natGatewaysPerRegion: validInteger('natGatewaysPerRegion', read('natGatewaysPerRegion') ?? '2', 1, 3),
  };
  if (cidrsOverlap(network.primaryCidr, network.drCidr)) {
    // Blame the setting the user gave: only primaryVpcCidr given means the default drVpcCidr is not the one to change.
    const blamePrimary = read('primaryVpcCidr') !== undefined && read('drVpcCidr') === undefined;
    const [setting, value, other, otherValue] = blamePrimary
      ? ['primaryVpcCidr', network.primaryCidr, 'drVpcCidr', network.drCidr]
      : ['drVpcCidr', network.drCidr, 'primaryVpcCidr', network.primaryCidr];
    const otherIsDefault = read(other) === undefined ? ' (default)' : '';
    throw new ConfigError(setting, `${value} overlaps ${other} ${otherValue}${otherIsDefault}; VPC peering needs disjoint ranges`);
  }

  const database: DatabaseConfig = {
    engineVersion: validEngineVersion(read('engineVersion') ?? '14.22'),
    allowMajorVersionUpgrade: validBoolean('allowMajorVersionUpgrade', read('allowMajorVersionUpgrade') ?? 'false'),
    instanceClass: validInstanceClass(read('instanceClass') ?? 'db.r6g.xlarge'),
    allocatedStorageGiB: validInteger('allocatedStorageGiB', read('allocatedStorageGiB') ?? '100', 20, 65536),
    maxAllocatedStorageGiB: validInteger('maxAllocatedStorageGiB', read('maxAllocatedStorageGiB') ?? '500', 20, 65536),
    backupRetentionDays: validInteger('backupRetentionDays', read('backupRetentionDays') ?? '7', 1, 35),
    port: validInteger('databasePort', read('databasePort') ?? '5432', 1150, 65535),
    databaseName: validIdentifier('databaseName', read('databaseName') ?? 'payments'),
    masterUsername: validIdentifier('masterUsername', read('masterUsername') ?? 'dbadmin'),
  };
  if (database.maxAllocatedStorageGiB < database.allocatedStorageGiB) {
    throw new ConfigError('maxAllocatedStorageGiB', `${database.maxAllocatedStorageGiB} is below allocatedStorageGiB ${database.allocatedStorageGiB}`);
  }
  const supportEndWarning = engineSupportEndWarning(database.engineVersion, sources.now ?? new Date());
  if (supportEndWarning !== undefined) warnings.push(supportEndWarning);
  if (database.allowMajorVersionUpgrade) {
    warnings.push('allowMajorVersionUpgrade is on: an engineVersion of another major upgrades the primary in place, and the cross-Region DR ' +
      'replica stops replicating until it is recreated (the estate has no DR copy meanwhile). Follow docs/runbooks/major-version-upgrade.md; turn it off afterwards.');
  }

  const alertEmail = read('alertEmail');
  if (alertEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alertEmail)) {
    throw new ConfigError('alertEmail', `"${alertEmail}" is not an e-mail address`);
  }
  const monitoring: MonitoringConfig = {
    replicationLagAlarmSeconds: validInteger('replicationLagAlarmSeconds', read('replicationLagAlarmSeconds') ?? '300', 10, 3600),
    maxPromotionLagSeconds: validInteger('maxPromotionLagSeconds', read('maxPromotionLagSeconds') ?? '300', 1, 3600),
    probeIntervalMinutes: validInteger('probeIntervalMinutes', read('probeIntervalMinutes') ?? '1', 1, 5),
    unreachableEvaluationPeriods: validInteger('unreachableEvaluationPeriods', read('unreachableEvaluationPeriods') ?? '3', 1, 10),
    dnsTtlSeconds: validInteger('dnsTtlSeconds', read('dnsTtlSeconds') ?? '30', 5, 300),
    alertEmail,
  };

  const givenConnectionArn = read('connectionArn') ?? sources.env.CODECONNECTIONS_ARN;
  if (givenConnectionArn !== undefined &&
      !/^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/.test(givenConnectionArn)) {
    throw new ConfigError('connectionArn', `"${givenConnectionArn}" is not a CodeConnections connection ARN`);
  }
  if (givenConnectionArn === undefined) {
    warnings.push('No CodeConnections ARN given (context "connectionArn"): the pipeline source uses a placeholder. ' +
      'Create the connection (see README) and pass -c connectionArn=... before deploying the pipeline.');
  }
  const repository = read('repository') ?? 'example-org/pg-multi-region-dr';
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    throw new ConfigError('repository', `"${repository}" must be "owner/name"`);
  }
  const pipeline: PipelineConfig = {
    connectionArn: givenConnectionArn ?? PLACEHOLDER_CONNECTION_ARN,
    connectionArnIsPlaceholder: givenConnectionArn === undefined,
    repository,
    branch: read('branch') ?? 'main',
    confirmPermissionsBroadening: validBoolean('confirmPermissionsBroadening', read('confirmPermissionsBroadening') ?? 'true'),
  };

  const runbookBaseUrl = read('runbookBaseUrl') ?? `https://github.com/${pipeline.repository}/blob/${pipeline.branch}/docs/runbooks/`;
  if (!/^https:\/\/[^\s]+\/$/.test(runbookBaseUrl)) {
    throw new ConfigError('runbookBaseUrl', `"${runbookBaseUrl}" must be an https URL ending in "/" (the folder that holds the runbooks)`);
  }
  const runbooks: RunbooksConfig = { baseUrl: runbookBaseUrl };

  const drills: DrillConfig = { fullDrillEnabled: validBoolean('fullDrillEnabled', read('fullDrillEnabled') ?? 'false') };

  const failover: FailoverConfig = {
    mode: validFailoverMode(read('failoverMode') ?? 'automatic', regions),
    lease: validLeaseTimings({
      ttlSeconds: validInteger('leaseTtlSeconds', read('leaseTtlSeconds') ?? '45', 5, 600),
      renewIntervalSeconds: validInteger('leaseRenewIntervalSeconds', read('leaseRenewIntervalSeconds') ?? '10', 1, 300),
      fenceBudgetSeconds: validInteger('leaseFenceBudgetSeconds', read('leaseFenceBudgetSeconds') ?? '15', 1, 300),
      takeoverMarginSeconds: validInteger('leaseTakeoverMarginSeconds', read('leaseTakeoverMarginSeconds') ?? '30', 1, 600),
    }),
  };

  const functions: FunctionsConfig = validFunctions({
    reservedConcurrency: validReservedConcurrencyMode(read('reservedConcurrency') ?? 'all', failover.mode),
    accountConcurrencyLimit: validInteger('accountConcurrencyLimit', read('accountConcurrencyLimit') ?? '1000', 1, 10_000_000),
  }, { failoverMode: failover.mode, fullDrillEnabled: drills.fullDrillEnabled, regions });

  const permissionsBoundaryPolicyName = read('permissionsBoundaryPolicyName');
  if (permissionsBoundaryPolicyName !== undefined && !/^[\w+=,.@-]{1,128}$/.test(permissionsBoundaryPolicyName)) {
    throw new ConfigError('permissionsBoundaryPolicyName', `"${permissionsBoundaryPolicyName}" is not an IAM policy name (1-128 of letters, digits and +=,.@_-)`);
  }
  const iam: IamConfig = { permissionsBoundaryPolicyName };
  const writerRegion = read('writerRegion') ?? 'primary';
  if (!(WRITER_REGIONS as readonly string[]).includes(writerRegion)) {
    throw new ConfigError('writerRegion', `"${writerRegion}" must be one of ${WRITER_REGIONS.join(', ')} (where the writer is now)`);
  }
  if (writerRegion === 'dr' && database.allowMajorVersionUpgrade) {
    // After a failover the old primary is stopped until a re-protection (RDS cannot modify it), and the DR instance's
    // resource keeps the replica's template in both topologies: an engine change cannot be applied to this estate
    // consistently (docs/runbooks/major-version-upgrade.md).
    throw new ConfigError('allowMajorVersionUpgrade', 'must be false while writerRegion is "dr": fail back before a major version upgrade');
  }
  const topology: TopologyConfig = { writerRegion: writerRegion as WriterRegion };
  const compliance: ComplianceConfig = { controlTowerChecks: validBoolean('controlTowerChecks', read('controlTowerChecks') ?? 'true') };

  const tags: Record<string, string> = {
    Project: 'payments-dr',
    Environment: environmentSuffix,
    RpoTarget: '1h',
    RtoTarget: '4h',
    DataClassification: 'pci',
    ...parseTags(read('tags')),
  };

  return {
    environmentSuffix,
    serviceName,
    workloadAccount,
    toolingAccount,
    accountIsPlaceholder,
    regions,
    network,
    database,
    monitoring,
    pipeline,
    drills,
    functions,
    iam,
    compliance,
    runbooks,
    topology,
    failover,
    tags,
    warnings,
  };
}

/** `{service}-{purpose}-{environmentSuffix}`, the naming rule of every named resource. */
export function resourceName(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix'>, purpose: string): string {
  return `${config.serviceName}-${purpose}-${config.environmentSuffix}`;
}

/** Name of a region's backup bucket; globally unique through the account id. */
export function backupBucketName(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix' | 'workloadAccount'>, side: 'primary' | 'dr'): string {
  return resourceName(config, `backup-${side}-${config.workloadAccount}`);
}

/** The PostgreSQL major version of the configured engine version (`14.22` → `14`). */
export function engineMajor(config: Pick<DrConfig, 'database'>): string {
  return config.database.engineVersion.split('.')[0];
}

/** The reserved concurrency of `fn` under the configured mode, or undefined when it shares the unreserved pool. */
export function reservedConcurrencyOf(config: Pick<DrConfig, 'functions'>, fn: ReservingFunction): number | undefined {
  const mode = config.functions.reservedConcurrency;
  if (mode === 'all' || (mode === 'keeper-only' && fn === 'leaseKeeper')) return RESERVED_CONCURRENCY[fn];
  return undefined;
}

/** The DR functions each database region runs (the keeper in the primary region, everything else in the DR region). */
function functionsByRegion(options: { failoverMode: FailoverMode; fullDrillEnabled: boolean; regions: RegionsConfig }): Record<string, ReservingFunction[]> {
  return {
    [options.regions.primary]: options.failoverMode === 'automatic' ? ['leaseKeeper'] : [],
    [options.regions.dr]: ['replicationMonitor', 'failoverOrchestrator', 'syntheticDrill', ...(options.fullDrillEnabled ? ['fullDrillTasks' as const] : [])],
  };
}

/** The MRSC region set holding all of `regions`, or undefined. */
export function mrscRegionSetOf(regions: readonly string[]): string | undefined {
  return Object.entries(MRSC_REGION_SETS).find(([, set]) => regions.every((region) => set.includes(region)))?.[0];
}

function validFailoverMode(value: string, regions: RegionsConfig): FailoverMode {
  if (!(FAILOVER_MODES as readonly string[]).includes(value)) {
    throw new ConfigError('failoverMode', `"${value}" must be one of ${FAILOVER_MODES.join(', ')}`);
  }
  const mode = value as FailoverMode;
  if (mode !== 'automatic') return mode;
  const { primary, dr, tooling } = regions;
  const sets = Object.entries(MRSC_REGION_SETS).map(([name, set]) => `${name}: ${set.join(', ')}`).join('; ');
  if (tooling === primary || tooling === dr) {
    throw new ConfigError('failoverMode', `"automatic" needs the write lease's witness in the tooling region, a third region, but toolingRegion ${tooling} ` +
      `is also a database region. Choose failoverMode=manual-confirm, or a toolingRegion that is neither database region (MRSC region sets: ${sets}).`);
  }
  if (mrscRegionSetOf([primary, dr, tooling]) === undefined) {
    throw new ConfigError('failoverMode', `"automatic" needs a DynamoDB multi-Region strong consistency (MRSC) global table with replicas in ` +
      `primaryRegion ${primary} and drRegion ${dr} and its witness in toolingRegion ${tooling}, all in ONE MRSC region set (${sets}); ` +
      `these three regions are not. Choose failoverMode=manual-confirm, or other regions.`);
  }
  return mode;
}

function validReservedConcurrencyMode(value: string, failoverMode: FailoverMode): ReservedConcurrencyMode {
  if (!(RESERVED_CONCURRENCY_MODES as readonly string[]).includes(value)) {
    throw new ConfigError('reservedConcurrency', `"${value}" must be one of ${RESERVED_CONCURRENCY_MODES.join(', ')}`);
  }
  if (value === 'none' && failoverMode === 'automatic') {
    throw new ConfigError('reservedConcurrency', '"none" would let two lease keepers run at once (they would renew and fence against each other); ' +
      'with failoverMode=automatic use "keeper-only" (reserves 1 in the primary region) or "all"');
  }
  return value as ReservedConcurrencyMode;
}

/** Each region's reservations must fit below the account's limit minus the unreserved minimum Lambda keeps. */
function validFunctions(functions: FunctionsConfig, options: { failoverMode: FailoverMode; fullDrillEnabled: boolean; regions: RegionsConfig }): FunctionsConfig {
  const reservable = functions.accountConcurrencyLimit - LAMBDA_UNRESERVED_MINIMUM;
  for (const [region, names] of Object.entries(functionsByRegion(options))) {
    const reserved = names.map((name) => reservedConcurrencyOf({ functions }, name) ?? 0).reduce((sum, value) => sum + value, 0);
    if (reserved > 0 && reserved > reservable) {
      throw new ConfigError('reservedConcurrency', `"${functions.reservedConcurrency}" reserves ${reserved} concurrent executions in ${region}, but ` +
        `accountConcurrencyLimit ${functions.accountConcurrencyLimit} leaves ${Math.max(reservable, 0)} reservable (Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved): ` +
        'request a higher "Concurrent executions" quota, or choose "keeper-only" (1 in the primary region) or "none" (failoverMode=manual-confirm only)');
    }
  }
  return functions;
}

/** Which setting a problem reported by `validateLeaseTimings` is about (the setting the rule constrains last). */
function leaseSettingOf(problem: string): string {
  if (/^the renew interval/.test(problem)) return 'leaseRenewIntervalSeconds';
  if (/fence budget/.test(problem)) return 'leaseFenceBudgetSeconds';
  if (/takeover margin/.test(problem)) return 'leaseTakeoverMarginSeconds';
  return 'leaseTtlSeconds';
}

/** The configured lease timings in the runtime's units. */
export function leaseTimingsOf(timings: WriteLeaseTimingsConfig): LeaseTimings {
  return {
    ttlMs: timings.ttlSeconds * 1000,
    renewIntervalMs: timings.renewIntervalSeconds * 1000,
    fenceBudgetMs: timings.fenceBudgetSeconds * 1000,
    takeoverMarginMs: timings.takeoverMarginSeconds * 1000,
  };
}

/** The longest time between two renewals on AWS: one renew interval + the pause between keeper invocations + a cold start. */
export function longestRenewalGapSeconds(timings: Pick<WriteLeaseTimingsConfig, 'renewIntervalSeconds'>): number {
  return timings.renewIntervalSeconds + (60 - KEEPER_RUN_SECONDS) + KEEPER_COLD_START_ALLOWANCE_SECONDS;
}

/**
 * The write lease's timings, checked with the runtime's own rules (functions/core/write-lease.ts), plus the rule
 * the keeper's schedule adds: between two keeper invocations nobody renews, so the longest gap between renewals
 * (one renew interval + the pause between invocations + a cold start) must end before the keeper must fence.
 */
function validLeaseTimings(timings: WriteLeaseTimingsConfig): WriteLeaseTimingsConfig {
  const values = `leaseTtlSeconds=${timings.ttlSeconds}, leaseRenewIntervalSeconds=${timings.renewIntervalSeconds}, ` +
    `leaseFenceBudgetSeconds=${timings.fenceBudgetSeconds}, leaseTakeoverMarginSeconds=${timings.takeoverMarginSeconds}`;
  const [problem] = validateLeaseTimings(leaseTimingsOf(timings));
  if (problem !== undefined) throw new ConfigError(leaseSettingOf(problem), `${problem} (${values})`);
  const longestGap = longestRenewalGapSeconds(timings);
  if (timings.ttlSeconds - timings.fenceBudgetSeconds < longestGap) {
    throw new ConfigError('leaseTtlSeconds', `the lease must outlast the longest gap between two renewals, ${longestGap} s ` +
      `(renew interval + ${60 - KEEPER_RUN_SECONDS} s between keeper invocations + ${KEEPER_COLD_START_ALLOWANCE_SECONDS} s cold start), ` +
      `before the keeper must fence: leaseTtlSeconds - leaseFenceBudgetSeconds is ${timings.ttlSeconds - timings.fenceBudgetSeconds} s (${values})`);
  }
  return timings;
}

function validRegion(setting: string, value: string): string {
  if (!KNOWN_REGIONS.includes(value)) {
    throw new ConfigError(setting, `"${value}" is not a supported AWS region (one of ${KNOWN_REGIONS.join(', ')})`);
  }
  return value;
}

function validAccount(setting: string, value: string): string {
  if (!/^\d{12}$/.test(value)) throw new ConfigError(setting, `"${value}" must be a 12-digit AWS account id`);
  return value;
}

function validInteger(setting: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(setting, `"${value}" must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function validBoolean(setting: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new ConfigError(setting, `"${value}" must be true or false`);
  return value === 'true';
}

function validIdentifier(setting: string, value: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(value)) {
    throw new ConfigError(setting, `"${value}" must start with a lowercase letter and hold only lowercase letters, digits and underscores (max 63)`);
  }
  return value;
}

/** The rule `engineVersion` must follow, stated in every message about it. */
export const ENGINE_VERSION_RULE = `it must be major.minor (no patch part) of PostgreSQL ${Object.keys(SUPPORTED_ENGINE_MAJORS).join(', ')}, ` +
  `at least the oldest minor RDS still creates: ${Object.entries(SUPPORTED_ENGINE_MAJORS).map(([major, { minimumMinor }]) => `${major}.${minimumMinor}`).join(', ')}`;

function validEngineVersion(value: string): string {
  const match = /^(\d+)\.(\d+)$/.exec(value);
  const major = match ? SUPPORTED_ENGINE_MAJORS[match[1]] : undefined;
  if (!match || major === undefined) {
    throw new ConfigError('engineVersion', `"${value}" is not supported: ${ENGINE_VERSION_RULE}`);
  }
  if (Number(match[2]) < major.minimumMinor) {
    throw new ConfigError('engineVersion', `"${value}" is deprecated by RDS for new instances: ${ENGINE_VERSION_RULE}`);
  }
  return value;
}

/**
 * The synth warning about the end of RDS standard support of `engineVersion`'s major, from SUPPORT_END_WARNING_MONTHS
 * before it (dates compared in UTC): afterwards RDS moves the instances to the paid RDS Extended Support.
 */
export function engineSupportEndWarning(engineVersion: string, now: Date): string | undefined {
  const major = engineVersion.split('.')[0];
  const ends = SUPPORTED_ENGINE_MAJORS[major].standardSupportEnds;
  const [year, month, day] = ends.split('-').map(Number);
  const warnFrom = new Date(Date.UTC(year, month - 1 - SUPPORT_END_WARNING_MONTHS, day)).toISOString().slice(0, 10);
  const today = now.toISOString().slice(0, 10);
  if (today < warnFrom) return undefined;
  const runbook = 'docs/runbooks/major-version-upgrade.md';
  if (today > ends) {
    return `RDS standard support for PostgreSQL ${major} ended on ${ends}: RDS runs the instances on the paid RDS Extended Support. Upgrade the major version: ${runbook}.`;
  }
  return `RDS standard support for PostgreSQL ${major} ends on ${ends}, within ${SUPPORT_END_WARNING_MONTHS} months: afterwards RDS moves the instances ` +
    `to the paid RDS Extended Support. Plan the major version upgrade: ${runbook}.`;
}

function validInstanceClass(value: string): string {
  if (!(SUPPORTED_INSTANCE_CLASSES as readonly string[]).includes(value)) {
    throw new ConfigError('instanceClass', `"${value}" is not supported (one of ${SUPPORTED_INSTANCE_CLASSES.join(', ')})`);
  }
  return value;
}

function validCidr(setting: string, value: string): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const octetsValid = match !== null && match.slice(1, 5).every((octet) => Number(octet) <= 255);
  const prefix = match ? Number(match[5]) : -1;
  if (!octetsValid || prefix < 16 || prefix > 24) {
    throw new ConfigError(setting, `"${value}" must be an IPv4 CIDR with a prefix from /16 to /24`);
  }
  return value;
}

function cidrRange(cidr: string): [number, number] {
  const [address, prefix] = cidr.split('/');
  const base = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(prefix));
  const start = base - (base % size);
  return [start, start + size - 1];
}

function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = cidrRange(a);
  const [bStart, bEnd] = cidrRange(b);
  return aStart <= bEnd && bStart <= aEnd;
}

function validZones(setting: string, value: string | undefined, region: string): string[] {
  const zones = value === undefined ? [`${region}a`, `${region}b`] : value.split(',').map((zone) => zone.trim());
  if (zones.length < 2 || zones.some((zone) => !new RegExp(`^${region}[a-z]$`).test(zone))) {
    throw new ConfigError(setting, `"${zones.join(',')}" must list at least two availability zones of ${region} (e.g. ${region}a,${region}b); Multi-AZ needs two`);
  }
  return zones;
}

/** The AZ ID prefix of each supported region (`use1-az4` is a zone of us-east-1). */
export const AZ_ID_PREFIXES: Readonly<Record<string, string>> = {
  'us-east-1': 'use1', 'us-east-2': 'use2', 'us-west-1': 'usw1', 'us-west-2': 'usw2', 'ca-central-1': 'cac1',
  'eu-west-1': 'euw1', 'eu-west-2': 'euw2', 'eu-west-3': 'euw3', 'eu-central-1': 'euc1', 'eu-central-2': 'euc2', 'eu-north-1': 'eun1',
  'eu-south-1': 'eus1', 'eu-south-2': 'eus2', 'ap-southeast-1': 'apse1', 'ap-southeast-2': 'apse2', 'ap-northeast-1': 'apne1',
  'ap-northeast-2': 'apne2', 'ap-northeast-3': 'apne3', 'ap-south-1': 'aps1', 'sa-east-1': 'sae1',
};

/**
 * Zone IDs pin the subnets by ID, one per zone name: with IDs and no names, the names default to as many labels as IDs
 * (`<region>a`, `<region>b`, …); with both, the counts must match.
 */
function validZoneIds(setting: string, value: string | undefined, region: string, givenNames: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((id) => id.trim());
  const prefix = AZ_ID_PREFIXES[region];
  if (ids.length < 2 || ids.some((id) => !new RegExp(`^${prefix}-az[0-9]{1,2}$`).test(id)) || new Set(ids).size !== ids.length) {
    throw new ConfigError(setting, `"${ids.join(',')}" must list at least two distinct availability zone IDs of ${region} (e.g. ${prefix}-az1,${prefix}-az2); Multi-AZ needs two`);
  }
  const nameCount = givenNames === undefined ? undefined : givenNames.split(',').length;
  if (nameCount !== undefined && nameCount !== ids.length) {
    throw new ConfigError(setting, `lists ${ids.length} zone IDs but the zone names of ${region} are ${nameCount}: give one ID per name, in the same order`);
  }
  return ids;
}

/** Labels for subnets pinned by zone ID when no names are configured: `<region>a`, `<region>b`, … (one per ID). */
function zoneLabels(region: string, ids: string[] | undefined): string | undefined {
  return ids?.map((_, index) => `${region}${String.fromCharCode(97 + index)}`).join(',');
}

function parseTags(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('tags', 'must be a JSON object of string values, e.g. {"CostCenter":"1234"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) ||
      Object.values(parsed).some((tagValue) => typeof tagValue !== 'string')) {
    throw new ConfigError('tags', 'must be a JSON object of string values, e.g. {"CostCenter":"1234"}');
  }
  return parsed as Record<string, string>;
}
