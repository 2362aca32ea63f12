/**
 * Synthetic DR drill (DR region, read-only: never promotes, never changes DNS). Invoked daily by EventBridge
 * Scheduler and by the pipeline after each deployment with `{"mode":"synthetic","trigger":"pipeline"}`; the
 * pipeline fails unless the response has `"ready": true`.
 *
 * Environment (all required, validated at cold start; a missing one fails the init naming it):
 * - `ENVIRONMENT_SUFFIX`, `METRIC_NAMESPACE`   metric dimension and namespace (`DrillReady`, `DrillDurationSeconds`,
 *                                               dimension `Drill=synthetic`)
 * - `DR_REGION`                                 region of every regional client
 * - `REPLICA_DB_INSTANCE_ID`, `REPLICA_DB_ENDPOINT`, `REPLICA_DB_INSTANCE_ARN`, `PRIMARY_DB_INSTANCE_ARN`
 * - `ALERT_TOPIC_ARN`                           SNS topic of the report
 * - `FAILOVER_STATE_TABLE`, `FAILOVER_STATE_TABLE_ARN`  failover state/lock table (item `pk = "failover"`)
 * - `HOSTED_ZONE_ID`, `WRITER_RECORD_NAME`      the private zone and the failover writer name
 * - `ESTATE_ALARM_NAMES`                        comma-separated: every alarm of the estate (none may be in ALARM)
 * - `COMPOSITE_ALARM_NAME`, `FAILOVER_RULE_NAME`, `ORCHESTRATOR_FUNCTION_ARN`, `ORCHESTRATOR_ROLE_ARN`
 * - `MAX_REPLICATION_LAG_SECONDS`               lag budget (the orchestrator's promotion budget)
 * - `LAG_LOOKBACK_SECONDS`                      how far back the monitor's lag data is read (the orchestrator's value)
 *
 * IAM: see `AwsDrillInspection`, plus `dynamodb:GetItem` (table), `cloudwatch:GetMetricData` + `PutMetricData`
 * (no resource-level permissions), `sns:Publish` (topic).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { runSyntheticDrill, type SyntheticDrillResult } from '../core/drill-readiness';
import { describeError } from '../core/retry';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics';
import { AwsDrillInspection } from '../adapters/aws/drill-inspection';
import { DynamoDbFailoverStateStore } from '../adapters/aws/dynamodb-failover-state-store';
import { powertoolsLogger, type InvocationContext } from '../adapters/aws/powertools-logger';
import { describeReplicaAndLag } from '../adapters/aws/replica-lag-view';
import { SnsAlerts } from '../adapters/aws/sns-alerts';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import { parseSyntheticDrillEvent, readSyntheticDrillConfig } from './config';

/** Each API gets seconds, not the SDK's default minutes: the pipeline waits on this answer. */

export type SyntheticDrillResponse = SyntheticDrillResult | { readonly ready: false; readonly rejected: string };

const config = readSyntheticDrillConfig(process.env);
const logger = powertoolsLogger('synthetic-drill');
/** Each client gets its own deadline-bound handler (see sdk-client-options.ts: a `requestTimeout` alone only logs). */
const clientConfig = () => ({ region: config.drRegion, ...sdkClientOptions() });
const cloudWatch = new CloudWatchClient(clientConfig());
const rds = new RDSClient(clientConfig());
const ports = {
  inspection: new AwsDrillInspection({
    cloudWatch,
    rds,
    route53: new Route53Client(clientConfig()),
    iam: new IAMClient(clientConfig()),
    eventBridge: new EventBridgeClient(clientConfig()),
    replicaInstanceId: config.replicaInstanceId,
    hostedZoneId: config.hostedZoneId,
    writerRecordName: config.writerRecordName,
    orchestratorRoleArn: config.orchestratorRoleArn,
    failoverRuleName: config.failoverRuleName,
  }),
  database: describeReplicaAndLag({
    rds, cloudWatch, replicaInstanceId: config.replicaInstanceId, metricNamespace: config.metricNamespace,
    environmentSuffix: config.environmentSuffix, lagLookbackSeconds: config.lagLookbackSeconds,
  }),
  failoverState: new DynamoDbFailoverStateStore(new DynamoDBClient(clientConfig()), config.failoverStateTable),
  metrics: new CloudWatchMetrics({ client: cloudWatch, namespace: config.metricNamespace, environmentSuffix: config.environmentSuffix }),
  alerts: new SnsAlerts(new SNSClient(clientConfig()), config.alertTopicArn, config.environmentSuffix, config.runbookUrl),
  logger,
  now: () => Date.now(),
};

/** Lambda always passes the context (request id and cold start on every log line); callers outside Lambda may leave it out. */
export async function handler(event: unknown, context?: InvocationContext): Promise<SyntheticDrillResponse> {
  if (context) logger.addContext(context);
  let trigger: string;
  try {
    ({ trigger } = parseSyntheticDrillEvent(event));
  } catch (error) {
    logger.error('rejected malformed event', { error: describeError(error) });
    return { ready: false, rejected: `Rejected, nothing checked: ${describeError(error)}` };
  }
  return runSyntheticDrill(trigger, ports, config.settings);
}
