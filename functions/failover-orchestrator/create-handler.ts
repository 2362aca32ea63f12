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
import type { Clock, Logger } from '../core/ports';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { CloudWatchReplicationLag } from '../adapters/aws/cloudwatch-replication-lag';
import { readDatabaseCredentials } from '../adapters/aws/database-credentials';
import { DynamoDbFailoverStateStore } from '../adapters/aws/dynamodb-failover-state-store';
import { powertoolsLogger } from '../adapters/aws/powertools-logger';
import { RdsDatabaseControl } from '../adapters/aws/rds-database-control';
import { Route53Dns } from '../adapters/aws/route53-dns';
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
/** A dead region must cost seconds, not the SDK's default minutes, per attempt. */
const SDK_CLIENT_OPTIONS = { maxAttempts: 3, requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 } };

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
  };

  return async (event: unknown, context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>): Promise<OrchestratorResponse> => {
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
  const drCloudWatch = new CloudWatchClient({ region: config.drRegion, ...SDK_CLIENT_OPTIONS });
  const drMetrics = new CloudWatchMetrics({ client: drCloudWatch, namespace: config.metricNamespace, environmentSuffix: config.environmentSuffix });
  const secrets = new SecretsManagerClient({ region: config.drRegion, ...SDK_CLIENT_OPTIONS });
  return {
    database: new RdsDatabaseControl({
      primaryRds: new RDSClient({ region: config.primaryRegion, ...SDK_CLIENT_OPTIONS }),
      drRds: new RDSClient({ region: config.drRegion, ...SDK_CLIENT_OPTIONS }),
      primaryInstanceId: config.primaryInstanceId,
      replicaInstanceId: config.replicaInstanceId,
      fenceSecurityGroupId: config.fenceSecurityGroupId,
      replicationLag: new CloudWatchReplicationLag({
        cloudWatch: drCloudWatch,
        metricNamespace: config.metricNamespace,
        environmentSuffix: config.environmentSuffix,
        lagLookbackSeconds: config.lagLookbackSeconds,
        probeIntervalSeconds: config.probeIntervalSeconds,
        logger,
      }),
      probe,
      primaryTarget: async () => {
        const credentials = await readDatabaseCredentials(secrets, config.secretArn);
        return {
          host: config.primaryEndpoint, port: config.port, database: config.database,
          user: credentials.username, password: credentials.password, ssl: { rejectUnauthorized: true },
        };
      },
    }),
    dns: new Route53Dns({
      // Route53's control plane is global; the SDK signs for us-east-1 whatever region is given.
      route53: new Route53Client({ region: config.drRegion, ...SDK_CLIENT_OPTIONS }),
      drMetrics,
      hostedZoneId: config.hostedZoneId,
      writerRecordName: config.writerRecordName,
      primaryRecordSetId: config.primaryRecordSetId,
      drEndpoint: config.replicaEndpoint,
    }),
    alerts: new SnsAlerts(new SNSClient({ region: config.drRegion, ...SDK_CLIENT_OPTIONS }), config.alertTopicArn, config.environmentSuffix),
    metrics: drMetrics,
    store: new DynamoDbFailoverStateStore(new DynamoDBClient({ region: config.drRegion, ...SDK_CLIENT_OPTIONS }), config.failoverStateTable),
    clock,
    logger,
  };
}
