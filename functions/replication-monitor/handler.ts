/**
 * Replication monitor: runs every minute in the DR region, inside the DR VPC.
 *
 * Environment (validated at cold start; a missing variable fails every invocation with its name):
 * - `ENVIRONMENT_SUFFIX`      dimension `EnvironmentSuffix` of every metric
 * - `METRIC_NAMESPACE`        CloudWatch namespace (`PaymentsDR`)
 * - `PRIMARY_REGION`, `DR_REGION`                 regions for the RDS API calls (CloudWatch, DynamoDB and
 *                                                 Secrets Manager are called in `DR_REGION`)
 * - `PRIMARY_DB_INSTANCE_ID`, `REPLICA_DB_INSTANCE_ID`  RDS instance identifiers
 * - `PRIMARY_DB_ENDPOINT`, `REPLICA_DB_ENDPOINT`  host names (the primary is reached over VPC peering)
 * - `DB_PORT`, `DB_NAME`
 * - `DB_SECRET_ARN`           Secrets Manager secret (replicated into the DR region) with `username`, `password`
 * - `FAILOVER_STATE_TABLE`    DynamoDB table holding the failover state item `pk = "failover"`
 * - `NODE_EXTRA_CA_CERTS`     (set by infra, read by Node itself) RDS CA bundle for verified TLS
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
import { powertoolsLogger } from '../adapters/aws/powertools-logger';
import { describeInstanceStatus } from '../adapters/aws/rds-instance-status';
import type { DatabaseTarget } from '../adapters/postgres/connectivity';
import { postgresReplicationProbes } from '../adapters/postgres/replication-probes';
import { readMonitorConfig } from './config';
import { runMonitorCycle } from './monitor';

/**
 * Bound for each connect and statement. The run is scheduled every 60 s; the worst case (both probes, the
 * heartbeat and the lag query each hitting it, plus the 1 s catch-up wait) stays well under the function timeout.
 */
const DATABASE_TIMEOUT_MS = 5000;

const config = readMonitorConfig(process.env);
const logger = powertoolsLogger('replication-monitor');
const secrets = new SecretsManagerClient({ region: config.drRegion });
const primaryRds = new RDSClient({ region: config.primaryRegion });
const drRds = new RDSClient({ region: config.drRegion });
const failoverState = new DynamoDbFailoverStateStore(new DynamoDBClient({ region: config.drRegion }), config.failoverStateTable);
const metrics = new CloudWatchMetrics({
  client: new CloudWatchClient({ region: config.drRegion }),
  namespace: config.metricNamespace,
  environmentSuffix: config.environmentSuffix,
});

export interface MonitorSummary {
  readonly metrics: Record<string, number>;
  readonly errors: readonly string[];
}

/** Scheduled (EventBridge) invocation: the event carries nothing the monitor needs. */
export async function handler(): Promise<MonitorSummary> {
  const result = await runMonitorCycle({
    probes: async () => {
      const { username, password } = await readDatabaseCredentials(secrets, config.secretArn);
      const target = (host: string): DatabaseTarget => ({
        host,
        port: config.port,
        database: config.database,
        user: username,
        password,
        ssl: { rejectUnauthorized: true },
      });
      return postgresReplicationProbes({
        primary: target(config.primaryEndpoint),
        replica: target(config.replicaEndpoint),
        timeoutMs: DATABASE_TIMEOUT_MS,
      });
    },
    describePrimary: () => describeInstanceStatus(primaryRds, config.primaryInstanceId),
    describeReplica: () => describeInstanceStatus(drRds, config.replicaInstanceId),
    failoverState,
    metrics,
    logger,
  });
  return { metrics: Object.fromEntries(result.data.map((datum) => [datum.name, datum.value])), errors: result.errors };
}
