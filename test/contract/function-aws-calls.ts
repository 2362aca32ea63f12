import type { DrConfig } from '../../lib/config/dr-config';
import { drResourceNames, estateHealthAlarmNames, METRIC_NAMESPACE, parameterGroupNames } from '../../lib/config/resource-names';

/**
 * Every AWS call each DR function makes, as IAM sees it (action → resource, with the request context AWS documents for
 * it), and the calls that must stay denied to it. The permission-graph test (test/lib/compliance/permission-graph.test.ts)
 * evaluates each against the synthesized identity, resource and key policies; function-aws-calls.test.ts fails when a
 * function's code can send an SDK command that is declared neither as a call nor as a denied call.
 *
 * Implicit calls are declared too: a service that encrypts with a customer-managed key calls KMS with the caller's
 * permissions, and says so with `kms:ViaService` ("kms:ViaService", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service):
 * SNS publish and SQS send need kms:GenerateDataKey and kms:Decrypt (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html); GetSecretValue of a
 * secret encrypted with a customer-managed key needs kms:Decrypt (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html);
 * DynamoDB uses a customer-managed table key with the permissions of the principal that reads or writes the table,
 * through DynamoDB (its key-policy examples authorize the table's users with kms:ViaService,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html); the graph evaluates
 * kms:Decrypt through DynamoDB, the grant these functions carry.
 */

/** The estate's concrete identifiers the calls name, from the synthesized templates. */
export interface EstateLookup {
  readonly config: DrConfig;
  /** The region's customer-managed key (`primary` or `dr`). */
  keyArn(side: 'primary' | 'dr'): string;
  hostedZoneId(): string;
  healthCheckIds(): string[];
  functionRoleArn(functionName: string): string;
  /** The database secret in that region (the primary secret, or its DR-region replica). */
  secretArn(side: 'primary' | 'dr'): string;
  securityGroupArn(side: 'primary-fence' | 'primary-database' | 'replica' | 'dr-fence'): string;
  /** The enhanced-monitoring role the region's database instance uses. */
  monitoringRoleArn(side: 'primary' | 'dr'): string;
}

export interface AwsCall {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** Set when the call is not an SDK command of the function's code (an implicit KMS call, a permission a parameter needs). */
  readonly implied?: string;
  /**
   * Set when the code makes the call but the infrastructure does not grant it yet (what lib/ must add, and why): the
   * permission graph then requires it to be still DENIED, so the marker goes when the grant lands.
   */
  readonly awaitingInfrastructure?: string;
}

export interface DeniedCall extends AwsCall {
  /** Why it must stay denied. */
  readonly why: string;
}

export interface FunctionCalls {
  readonly functionName: string;
  /** The handler, repository-relative: its import graph is scanned for SDK commands. */
  readonly entry: string;
  readonly calls: readonly AwsCall[];
  readonly mustBeDenied: readonly DeniedCall[];
}

