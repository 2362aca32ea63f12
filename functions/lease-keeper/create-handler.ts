/** Builds the lease keeper's Lambda handler from a validated configuration (the entry point is handler.ts). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { LeaseKeeper, type KeeperTick, type LeaseKeeperPorts } from '../core/lease-keeper';
import { KeeperMetric } from '../core/metric-names';
import type { Clock, MetricDatum } from '../core/ports';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import { AwsPrimarySelfFence } from '../adapters/aws/aws-primary-self-fence';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { readDatabaseCredentials } from '../adapters/aws/database-credentials';
import { DynamoDbWriteLeaseStore } from '../adapters/aws/dynamodb-write-lease-store';
import { powertoolsLogger, type InvocationContext } from '../adapters/aws/powertools-logger';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import { SnsAlerts } from '../adapters/aws/sns-alerts';
import type { DatabaseTarget } from '../adapters/postgres/connectivity';
import type { LeaseKeeperConfig } from './config';

/** Each lease call must end well inside one renew interval (the keeper also races it against its own deadline). */
const LEASE_SDK = { maxAttempts: 2, connectionTimeoutMs: 2_000, requestTimeoutMs: 3_000 } as const;
/** The fence's RDS calls share the fence budget. */
const RDS_SDK = { maxAttempts: 2, connectionTimeoutMs: 2_000, requestTimeoutMs: 4_000 } as const;
/** Bound for each SQL connect and statement on the primary. */
const SQL_TIMEOUT_MS = 3_000;
/** The run returns this long before Lambda would end it (plus one fence budget), so its metrics always go out. */
const DEADLINE_SAFETY_MS = 5_000;

export interface KeeperRunSummary extends KeeperTick {
  readonly metrics: Record<string, number>;
  /** Set when the metrics could not be published (the run itself is not repeated for that). */
  readonly metricsError?: string;
}

export interface LeaseKeeperHandlerOverrides {
  readonly clock?: Clock;
  /** TLS to the primary; default verified TLS (`NODE_EXTRA_CA_CERTS` holds the RDS CA). Tests use a local cluster without TLS. */
  readonly tls?: DatabaseTarget['ssl'];
}

/** The Region named in an ARN (`arn:<partition>:<service>:<region>:…`), or `fallback` when it names none. */
export function regionOfArn(arn: string, fallback: string): string {
  return arn.split(':')[3] || fallback;
}

/**
 * The handler keeps ONE `LeaseKeeper` for the life of the container, so a warm container remembers until when its
 * last renewal holds (a fresh one knows nothing and fences at once if it cannot renew). It is created at the first
 * invocation and writes `keeper:<awsRequestId of that invocation>` into the lease.
 */
export function createLeaseKeeperHandler(config: LeaseKeeperConfig, overrides: LeaseKeeperHandlerOverrides = {}) {
  const logger = powertoolsLogger('lease-keeper');
  const clock = overrides.clock ?? systemClock;
  const region = config.primaryRegion;
  const rds = new RDSClient({ region, ...sdkClientOptions(RDS_SDK) });
  const secrets = new SecretsManagerClient({ region: regionOfArn(config.secretArn, region), ...sdkClientOptions() });
  const metrics = new CloudWatchMetrics({
    client: new CloudWatchClient({ region, ...sdkClientOptions() }), namespace: config.metricNamespace, environmentSuffix: config.environmentSuffix,
  });
  const ports: LeaseKeeperPorts = {
    lease: new DynamoDbWriteLeaseStore(new DynamoDBClient({ region, ...sdkClientOptions(LEASE_SDK) }), config.writeLeaseTable),
    fence: new AwsPrimarySelfFence({
      rds,
      instanceId: config.primaryInstanceId,
      parameterGroupName: config.primaryParameterGroup,
      primarySecurityGroupId: config.primarySecurityGroupId,
      fenceSecurityGroupId: config.fenceSecurityGroupId,
      sqlTimeoutMs: SQL_TIMEOUT_MS,
      clock,
      primaryTarget: async (options) => {
        const { username, password } = await readDatabaseCredentials(secrets, config.secretArn, { refresh: options?.refreshCredentials });
        return {
          host: config.primaryEndpoint, port: config.port, database: config.database, user: username, password,
          ssl: overrides.tls ?? { rejectUnauthorized: true },
        };
      },
    }),
    clock,
    logger,
    alerts: new SnsAlerts(new SNSClient({ region: regionOfArn(config.alertTopicArn, region), ...sdkClientOptions() }), config.alertTopicArn, config.environmentSuffix, config.runbookUrl),
  };
  let keeper: LeaseKeeper | undefined;

  return async (_event: unknown, context: InvocationContext & Pick<Context, 'getRemainingTimeInMillis'>): Promise<KeeperRunSummary> => {
    logger.addContext(context);
    keeper ??= new LeaseKeeper(ports, config.timings, `keeper:${context.awsRequestId}`);
    const now = clock.now();
    // KEEPER_RUN_SECONDS, but never so close to the Lambda timeout that a tick's fence could be cut off.
    const until = Math.min(now + config.keeperRunSeconds * 1000, now + context.getRemainingTimeInMillis() - config.timings.fenceBudgetMs - DEADLINE_SAFETY_MS);
    const tick = await keeper.runUntil(until);
    const data: MetricDatum[] = [
      { name: KeeperMetric.WriteLeaseHeld, value: tick.state === 'held' ? 1 : 0, unit: 'Count' },
      { name: KeeperMetric.PrimarySelfFenced, value: tick.fenceVerified ? 1 : 0, unit: 'Count' },
    ];
    const published = Object.fromEntries(data.map((datum) => [datum.name, datum.value]));
    try {
      await metrics.record(data);
    } catch (error) {
      // The lease work is done; failing the invocation would only make Lambda run a second keeper for a retry.
      logger.error('publishing the keeper metrics failed', { error: describeError(error) });
      return { ...tick, metrics: published, metricsError: describeError(error) };
    }
    logger.info('lease keeper run', { ...tick, metrics: published });
    return { ...tick, metrics: published };
  };
}
