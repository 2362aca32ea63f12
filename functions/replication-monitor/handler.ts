/**
 * Replication monitor: runs every minute in the DR region, inside the DR VPC. It measures the writer and its replica
 * as the failover state names them (`rolesAfter`): the configured pair as built, the promoted DR instance after a
 * failover, and the replica a re-protection created under the configured name of the other region (same endpoint).
 *
 * Environment (validated at cold start; a missing variable fails every invocation with its name):
 * - `ENVIRONMENT_SUFFIX`      dimension `EnvironmentSuffix` of every metric
 * - `METRIC_NAMESPACE`        CloudWatch namespace (`PaymentsDR`)
 * - `PRIMARY_REGION`, `DR_REGION`                 regions for the RDS API calls (CloudWatch, DynamoDB and
 *                                                 Secrets Manager are called in `DR_REGION`)
 * - `PRIMARY_DB_INSTANCE_ID`, `REPLICA_DB_INSTANCE_ID`  RDS instance identifiers of the configured pair
 * - `PRIMARY_DB_ENDPOINT`, `REPLICA_DB_ENDPOINT`  their host names (the primary region is reached over VPC peering)
 * - `DB_PORT`, `DB_NAME`
 * - `DB_SECRET_ARN`           Secrets Manager secret (replicated into the DR region) with `username`, `password`
 * - `FAILOVER_STATE_TABLE`    DynamoDB table holding the failover state item `pk = "failover"`
 * - `NODE_EXTRA_CA_CERTS`     (set by infra, read by Node itself) RDS CA bundle for verified TLS
 *
 * Every AWS client has real per-call deadlines (sdk-client-options.ts) and every check its own deadline
 * (`DEFAULT_MONITOR_DEADLINES`): a region whose API hangs costs one metric (`PrimaryApiUnreachable=1`), never the run.
 *
 * IAM: `rds:DescribeDBInstances` on both instance ARNs (each in its region), `secretsmanager:GetSecretValue` on
 * the secret (+ `kms:Decrypt` on its key), `dynamodb:GetItem` on the table (+ `kms:Decrypt` if it has a CMK), `cloudwatch:PutMetricData`
 * (condition `cloudwatch:namespace`), plus the VPC-access ENI permissions.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { readDatabaseCredentials } from '../adapters/aws/database-credentials';
import { DynamoDbFailoverStateStore } from '../adapters/aws/dynamodb-failover-state-store';
import { powertoolsLogger, type InvocationContext } from '../adapters/aws/powertools-logger';
import { describeInstanceStatus } from '../adapters/aws/rds-instance-status';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import type { DatabaseTarget } from '../adapters/postgres/connectivity';
import { postgresReplicationProbes, type ProbeTarget } from '../adapters/postgres/replication-probes';
import type { DatabaseMember, EstateRoles } from '../core/estate-roles';
import { configuredEndpointOf, configuredPair } from '../shared/database-pair';
import { readMonitorConfig } from './config';
import { runMonitorCycle } from './monitor';

/**
 * Bound for each connect and statement. The run is scheduled every 60 s; each check also has its own deadline
 * (`DEFAULT_MONITOR_DEADLINES`), so the worst case stays under the 45 s function timeout.
 */
const DATABASE_TIMEOUT_MS = 5000;
/** Reads must end inside the monitor's per-check deadline (6 s): two attempts of at most 3 s. */
const READ_SDK = { maxAttempts: 2, connectionTimeoutMs: 2_000, requestTimeoutMs: 3_000 } as const;
/** Publishing ends the run: two attempts of at most 4 s. */
const PUBLISH_SDK = { maxAttempts: 2, connectionTimeoutMs: 2_000, requestTimeoutMs: 4_000 } as const;

const config = readMonitorConfig(process.env);
const logger = powertoolsLogger('replication-monitor');
const secrets = new SecretsManagerClient({ region: config.drRegion, ...sdkClientOptions(READ_SDK) });
const primaryRds = new RDSClient({ region: config.primaryRegion, ...sdkClientOptions(READ_SDK) });
const drRds = new RDSClient({ region: config.drRegion, ...sdkClientOptions(READ_SDK) });
const rdsOf = { primary: { rds: primaryRds }, dr: { rds: drRds } } as const;
const configured = configuredPair(config);
/** The roles the last run of this container measured: used while the failover state table does not answer. */
let lastRoles: EstateRoles | undefined;
const failoverState = new DynamoDbFailoverStateStore(new DynamoDBClient({ region: config.drRegion, ...sdkClientOptions(READ_SDK) }), config.failoverStateTable);
const metrics = new CloudWatchMetrics({
  client: new CloudWatchClient({ region: config.drRegion, ...sdkClientOptions(PUBLISH_SDK) }),
  namespace: config.metricNamespace,
  environmentSuffix: config.environmentSuffix,
});

export interface MonitorSummary {
  readonly metrics: Record<string, number>;
  readonly errors: readonly string[];
}

/**
 * Scheduled (EventBridge) invocation: the event carries nothing the monitor needs. Lambda always passes the context
 * (request id and cold start on every log line); callers outside Lambda may leave it out.
 */
export async function handler(_event?: unknown, context?: InvocationContext): Promise<MonitorSummary> {
  if (context) logger.addContext(context);
  const result = await runMonitorCycle({
    configured,
    ...(lastRoles ? { lastRoles } : {}),
    // `refreshCredentials`: the database refused the cached password (rotation): read the secret again, once.
    probes: async (options) => {
      const { username, password } = await readDatabaseCredentials(secrets, config.secretArn, { refresh: options?.refreshCredentials });
      const target = (host: string): DatabaseTarget => ({
        host,
        port: config.port,
        database: config.database,
        user: username,
        password,
        ssl: { rejectUnauthorized: true },
      });
      // A database the state names but the estate does not know fails only its own checks, when probed.
      const targetOf = (member: DatabaseMember): ProbeTarget => {
        try {
          return target(configuredEndpointOf(config, member));
        } catch (unknown) {
          return async () => { throw unknown; };
        }
      };
      return (roles) => postgresReplicationProbes({
        primary: targetOf(roles.writer),
        ...(roles.replica ? { replica: targetOf(roles.replica) } : {}),
        timeoutMs: DATABASE_TIMEOUT_MS,
      });
    },
    describe: (member) => describeInstanceStatus(rdsOf[member.side].rds, member.instanceId),
    failoverState,
    metrics,
    logger,
  });
  lastRoles = result.roles;
  return { metrics: Object.fromEntries(result.data.map((datum) => [datum.name, datum.value])), errors: result.errors };
}
