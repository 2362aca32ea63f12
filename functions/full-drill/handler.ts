/**
 * Full DR drill tasks (DR region, inside the DR VPC), one per state of the full-drill state machine:
 * `{"task": "start" | "create" | "awaitAvailable" | "writeMarker" | "awaitMarker" | "promote" | "awaitWritable" |
 * "cleanup" | "report", "drill": <state from the previous task>}`. Waiting tasks throw `DrillNotReady`, which the
 * state machine retries; any other failure is caught there and routed to `cleanup` and `report`.
 *
 * Environment (all required, validated at cold start; a missing one fails the init naming it):
 * - `ENVIRONMENT_SUFFIX`, `METRIC_NAMESPACE`   metrics `DrillSucceeded`, `DrillRtoSeconds`, `DrillRpoSeconds` (dimension `Drill=full`)
 * - `DR_REGION`                               region of every client (the primary is reached by ARN and endpoint)
 * - `PRIMARY_DB_ENDPOINT`, `PRIMARY_DB_INSTANCE_ARN`, `DB_PORT`, `DB_NAME`
 * - `DB_SECRET_ARN`                           master credentials (DR-region replica of the secret; the copy shares them)
 * - `ALERT_TOPIC_ARN`, `FAILOVER_STATE_TABLE`
 * - `DRILL_INSTANCE_PREFIX`                   e.g. `paydb-drill-dev-`: IAM allows mutations only on `db:<prefix>*`
 * - `DRILL_INSTANCE_CLASS`, `DRILL_KMS_KEY_ARN`, `DRILL_SUBNET_GROUP`, `DRILL_SECURITY_GROUP_ID`, `DRILL_PARAMETER_GROUP`
 * - `NODE_EXTRA_CA_CERTS` (set by infra, read by Node) RDS CA bundle for verified TLS
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { runFullDrillTask, type FullDrillPorts } from '../core/drill-full';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { readDatabaseCredentials } from '../adapters/aws/database-credentials';
import { DynamoDbFailoverStateStore } from '../adapters/aws/dynamodb-failover-state-store';
import { powertoolsLogger, type InvocationContext } from '../adapters/aws/powertools-logger';
import { RdsDrillInstances } from '../adapters/aws/rds-drill-instances';
import { SnsAlerts } from '../adapters/aws/sns-alerts';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import { parseFullDrillEvent, readFullDrillConfig } from './config';
import { postgresDrillDatabase } from './postgres-drill-database';

/** Bound for each connect and statement. */
const DATABASE_TIMEOUT_MS = 10_000;

const config = readFullDrillConfig(process.env);
const logger = powertoolsLogger('full-drill');
/** Each client gets its own deadline-bound handler (see sdk-client-options.ts: a `requestTimeout` alone only logs). */
const clientConfig = () => ({ region: config.drRegion, ...sdkClientOptions({ requestTimeoutMs: 15_000 }) });
const secrets = new SecretsManagerClient(clientConfig());
const ports: FullDrillPorts = {
  instances: new RdsDrillInstances({
    rds: new RDSClient(clientConfig()),
    sourceInstanceArn: config.primaryInstanceArn,
    kmsKeyArn: config.kmsKeyArn,
    instanceClass: config.instanceClass,
    subnetGroupName: config.subnetGroupName,
    securityGroupId: config.securityGroupId,
    parameterGroupName: config.parameterGroupName,
    instancePrefix: config.instancePrefix,
  }),
  database: postgresDrillDatabase({
    timeoutMs: DATABASE_TIMEOUT_MS,
    primaryTarget: async () => {
      const { username, password } = await readDatabaseCredentials(secrets, config.secretArn);
      return { host: config.primaryEndpoint, port: config.port, database: config.database, user: username, password, ssl: { rejectUnauthorized: true } };
    },
  }),
  failoverState: new DynamoDbFailoverStateStore(new DynamoDBClient(clientConfig()), config.failoverStateTable),
  metrics: new CloudWatchMetrics({ client: new CloudWatchClient(clientConfig()), namespace: config.metricNamespace, environmentSuffix: config.environmentSuffix }),
  alerts: new SnsAlerts(new SNSClient(clientConfig()), config.alertTopicArn, config.environmentSuffix, config.runbookUrl),
  logger,
  now: () => Date.now(),
  instancePrefix: config.instancePrefix,
};

/**
 * Errors propagate on purpose: the state machine's Retry/Catch decides what happens next. Lambda always passes the
 * context (request id and cold start on every log line); callers outside Lambda may leave it out.
 */
export async function handler(event: unknown, context?: InvocationContext) {
  if (context) logger.addContext(context);
  const { task, drill } = parseFullDrillEvent(event);
  logger.info('full drill task', { task, instanceId: drill?.instanceId });
  return runFullDrillTask(task, drill, ports);
}
