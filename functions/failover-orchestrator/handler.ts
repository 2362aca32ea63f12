/**
 * Failover orchestrator Lambda (runs in the DR region): promotes the DR replica, switches DNS, fences the
 * old primary, reports every step. Events: see `events.ts`.
 *
 * Environment (all required, validated at cold start):
 * ENVIRONMENT_SUFFIX, METRIC_NAMESPACE, PRIMARY_REGION, DR_REGION, PRIMARY_DB_INSTANCE_ID, REPLICA_DB_INSTANCE_ID,
 * PRIMARY_DB_ENDPOINT, REPLICA_DB_ENDPOINT, DB_PORT, DB_NAME, DB_SECRET_ARN (JSON {username,password}, DR-region
 * replica of the secret), ALERT_TOPIC_ARN, FAILOVER_STATE_TABLE, FENCE_SECURITY_GROUP_ID, HOSTED_ZONE_ID,
 * WRITER_RECORD_NAME, PRIMARY_RECORD_SET_ID, MAX_PROMOTION_LAG_SECONDS, PROMOTION_TIMEOUT_SECONDS,
 * PROBE_INTERVAL_SECONDS (the replication monitor's schedule: the window added to the last lag measured while the
 * primary was reachable), LAG_LOOKBACK_SECONDS (how far back the monitor's lag data is read; infra derives it
 * from the detection window so the last lag measured while the primary was reachable is still inside it).
 * Optional (validated when set; the core's defaults otherwise): PRIMARY_PROBE_ATTEMPTS (3), PRIMARY_PROBE_TIMEOUT_MS
 * (5000), PRIMARY_PROBE_INTERVAL_MS (5000) — the re-verification that the primary is down.
 * Also honoured: NODE_EXTRA_CA_CERTS (RDS CA bundle for verified TLS), POWERTOOLS_* logger settings.
 */
import { readOrchestratorConfig } from './config';
import { createHandler } from './create-handler';

/** Module scope = cold start: a missing or invalid variable fails the init with a message naming it. */
export const handler = createHandler(readOrchestratorConfig(process.env));
