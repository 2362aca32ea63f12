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
 * FAILOVER_MODE (`automatic`: an alarm may promote once the primary's write lease ran out; `manual-confirm`: only an
 * operator who confirms the primary is dead), PRIMARY_DB_PARAMETER_GROUP (the primary's own parameter group: the
 * planned switchover's write freeze sets its read-only default).
 * Required in automatic mode: WRITE_LEASE_TABLE (DynamoDB MRSC global table; this function uses its DR-region replica).
 * Optional (validated when set; the core's defaults otherwise): PRIMARY_PROBE_ATTEMPTS (3), PRIMARY_PROBE_TIMEOUT_MS
 * (5000), PRIMARY_PROBE_INTERVAL_MS (5000) — the re-verification that the primary is down;
 * LEASE_TAKEOVER_MARGIN_SECONDS (30) — the lease is taken only this long after it ran out;
 * SWITCHOVER_CATCH_UP_TIMEOUT_SECONDS (300) — longest wait for the replica to replay the frozen primary's WAL.
 * Re-protection (both ways) and fail-back (all or none; without them `{"action":"reprotect"}` is refused as not
 * configured): PRIMARY_KMS_KEY_ARN, PRIMARY_DB_SUBNET_GROUP, PRIMARY_DB_SECURITY_GROUP_IDS (comma-separated) — where a
 * replica under PRIMARY_DB_INSTANCE_ID is created (with PRIMARY_DB_PARAMETER_GROUP) after a failover; DR_KMS_KEY_ARN,
 * DR_DB_SUBNET_GROUP, DR_DB_SECURITY_GROUP_IDS, DR_DB_PARAMETER_GROUP — where one under REPLICA_DB_INSTANCE_ID is
 * created after a fail-back; DR_FENCE_SECURITY_GROUP_ID — the DR VPC's deny-all group (the fail-back fences the DR
 * instance with it; the old DR writer is renamed only inside it); optional REPROTECT_DB_INSTANCE_CLASS (the source's),
 * REPROTECT_BACKUP_RETENTION_DAYS (7) — retention of the automated backups replicated to the other region.
 * Also honoured: NODE_EXTRA_CA_CERTS (RDS CA bundle for verified TLS), POWERTOOLS_* logger settings.
 *
 * Every AWS client has real per-call deadlines (adapters/aws/sdk-client-options.ts). A primary probe refused for a
 * stale password re-reads the secret once and probes again (a rotated password is not an outage).
 */
import { readOrchestratorConfig } from './config';
import { createHandler } from './create-handler';

/** Module scope = cold start: a missing or invalid variable fails the init with a message naming it. */
export const handler = createHandler(readOrchestratorConfig(process.env));
