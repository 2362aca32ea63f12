/** Builds the orchestrator's Lambda handler from a validated configuration (the entry point is handler.ts). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import {
  DEFAULT_FAILOVER_SETTINGS, readFailoverStatus, runFailover, type FailoverOutcome, type FailoverPorts, type FailoverResult,
} from '../core/failover-orchestrator';
import { InvalidRequestError } from '../core/failover-request';
import type { DatabaseMember } from '../core/estate-roles';
import { configuredPair } from '../shared/database-pair';
import type { Clock, Logger } from '../core/ports';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { CloudWatchReplicationLag } from '../adapters/aws/cloudwatch-replication-lag';
import { readDatabaseCredentials } from '../adapters/aws/database-credentials';
import type { TargetProvider } from '../adapters/aws/database-session';
import { DynamoDbFailoverStateStore } from '../adapters/aws/dynamodb-failover-state-store';
import { DynamoDbWriteLeaseStore } from '../adapters/aws/dynamodb-write-lease-store';
import { powertoolsLogger, type InvocationContext } from '../adapters/aws/powertools-logger';
import { RdsDatabaseControl } from '../adapters/aws/rds-database-control';
import { RdsDatabaseFleet, type RdsMemberSettings } from '../adapters/aws/rds-database-fleet';
import { RdsReplicaProvisioning, type RdsRegion } from '../adapters/aws/rds-replica-provisioning';
import { Route53Dns } from '../adapters/aws/route53-dns';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import { SnsAlerts } from '../adapters/aws/sns-alerts';
import { probeDatabase, type DatabaseTarget, type ProbeResult } from '../adapters/postgres/connectivity';
import type { OrchestratorConfig } from './config';
import { parseOrchestratorEvent } from './events';

export type OrchestratorResponse =
  | { readonly ok: boolean; readonly outcome: FailoverOutcome; readonly message: string; readonly promoted: boolean; readonly result: FailoverResult; readonly writerTarget?: string }
  | { readonly ok: false; readonly outcome: 'rejected'; readonly message: string }
  | { readonly ok: true; readonly outcome: 'ignored'; readonly message: string };

/** Outcomes after which nothing is wrong (a refusal or false alarm is the orchestrator doing its job). */
const OK_OUTCOMES: ReadonlySet<FailoverOutcome> = new Set([
  'completed', 'already_in_progress', 'already_completed', 'false_alarm', 'refused', 'nothing_to_resume', 'aborted', 'lease_lost',
]);

/** The run returns this long before Lambda would kill it, so the last state is always saved. */
const DEADLINE_SAFETY_MS = 20_000;
/** Bound for each SQL connect and statement (switchover freeze, replay position, writer check). */
const SQL_TIMEOUT_MS = 5_000;

export interface HandlerOverrides {
  readonly clock?: Clock;
  readonly probe?: (target: DatabaseTarget, timeoutMs: number) => Promise<ProbeResult>;
}

export function createHandler(config: OrchestratorConfig, overrides: HandlerOverrides = {}) {
  const logger = powertoolsLogger('failover-orchestrator');
  const clock = overrides.clock ?? systemClock;
  const ports = buildPorts(config, clock, logger, overrides.probe ?? probeDatabase);
  const settings = {
    ...DEFAULT_FAILOVER_SETTINGS,
    maxPromotionLagSeconds: config.maxPromotionLagSeconds,
    promotionTimeoutSeconds: config.promotionTimeoutSeconds,
    primaryProbeAttempts: config.primaryProbeAttempts,
    primaryProbeTimeoutMs: config.primaryProbeTimeoutMs,
    primaryProbeIntervalMs: config.primaryProbeIntervalMs,
    failoverMode: config.failoverMode,
    takeoverMarginMs: config.leaseTakeoverMarginSeconds * 1000,
    catchUpTimeoutMs: config.switchoverCatchUpTimeoutSeconds * 1000,
  };

  return async (event: unknown, context: InvocationContext & Pick<Context, 'getRemainingTimeInMillis'>): Promise<OrchestratorResponse> => {
    logger.addContext(context);
    let command;
    try {
      command = parseOrchestratorEvent(event);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      logger.error('rejected malformed event', { error: error.message });
      return { ok: false, outcome: 'rejected', message: `Rejected, nothing done: ${error.message}` };
    }
    if (command.kind === 'ignore') {
      logger.info('event ignored', { message: command.message });
      return { ok: true, outcome: 'ignored', message: command.message };
    }
    if (command.kind === 'status') {
      const result = await readFailoverStatus(ports);
      const writerTarget = await ports.dns.currentWriterTarget().catch((error: unknown) => `unknown (${describeError(error)})`);
      return { ...respond(result), writerTarget };
    }
    const deadline = clock.now() + context.getRemainingTimeInMillis() - DEADLINE_SAFETY_MS;
    return respond(await runFailover(command.request, ports, settings, { runId: context.awsRequestId, deadline }));
  };
}

