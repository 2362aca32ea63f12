/**
 * Issue 11: the orchestrator's re-protection settings, both regions (all or none), and the `reprotect` event. Without
 * them re-protection is refused as not configured (core test).
 */
import { readOrchestratorConfig, REPROTECTION_ENV_VARS } from '../../../functions/failover-orchestrator/config';
import { parseOrchestratorEvent } from '../../../functions/failover-orchestrator/events';
import { CONFIG } from './aws-fakes';

const BASE: NodeJS.ProcessEnv = {
  ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', DR_REGION: 'us-east-2',
  PRIMARY_DB_INSTANCE_ID: CONFIG.primaryInstanceId, REPLICA_DB_INSTANCE_ID: CONFIG.replicaInstanceId,
  PRIMARY_DB_ENDPOINT: CONFIG.primaryEndpoint, REPLICA_DB_ENDPOINT: CONFIG.replicaEndpoint, DB_PORT: '5432', DB_NAME: 'payments',
  DB_SECRET_ARN: CONFIG.secretArn, ALERT_TOPIC_ARN: CONFIG.alertTopicArn, FAILOVER_STATE_TABLE: CONFIG.failoverStateTable,
  FENCE_SECURITY_GROUP_ID: 'sg-fence', HOSTED_ZONE_ID: 'Z123', WRITER_RECORD_NAME: CONFIG.writerRecordName,
  PRIMARY_RECORD_SET_ID: 'primary', MAX_PROMOTION_LAG_SECONDS: '300', PROMOTION_TIMEOUT_SECONDS: '600', PROBE_INTERVAL_SECONDS: '60',
  LAG_LOOKBACK_SECONDS: '600', FAILOVER_MODE: 'manual-confirm', PRIMARY_DB_PARAMETER_GROUP: 'paydb-primary-dev-params',
  // Required by another change to this function (alerts link their runbook); irrelevant here.
  RUNBOOK_URL: 'https://example.com/runbooks',
};
const REPROTECTION: NodeJS.ProcessEnv = {
  PRIMARY_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:111111111111:key/primary',
  PRIMARY_DB_SUBNET_GROUP: 'paydb-primary-reprotect-db-dev-subnets',
  PRIMARY_DB_SECURITY_GROUP_IDS: 'sg-db, sg-orchestrator-sql',
  DR_KMS_KEY_ARN: 'arn:aws:kms:us-east-2:111111111111:key/dr',
  DR_DB_SUBNET_GROUP: 'paydb-dr-replica-db-dev-subnets',
  DR_DB_SECURITY_GROUP_IDS: 'sg-dr-db',
  DR_DB_PARAMETER_GROUP: 'paydb-dr-replica-db-dev-params',
  DR_FENCE_SECURITY_GROUP_ID: 'sg-dr-fence',
  PRIMARY_DB_MONITORING_ROLE_ARN: 'arn:aws:iam::111111111111:role/primary-monitoring',
  DR_DB_MONITORING_ROLE_ARN: 'arn:aws:iam::111111111111:role/dr-monitoring',
};

test('without any re-protection variable the function starts (re-protection off)', () => {
  expect(readOrchestratorConfig(BASE)).toMatchObject({ primaryKmsKeyArn: undefined, drFenceSecurityGroupId: undefined, reprotectBackupRetentionDays: undefined });
});

test('with all of them they are read, the security groups as a list', () => {
  expect(readOrchestratorConfig({
    ...BASE, ...REPROTECTION, REPROTECT_BACKUP_RETENTION_DAYS: '14', REPROTECT_DB_INSTANCE_CLASS: 'db.r6g.large', REPROTECT_MAX_ALLOCATED_STORAGE_GIB: '500',
  })).toMatchObject({
    primaryMonitoringRoleArn: 'arn:aws:iam::111111111111:role/primary-monitoring', drMonitoringRoleArn: 'arn:aws:iam::111111111111:role/dr-monitoring',
    reprotectMaxAllocatedStorageGiB: 500,
    primaryKmsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/primary', primarySubnetGroup: 'paydb-primary-reprotect-db-dev-subnets',
    primarySecurityGroupIds: ['sg-db', 'sg-orchestrator-sql'], drKmsKeyArn: 'arn:aws:kms:us-east-2:111111111111:key/dr',
    drSubnetGroup: 'paydb-dr-replica-db-dev-subnets', drSecurityGroupIds: ['sg-dr-db'], reprotectInstanceClass: 'db.r6g.large', reprotectBackupRetentionDays: 14,
    drParameterGroup: 'paydb-dr-replica-db-dev-params', drFenceSecurityGroupId: 'sg-dr-fence',
  });
});

test.each(REPROTECTION_ENV_VARS.map((name) => [name]))('all or none: %s missing while the others are set is named', (name) => {
  expect(() => readOrchestratorConfig({ ...BASE, ...REPROTECTION, [name]: undefined })).toThrow(new RegExp(`re-protection needs all of .*; missing: ${name}$`));
});

test('a new replica\'s client groups may not include its region\'s deny-all group; the keys must be ARNs', () => {
  expect(() => readOrchestratorConfig({ ...BASE, ...REPROTECTION, PRIMARY_DB_SECURITY_GROUP_IDS: 'sg-db,sg-fence' }))
    .toThrow(/PRIMARY_DB_SECURITY_GROUP_IDS must not include FENCE_SECURITY_GROUP_ID/);
  expect(() => readOrchestratorConfig({ ...BASE, ...REPROTECTION, DR_DB_SECURITY_GROUP_IDS: 'sg-dr-fence' }))
    .toThrow(/DR_DB_SECURITY_GROUP_IDS must not include DR_FENCE_SECURITY_GROUP_ID/);
  expect(() => readOrchestratorConfig({ ...BASE, ...REPROTECTION, PRIMARY_KMS_KEY_ARN: 'alias/primary' }))
    .toThrow(/PRIMARY_KMS_KEY_ARN must be an ARN, got "alias\/primary"/);
  expect(() => readOrchestratorConfig({ ...BASE, ...REPROTECTION, DR_KMS_KEY_ARN: 'alias/dr' }))
    .toThrow(/DR_KMS_KEY_ARN must be an ARN, got "alias\/dr"/);
});

test('the operator event {"action":"reprotect"} needs a reason', () => {
  expect(parseOrchestratorEvent({ action: 'reprotect', reason: 'after the failover' })).toEqual({ kind: 'run', request: { trigger: 'reprotect', reason: 'after the failover' } });
  expect(() => parseOrchestratorEvent({ action: 'reprotect' })).toThrow(/reason is required/);
});
