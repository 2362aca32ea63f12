/**
 * Lease keeper Lambda: runs in the PRIMARY region, inside the primary VPC, on a schedule (every minute). It renews the
 * write lease every `LEASE_RENEW_INTERVAL_SECONDS` for `KEEPER_RUN_SECONDS` and, when it cannot be sure it holds the
 * lease, fences the primary database ITSELF through its own region only (read-only parameter, terminated sessions,
 * deny-all security group) before the DR side may take the lease over. See functions/core/lease-keeper.ts.
 *
 * Deploy with reserved concurrency 1 and `KEEPER_RUN_SECONDS` shorter than the schedule: two keepers at once would
 * contend for the same lease (a fresh one that loses the race fences the primary, which is safe but needless).
 *
 * Environment (all required, validated at cold start):
 * - `ENVIRONMENT_SUFFIX`, `METRIC_NAMESPACE`     dimension and namespace of `WriteLeaseHeld` / `PrimarySelfFenced`
 * - `PRIMARY_REGION`                              every call goes to this region (SNS and Secrets Manager: the
 *                                                 region of their ARN)
 * - `PRIMARY_DB_INSTANCE_ID`, `PRIMARY_DB_ENDPOINT`, `DB_PORT`, `DB_NAME`
 * - `DB_SECRET_ARN`                               the primary region's copy of the secret (`username`, `password`)
 * - `PRIMARY_DB_PARAMETER_GROUP`                  the primary's OWN parameter group (fence: read-only default)
 * - `PRIMARY_DB_SECURITY_GROUP_ID`                the primary's normal security group (restored on release)
 * - `FENCE_SECURITY_GROUP_ID`                     admits only the keeper (and replication)
 * - `WRITE_LEASE_TABLE`                           DynamoDB MRSC global table with the item `pk = "write-lease"`
 * - `ALERT_TOPIC_ARN`                             SNS topic for fence / release notifications
 * - `LEASE_TTL_SECONDS`, `LEASE_RENEW_INTERVAL_SECONDS`, `LEASE_FENCE_BUDGET_SECONDS`   checked by `validateLeaseTimings`
 * - `KEEPER_RUN_SECONDS`                          how long one invocation keeps renewing (bounded by the Lambda timeout)
 * - `NODE_EXTRA_CA_CERTS`                         (set by infra, read by Node) RDS CA bundle for verified TLS
 *
 * IAM: `dynamodb:GetItem` + `dynamodb:PutItem` on the lease table (primary-region replica), `rds:ModifyDBParameterGroup`
 * on the parameter group, `rds:DescribeDBInstances` + `rds:ModifyDBInstance` on the primary instance,
 * `secretsmanager:GetSecretValue` on the secret, `sns:Publish` on the topic, `cloudwatch:PutMetricData`
 * (condition `cloudwatch:namespace`), plus the VPC-access ENI permissions.
 */
import { readLeaseKeeperConfig } from './config';
import { createLeaseKeeperHandler } from './create-handler';

/** Module scope = cold start: the configuration is validated once and the keeper lives as long as the container. */
export const handler = createLeaseKeeperHandler(readLeaseKeeperConfig(process.env));