function respond(result: FailoverResult) {
  return { ok: OK_OUTCOMES.has(result.outcome), outcome: result.outcome, message: result.message, promoted: result.promoted, result };
}

function buildPorts(
  config: OrchestratorConfig, clock: Clock, logger: Logger, probe: NonNullable<HandlerOverrides['probe']>,
): FailoverPorts {
  // Every client: a dead region costs seconds per call, not the SDK's open-ended wait (sdk-client-options.ts).
  const drCloudWatch = new CloudWatchClient({ region: config.drRegion, ...sdkClientOptions() });
  const drMetrics = new CloudWatchMetrics({ client: drCloudWatch, namespace: config.metricNamespace, environmentSuffix: config.environmentSuffix });
  const secrets = new SecretsManagerClient({ region: config.drRegion, ...sdkClientOptions() });
  const dynamo = new DynamoDBClient({ region: config.drRegion, ...sdkClientOptions() });
  /** SQL target of one database; `refreshCredentials` re-reads a rotated secret (once per authentication failure). */
  const target = (host: string): TargetProvider => async (options) => {
    const credentials = await readDatabaseCredentials(secrets, config.secretArn, { refresh: options?.refreshCredentials });
    return {
      host, port: config.port, database: config.database,
      user: credentials.username, password: credentials.password, ssl: { rejectUnauthorized: true },
    };
  };
  const primaryRds = new RDSClient({ region: config.primaryRegion, ...sdkClientOptions() });
  const drRds = new RDSClient({ region: config.drRegion, ...sdkClientOptions() });
  const regions: Record<'primary' | 'dr', RdsRegion> = { primary: { region: config.primaryRegion, rds: primaryRds }, dr: { region: config.drRegion, rds: drRds } };
  const reprotection = reprotectionOf(config, regions);
  const fleet = reprotection ? new RdsDatabaseFleet({
    configured: configuredPair(config),
    regions,
    settingsOf: (member) => memberSettings(config, member),
    target,
    probe,
    sqlTimeoutMs: SQL_TIMEOUT_MS,
    clock,
  }) : undefined;
  return {
    ...(fleet && reprotection ? { fleet, reprotection } : {}),
    database: new RdsDatabaseControl({
      primaryRds,
      drRds,
      primaryInstanceId: config.primaryInstanceId,
      replicaInstanceId: config.replicaInstanceId,
      fenceSecurityGroupId: config.fenceSecurityGroupId,
      primaryParameterGroup: config.primaryParameterGroup,
      // A DR replica a re-protection back created has no backups of its own (the template's had them).
      promotedBackupRetentionDays: backupRetentionDaysOf(config),
      replicationLag: new CloudWatchReplicationLag({
        cloudWatch: drCloudWatch,
        metricNamespace: config.metricNamespace,
        environmentSuffix: config.environmentSuffix,
        lagLookbackSeconds: config.lagLookbackSeconds,
        probeIntervalSeconds: config.probeIntervalSeconds,
        logger,
      }),
      probe,
      primaryTarget: target(config.primaryEndpoint),
      replicaTarget: target(config.replicaEndpoint),
      sqlTimeoutMs: SQL_TIMEOUT_MS,
      clock,
    }),
    dns: new Route53Dns({
      // Route53's control plane is global; the SDK signs for us-east-1 whatever region is given.
      route53: new Route53Client({ region: config.drRegion, ...sdkClientOptions() }),
      drMetrics,
      hostedZoneId: config.hostedZoneId,
      writerRecordName: config.writerRecordName,
      primaryRecordSetId: config.primaryRecordSetId,
      drEndpoint: config.replicaEndpoint,
      ...(fleet ? { roles: { drDatabase: configuredPair(config).replica, endpointOf: (member: DatabaseMember) => fleet.endpointOf(member) } } : {}),
    }),
    alerts: new SnsAlerts(new SNSClient({ region: config.drRegion, ...sdkClientOptions() }), config.alertTopicArn, config.environmentSuffix, config.runbookUrl),
    metrics: drMetrics,
    store: new DynamoDbFailoverStateStore(dynamo, config.failoverStateTable),
    // The lease table's DR-region replica (MRSC): a takeover succeeds only with a quorum of regions behind it.
    lease: config.failoverMode === 'automatic' && config.writeLeaseTable !== undefined
      ? new DynamoDbWriteLeaseStore(dynamo, config.writeLeaseTable)
      : undefined,
    clock,
    logger,
  };
}