export function functionAwsCalls(lookup: EstateLookup): FunctionCalls[] {
  const { config } = lookup;
  const names = drResourceNames(config);
  const account = config.workloadAccount;
  const { primary, dr } = config.regions;
  const db = (region: string, instance: string) => `arn:aws:rds:${region}:${account}:db:${instance}`;
  const primaryDb = db(primary, names.primaryDbInstance);
  const replicaDb = db(dr, names.replicaDbInstance);
  const primaryParameters = `arn:aws:rds:${primary}:${account}:pg:${parameterGroupNames(config).primary}`;
  const table = (region: string, name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  const stateTable = table(dr, names.failoverStateTable);
  const topic = (region: string, side: 'primary' | 'dr') => `arn:aws:sns:${region}:${account}:${config.serviceName}-${side}-alerts-${config.environmentSuffix}`;
  const zone = `arn:aws:route53:::hostedzone/${lookup.hostedZoneId()}`;
  const via = (service: string, region: string) => ({ 'kms:ViaService': `${service}.${region}.amazonaws.com` });
  const secured = { 'aws:SecureTransport': 'true' };

  const publishAlerts = (side: 'primary' | 'dr', region: string): AwsCall[] => [
    { action: 'sns:Publish', resource: topic(region, side), context: secured },
    ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ action, resource: lookup.keyArn(side), context: via('sns', region), implied: 'SNS encrypts the message with the topic\'s key' })),
  ];
  const readSecret = (side: 'primary' | 'dr', region: string): AwsCall[] => [
    { action: 'secretsmanager:GetSecretValue', resource: lookup.secretArn(side) },
    { action: 'kms:Decrypt', resource: lookup.keyArn(side), context: via('secretsmanager', region), implied: 'Secrets Manager decrypts the secret with its key' },
  ];
  const tableItems = (actions: string[], tableArn: string, side: 'primary' | 'dr', region: string): AwsCall[] => [
    ...actions.map((action) => ({ action, resource: tableArn })),
    { action: 'kms:Decrypt', resource: lookup.keyArn(side), context: via('dynamodb', region), implied: 'DynamoDB decrypts the table key' },
  ];
  const putMetrics: AwsCall = { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': METRIC_NAMESPACE } };
  const readMetrics: AwsCall = { action: 'cloudwatch:GetMetricData', resource: '*' };
  const deny = (action: string, resource: string, why: string, context?: Record<string, string | string[]>): DeniedCall => ({ action, resource, why, ...(context ? { context } : {}) });
  const writeState = (why: string) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].map((action) => deny(action, stateTable, why));

  // Re-protection, both ways, and fail-back (issue 11, functions/adapters/aws/rds-replica-provisioning.ts,
  // rds-database-fleet.ts): the names are those the orchestrator's PRIMARY_* / DR_* variables carry
  // (lib/constructs/failover/failover-orchestration.ts). Every replica takes a configured instance's name; the old
  // writer that held it is started (inside its fence), modified (fence group, rename) and read under its retired name.
  const rdsIn = (region: string, type: string, name: string) => `arn:aws:rds:${region}:${account}:${type}:${name}`;
  // The orchestrator asks for a private replica (PubliclyAccessible false): rds:PubliclyAccessible of the request.
  const privateReplica = { 'rds:PubliclyAccessible': 'false' };
  const engineMajorOf = config.database.engineVersion.split('.')[0];
  const reprotectionInto = (region: string, key: 'primary' | 'dr', subnetGroup: string, parameterGroup: string): AwsCall[] => [
    { action: 'rds:CreateDBInstanceReadReplica', resource: rdsIn(region, 'subgrp', subnetGroup), context: privateReplica },
    { action: 'rds:CreateDBInstanceReadReplica', resource: rdsIn(region, 'pg', parameterGroup), context: privateReplica },
    { action: 'rds:CreateDBInstanceReadReplica', resource: rdsIn(region, 'og', `default:postgres-${engineMajorOf}`), context: privateReplica },
    { action: 'rds:StartDBInstanceAutomatedBackupsReplication', resource: rdsIn(region, 'auto-backup', '*') },
    { action: 'rds:DescribeDBInstanceAutomatedBackups', resource: rdsIn(region, 'auto-backup', '*') },
    // Lifting the write freeze the old writer left in the group the new replica inherits.
    { action: 'rds:ModifyDBParameterGroup', resource: rdsIn(region, 'pg', parameterGroup) },
    { action: 'kms:CreateGrant', resource: lookup.keyArn(key), context: { 'kms:GrantIsForAWSResource': 'true', ...via('rds', region) }, implied: `RDS encrypts the replica and the replicated backups with the ${key} region's key on the caller's behalf` },
    { action: 'kms:DescribeKey', resource: lookup.keyArn(key), context: via('rds', region), implied: `RDS encrypts the replica and the replicated backups with the ${key} region's key on the caller's behalf` },
    { action: 'iam:PassRole', resource: lookup.monitoringRoleArn(key), implied: 'CreateDBInstanceReadReplica names the region\'s enhanced-monitoring role (MonitoringRoleArn)' },
  ];
  const reprotection: AwsCall[] = [
    ...[primaryDb, replicaDb].flatMap((instance): AwsCall[] => [
      { action: 'rds:CreateDBInstanceReadReplica', resource: instance, context: privateReplica },
      { action: 'rds:StartDBInstanceAutomatedBackupsReplication', resource: instance },
      { action: 'rds:StartDBInstance', resource: instance },
    ]),
    { action: 'rds:DescribeDBInstances', resource: db(primary, `${names.primaryDbInstance}-retired-202612010507`) },
    { action: 'rds:DescribeDBInstances', resource: db(dr, `${names.replicaDbInstance}-retired-202612020101`) },
    ...reprotectionInto(primary, 'primary', names.reprotectSubnetGroup, parameterGroupNames(config).primary),
    ...reprotectionInto(dr, 'dr', names.replicaSubnetGroup, parameterGroupNames(config).replica),
    // The fail-back freezes the promoted DR instance (its own parameter group) and fences it (ModifyDBInstance into the
    // DR fence group, StopDBInstance). Decided: these replace the former denials "fences (stops) only the old primary";
    // the DR instance is fenced only as the writer a fail-back replaces, and is never deleted (below).
    { action: 'rds:ModifyDBInstance', resource: replicaDb },
    { action: 'rds:StopDBInstance', resource: replicaDb },
    { action: 'rds:PromoteReadReplica', resource: primaryDb },
  ];

  const orchestrator: FunctionCalls = {
    functionName: names.failoverOrchestratorFunction,
    entry: 'functions/failover-orchestrator/handler.ts',
    calls: [
      { action: 'rds:DescribeDBInstances', resource: primaryDb },
      { action: 'rds:DescribeDBInstances', resource: replicaDb },
      { action: 'rds:PromoteReadReplica', resource: replicaDb },
      { action: 'rds:ModifyDBInstance', resource: primaryDb },
      { action: 'rds:StopDBInstance', resource: primaryDb },
      { action: 'rds:ModifyDBParameterGroup', resource: primaryParameters },
      ...tableItems(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], stateTable, 'dr', dr),
      ...(config.failover.mode === 'automatic' ? tableItems(['dynamodb:GetItem', 'dynamodb:PutItem'], table(dr, names.writeLeaseTable), 'dr', dr) : []),
      { action: 'route53:ListResourceRecordSets', resource: zone },
      {
        action: 'route53:ChangeResourceRecordSets', resource: zone,
        context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [names.writerRecordName], 'route53:ChangeResourceRecordSetsActions': ['UPSERT'], 'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'] },
      },
      readMetrics,
      putMetrics,
      ...readSecret('dr', dr),
      ...publishAlerts('dr', dr),
      ...reprotection,
    ],
    mustBeDenied: [
      deny('rds:DeleteDBInstance', replicaDb, 'the orchestrator never deletes a database'),
      deny('rds:DeleteDBInstance', primaryDb, 'the orchestrator never deletes a database'),
      deny('rds:DeleteDBInstance', db(primary, `${names.primaryDbInstance}-retired-202612010507`), 'the orchestrator never deletes a database, a retired old writer included'),
      deny('rds:ModifyDBInstance', db(primary, `${names.primaryDbInstance}-retired-202612010507`), 'a retired old writer is left as it is, isolated'),
      deny('rds:StartDBInstance', db(primary, 'paydb-someone-elses-db'), 'only the estate\'s own instances are started'),
      deny('rds:CreateDBInstanceReadReplica', primaryDb, 'a re-protection replica is private', { 'rds:PubliclyAccessible': 'true' }),
      deny('rds:CreateDBInstanceReadReplica', db(primary, 'paydb-someone-elses-db'), 'replicas only under the configured names', privateReplica),
      deny('iam:PassRole', lookup.functionRoleArn(names.failoverOrchestratorFunction), 'only the instances\' enhanced-monitoring roles are passed'),
      deny('kms:CreateGrant', lookup.keyArn('primary'), 'grants on the primary key only for RDS resources', { 'kms:GrantIsForAWSResource': 'false', ...via('rds', primary) }),
      deny('kms:CreateGrant', lookup.keyArn('primary'), 'grants on the primary key only through RDS', { 'kms:GrantIsForAWSResource': 'true', ...via('dynamodb', primary) }),
      deny('kms:CreateGrant', lookup.keyArn('dr'), 'grants on the DR key only through RDS', { 'kms:GrantIsForAWSResource': 'true', ...via('dynamodb', dr) }),
      deny('ec2:RevokeSecurityGroupIngress', lookup.securityGroupArn('primary-fence'), 'the fence group\'s rules are the infrastructure\'s, never the orchestrator\'s'),
      deny('ec2:AuthorizeSecurityGroupIngress', lookup.securityGroupArn('primary-fence'), 'the fence group\'s rules are the infrastructure\'s, never the orchestrator\'s'),
      deny('ec2:AuthorizeSecurityGroupIngress', lookup.securityGroupArn('dr-fence'), 'the fence group\'s rules are the infrastructure\'s, never the orchestrator\'s'),
      deny('ec2:DeleteSecurityGroup', lookup.securityGroupArn('replica'), 'the replica\'s security group is the infrastructure\'s'),
      deny('ec2:ModifySecurityGroupRules', lookup.securityGroupArn('replica'), 'the replica\'s security group is the infrastructure\'s'),
      deny('route53:ChangeResourceRecordSets', zone, 'only UPSERT of the writer record', {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [names.writerRecordName], 'route53:ChangeResourceRecordSetsActions': ['DELETE'], 'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      }),
      deny('route53:ChangeResourceRecordSets', zone, 'no record but the writer record', {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`reader.${names.hostedZoneName}`], 'route53:ChangeResourceRecordSetsActions': ['UPSERT'], 'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      }),
      deny('dynamodb:DeleteItem', stateTable, 'the failover record is kept'),
      deny('dynamodb:PutItem', table(primary, names.writeLeaseTable), 'the orchestrator takes the lease through the DR region\'s replica only'),
      deny('cloudwatch:PutMetricData', '*', 'metrics only in the estate\'s namespace', { 'cloudwatch:namespace': 'AWS/RDS' }),
      deny('sns:Publish', topic(primary, 'primary'), 'the orchestrator reports to the DR topic'),
      deny('secretsmanager:PutSecretValue', lookup.secretArn('dr'), 'credentials are read, never written'),
      deny('kms:Decrypt', lookup.keyArn('dr'), 'the key is used only through the services that hold its data'),
    ],
  };

  const keeper: FunctionCalls = {
    functionName: names.leaseKeeperFunction,
    entry: 'functions/lease-keeper/handler.ts',
    calls: [
      { action: 'rds:DescribeDBInstances', resource: primaryDb },
      { action: 'rds:ModifyDBInstance', resource: primaryDb },
      { action: 'rds:ModifyDBParameterGroup', resource: primaryParameters },
      ...tableItems(['dynamodb:GetItem', 'dynamodb:PutItem'], table(primary, names.writeLeaseTable), 'primary', primary),
      ...readSecret('primary', primary),
      ...publishAlerts('primary', primary),
      putMetrics,
    ],
    mustBeDenied: [
      deny('rds:ModifyDBInstance', replicaDb, 'the keeper fences only its own primary'),
      deny('rds:PromoteReadReplica', replicaDb, 'only the DR side promotes'),
      deny('rds:StopDBInstance', primaryDb, 'the keeper fences; it never stops the primary'),
      deny('rds:ModifyDBParameterGroup', `arn:aws:rds:${dr}:${account}:pg:${names.replicaDbInstance}-params`, 'the read-only default goes into the primary\'s parameter group only'),
      deny('dynamodb:PutItem', table(dr, names.writeLeaseTable), 'the keeper renews through its own region\'s replica only'),
      deny('dynamodb:PutItem', stateTable, 'the failover record is the orchestrator\'s'),
    ],
  };

  const monitor: FunctionCalls = {
    functionName: names.replicationMonitorFunction,
    entry: 'functions/replication-monitor/handler.ts',
    calls: [
      { action: 'rds:DescribeDBInstances', resource: primaryDb },
      { action: 'rds:DescribeDBInstances', resource: replicaDb },
      ...tableItems(['dynamodb:GetItem'], stateTable, 'dr', dr),
      ...readSecret('dr', dr),
      putMetrics,
    ],
    mustBeDenied: [
      // Reachable through the failover-state store module; the monitor only reads the record.
      ...writeState('the monitor only reads the failover record'),
      deny('rds:PromoteReadReplica', replicaDb, 'the monitor observes; only the orchestrator promotes'),
      deny('rds:ModifyDBInstance', primaryDb, 'the monitor observes; only the orchestrator and the keeper fence'),
      deny('route53:ChangeResourceRecordSets', zone, 'the monitor never moves the writer name', {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [names.writerRecordName], 'route53:ChangeResourceRecordSetsActions': ['UPSERT'], 'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      }),
      deny('sns:Publish', topic(dr, 'dr'), 'the monitor alerts through its alarms, not directly'),
    ],
  };

  const alarmArn = (name: string) => `arn:aws:cloudwatch:${dr}:${account}:alarm:${name}`;
  const syntheticDrill: FunctionCalls = {
    functionName: names.syntheticDrillFunction,
    entry: 'functions/synthetic-drill/handler.ts',
    calls: [
      ...[...estateHealthAlarmNames(names), names.alarms.primaryRegionFailed].map((name) => ({ action: 'cloudwatch:DescribeAlarms', resource: alarmArn(name) })),
      { action: 'rds:DescribeDBInstances', resource: replicaDb },
      { action: 'rds:DescribeDBSnapshots', resource: replicaDb },
      { action: 'rds:DescribeDBSnapshots', resource: `arn:aws:rds:${dr}:${account}:snapshot:rds:${names.replicaDbInstance}-2026-11-30-03-10` },
      ...tableItems(['dynamodb:GetItem'], stateTable, 'dr', dr),
      { action: 'route53:ListResourceRecordSets', resource: zone },
      ...lookup.healthCheckIds().map((id) => ({ action: 'route53:GetHealthCheck', resource: `arn:aws:route53:::healthcheck/${id}` })),
      { action: 'iam:SimulatePrincipalPolicy', resource: lookup.functionRoleArn(names.failoverOrchestratorFunction) },
      { action: 'events:DescribeRule', resource: `arn:aws:events:${dr}:${account}:rule/${names.failoverTriggerRule}` },
      { action: 'events:ListTargetsByRule', resource: `arn:aws:events:${dr}:${account}:rule/${names.failoverTriggerRule}` },
      readMetrics,
      putMetrics,
      ...publishAlerts('dr', dr),
    ],
    mustBeDenied: [
      // Reachable through the store and RDS control modules it shares with the orchestrator; the drill changes nothing.
      ...writeState('the drill changes nothing'),
      ...['rds:PromoteReadReplica', 'rds:ModifyDBInstance', 'rds:StopDBInstance', 'rds:DeleteDBInstance'].flatMap((action) => [
        deny(action, replicaDb, 'the synthetic drill changes nothing'), deny(action, primaryDb, 'the synthetic drill changes nothing'),
      ]),
      deny('rds:ModifyDBParameterGroup', primaryParameters, 'the synthetic drill changes nothing'),
      deny('iam:SimulatePrincipalPolicy', lookup.functionRoleArn(names.replicationMonitorFunction), 'it simulates the orchestrator\'s role only'),
      deny('lambda:InvokeFunction', `arn:aws:lambda:${dr}:${account}:function:${names.failoverOrchestratorFunction}`, 'the drill must not start a failover'),
    ],
  };

  const drillInstance = db(dr, `${config.serviceName}-drill-${config.environmentSuffix}-20260101000000`);
  const fullDrillFunction = `${config.serviceName}-full-drill-tasks-${config.environmentSuffix}`;
  const rdsArn = (type: string, name: string) => `arn:aws:rds:${dr}:${account}:${type}:${name}`;
  const fullDrill: FunctionCalls = {
    functionName: fullDrillFunction,
    entry: 'functions/full-drill/handler.ts',
    calls: [
      { action: 'rds:CreateDBInstanceReadReplica', resource: drillInstance },
      { action: 'rds:CreateDBInstanceReadReplica', resource: primaryDb },
      { action: 'rds:CreateDBInstanceReadReplica', resource: rdsArn('subgrp', `${names.replicaDbInstance}-subnets`) },
      { action: 'rds:CreateDBInstanceReadReplica', resource: rdsArn('pg', `${names.replicaDbInstance}-params`) },
      { action: 'rds:CreateDBInstanceReadReplica', resource: rdsArn('og', `default:postgres-${config.database.engineVersion.split('.')[0]}`) },
      { action: 'rds:AddTagsToResource', resource: drillInstance, implied: 'CreateDBInstanceReadReplica with Tags also needs rds:AddTagsToResource' },
      { action: 'rds:DescribeDBInstances', resource: drillInstance },
      { action: 'rds:PromoteReadReplica', resource: drillInstance },
      { action: 'rds:DeleteDBInstance', resource: drillInstance },
      { action: 'kms:CreateGrant', resource: lookup.keyArn('dr'), context: { 'kms:GrantIsForAWSResource': 'true' }, implied: 'RDS encrypts the copy with the DR key on the caller\'s behalf' },
      { action: 'kms:DescribeKey', resource: lookup.keyArn('dr'), context: via('rds', dr), implied: 'RDS encrypts the copy with the DR key on the caller\'s behalf' },
      ...tableItems(['dynamodb:GetItem'], stateTable, 'dr', dr),
      ...readSecret('dr', dr),
      putMetrics,
      ...publishAlerts('dr', dr),
    ],
    mustBeDenied: [
      ...writeState('the drill only reads the failover record'),
      deny('rds:DeleteDBInstance', replicaDb, 'the drill deletes only its disposable copy'),
      deny('rds:DeleteDBInstance', primaryDb, 'the drill deletes only its disposable copy'),
      deny('rds:PromoteReadReplica', replicaDb, 'the drill promotes only its disposable copy'),
      deny('rds:ModifyDBInstance', primaryDb, 'the drill never touches production instances'),
      deny('rds:CreateDBInstanceReadReplica', replicaDb, 'a copy must not take a production instance\'s name'),
    ],
  };

  return [orchestrator, ...(config.failover.mode === 'automatic' ? [keeper] : []), monitor, syntheticDrill, ...(config.drills.fullDrillEnabled ? [fullDrill] : [])];
}