/**
 * Re-protection is on only when every one of its settings is (config.ts checks they come together). Each region's
 * replica takes the configured instance's name and own parameter group: after a failover the old primary is renamed
 * and the DR writer's replica becomes `PRIMARY_DB_INSTANCE_ID`; after the fail-back the old DR writer is renamed and
 * the new primary's replica becomes `REPLICA_DB_INSTANCE_ID` again.
 */
function reprotectionOf(config: OrchestratorConfig, regions: Record<'primary' | 'dr', RdsRegion>): RdsReplicaProvisioning | undefined {
  const {
    primaryKmsKeyArn, primarySubnetGroup, primarySecurityGroupIds, primaryMonitoringRoleArn,
    drKmsKeyArn, drSubnetGroup, drSecurityGroupIds, drParameterGroup, drFenceSecurityGroupId, drMonitoringRoleArn,
  } = config;
  if (!primaryKmsKeyArn || !primarySubnetGroup || !primarySecurityGroupIds?.length || !primaryMonitoringRoleArn || !drKmsKeyArn || !drSubnetGroup
    || !drSecurityGroupIds?.length || !drParameterGroup || !drFenceSecurityGroupId || !drMonitoringRoleArn) return undefined;
  const common = {
    ...(config.reprotectInstanceClass ? { dbInstanceClass: config.reprotectInstanceClass } : {}),
    ...(config.reprotectMaxAllocatedStorageGiB !== undefined ? { maxAllocatedStorageGiB: config.reprotectMaxAllocatedStorageGiB } : {}),
    backupRetentionDays: backupRetentionDaysOf(config),
  };
  return new RdsReplicaProvisioning({
    regions,
    targets: {
      primary: {
        instanceId: config.primaryInstanceId, fenceSecurityGroupId: config.fenceSecurityGroupId, kmsKeyId: primaryKmsKeyArn,
        dbSubnetGroupName: primarySubnetGroup, dbParameterGroupName: config.primaryParameterGroup, vpcSecurityGroupIds: primarySecurityGroupIds,
        monitoringRoleArn: primaryMonitoringRoleArn, ...common,
      },
      dr: {
        instanceId: config.replicaInstanceId, fenceSecurityGroupId: drFenceSecurityGroupId, kmsKeyId: drKmsKeyArn,
        dbSubnetGroupName: drSubnetGroup, dbParameterGroupName: drParameterGroup, vpcSecurityGroupIds: drSecurityGroupIds,
        monitoringRoleArn: drMonitoringRoleArn, ...common,
      },
    },
  });
}

/** The automated-backup retention of both instances' templates: the replicated backups and a promoted replica keep it too. */
function backupRetentionDaysOf(config: OrchestratorConfig): number {
  return config.reprotectBackupRetentionDays ?? 7;
}

/** What the fleet knows of each database: endpoints of the deployed pair, each region's fence group, own parameter groups. */
function memberSettings(config: OrchestratorConfig, member: DatabaseMember): RdsMemberSettings {
  const backupRetentionDays = backupRetentionDaysOf(config);
  if (member.side === 'primary' && member.instanceId === config.primaryInstanceId) {
    return { endpoint: config.primaryEndpoint, fenceSecurityGroupId: config.fenceSecurityGroupId, parameterGroup: config.primaryParameterGroup, backupRetentionDays };
  }
  if (member.side === 'dr' && member.instanceId === config.replicaInstanceId) {
    return {
      endpoint: config.replicaEndpoint,
      backupRetentionDays,
      ...(config.drFenceSecurityGroupId ? { fenceSecurityGroupId: config.drFenceSecurityGroupId } : {}),
      ...(config.drParameterGroup ? { parameterGroup: config.drParameterGroup } : {}),
    };
  }
  return {};
}
