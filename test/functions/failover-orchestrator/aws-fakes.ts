/**
 * Fakes for the failover orchestrator Lambda as wired for AWS (functions/failover-orchestrator/create-handler.ts):
 * every SDK client mocked with aws-sdk-client-mock, and the SQL sessions the RDS adapter opens
 * (`withDatabaseSession`, functions/adapters/aws/database-session.ts) answered by a small model of the two
 * PostgreSQL servers. Nothing here reaches AWS or a database.
 *
 * Every effect lands in `world.log` (clock time + a short label) so tests can assert the order of effects across
 * clients: lease write, FailedOver signal, promote intent, PromoteReadReplica, writer check.
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, ResourceNotFoundException, UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DBParameterGroupNotFoundFault, DescribeDBInstancesCommand, InvalidDBInstanceStateFault, ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand, type DBInstance,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type Change,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Client } from 'pg';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SessionOptions, TargetProvider } from '../../../functions/adapters/aws/database-session';
import { leaseFromItem } from '../../../functions/adapters/aws/dynamodb-write-lease-store';
import type { DatabaseTarget, ProbeResult } from '../../../functions/adapters/postgres/connectivity';
import type { FailoverState } from '../../../functions/core/ports';
import type { WriteLease } from '../../../functions/core/write-lease';
import type { OrchestratorConfig } from '../../../functions/failover-orchestrator/config';
import { FakeClock, START } from '../core/fakes';

/** The orchestrator as deployed on AWS by default: automatic mode behind the write lease (its MRSC table). */
export const CONFIG: OrchestratorConfig = {
  environmentSuffix: 'dev',
  metricNamespace: 'PaymentsDR',
  primaryRegion: 'us-east-1',
  drRegion: 'us-east-2',
  primaryInstanceId: 'paydb-primary-dev',
  replicaInstanceId: 'paydb-replica-dev',
  primaryEndpoint: 'paydb-primary-dev.abc.us-east-1.rds.amazonaws.com',
  replicaEndpoint: 'paydb-replica-dev.def.us-east-2.rds.amazonaws.com',
  port: 5432,
  database: 'payments',
  secretArn: 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-dev-AbCdEf',
  alertTopicArn: 'arn:aws:sns:us-east-2:111111111111:paydb-alerts-dev',
  runbookUrl: 'https://github.com/acme/payments-dr/blob/main/docs/runbooks/failover.md',
  failoverStateTable: 'paydb-failover-state-dev',
  fenceSecurityGroupId: 'sg-fence',
  hostedZoneId: 'Z123',
  writerRecordName: 'writer.db.paydb-dev.internal',
  primaryRecordSetId: 'primary',
  maxPromotionLagSeconds: 300,
  promotionTimeoutSeconds: 600,
  probeIntervalSeconds: 60,
  lagLookbackSeconds: 600,
  primaryProbeAttempts: 3,
  primaryProbeTimeoutMs: 5000,
  primaryProbeIntervalMs: 5000,
  failoverMode: 'automatic',
  writeLeaseTable: 'paydb-write-lease-dev',
  leaseTakeoverMarginSeconds: 30,
  switchoverCatchUpTimeoutSeconds: 300,
  primaryParameterGroup: 'paydb-primary-db-dev-params',
};

/** Regions outside one MRSC region set: no lease table, only an operator's confirmation promotes. */
export const MANUAL_CONFIG: OrchestratorConfig = { ...CONFIG, failoverMode: 'manual-confirm', writeLeaseTable: undefined };

/** The lease table of CONFIG (defined there; typed as a string for the fakes). */
export const LEASE_TABLE = CONFIG.writeLeaseTable as string;

/**
 * The monitor's data as GetMetricData returns it (newest first, one sample a minute over the 7 minutes before START):
 * `ReplicationLagSeconds` (Maximum) and `PrimaryReachable` (Minimum). Until `unreachableSince` the primary answered and
 * the lag was `lagSeconds`; from then on the monitor's lag is the age of the newest primary evidence on the replica.
 * Default: the primary failed at START (the alarm's time), so the lag at its failure is small and the RPO gate passes.
 * GetMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export function monitorMetricData({ lagSeconds = 3, unreachableSince = START as number | undefined } = {}) {
  const Timestamps = [0, 1, 2, 3, 4, 5, 6, 7].map((minutesBefore) => new Date(START - minutesBefore * 60_000));
  const reachable = (at: Date) => unreachableSince === undefined || at.getTime() < unreachableSince;
  const lastReachable = Timestamps.find(reachable)?.getTime() ?? START - 8 * 60_000;
  return {
    MetricDataResults: [
      { Id: 'lag', Timestamps, Values: Timestamps.map((at) => (reachable(at) ? lagSeconds : lagSeconds + (at.getTime() - lastReachable) / 1000)) },
      { Id: 'primaryReachable', Timestamps, Values: Timestamps.map((at) => (reachable(at) ? 1 : 0)) },
    ],
  };
}

export const PRIMARY_RECORD = {
  Name: 'writer.db.paydb-dev.internal.', Type: 'CNAME' as const, SetIdentifier: 'primary', Failover: 'PRIMARY' as const,
  TTL: 30, HealthCheckId: 'hc-primary', ResourceRecords: [{ Value: CONFIG.primaryEndpoint }],
};

export interface LogEntry {
  /** Fake clock time of the effect. */
  readonly at: number;
  readonly what: string;
}

export interface SqlSession {
  readonly server: 'primary' | 'replica';
  readonly applicationName?: string;
  readonly timeoutMs: number;
}

export interface AwsWorld {
  readonly clock: FakeClock;
  readonly log: LogEntry[];
  readonly sessions: SqlSession[];
  /** The primary answers SQL probes (data plane). */
  primaryAnswers: boolean;
  /** The primary region's RDS API and database time out. */
  primaryRegionDown: boolean;
  primaryStatus: string;
  primarySecurityGroups: string[];
  /** `default_transaction_read_only` of the primary's parameter group, as last requested. */
  primaryReadOnly: boolean;
  /** The parameter reaches the server this long after ModifyDBParameterGroup (RDS applies it asynchronously). */
  parameterApplyDelayMs: number;
  /** Fake time from which the primary's sessions see the requested `default_transaction_read_only`. */
  primaryReadOnlyEffectiveAt: number;
  /**
   * Client sessions on the primary (all older than any fence). A terminated one is still listed in
   * `pg_stat_activity` for `terminationDelayMs` (pg_terminate_backend only signals the backend).
   */
  primaryClientSessions: { endsAt?: number }[];
  terminationDelayMs: number;
  primaryFlushLsn: string;
  replicaStatus: string;
  /** `StatusInfos` "read replication" status: `error` once the primary is gone, `replicating` while it lives. */
  replicationState: string;
  /** Replay positions the replica reports, one per read (the last repeats). */
  replicaReplayLsns: string[];
  /** PromoteReadReplica accepted: the DR instance no longer lists a source. */
  promoted: boolean;
  describesSincePromotion: number;
  /** Failover state table item (pk = "failover"). */
  stateItem?: Record<string, AttributeValue>;
  /** Write lease table item (pk = "write-lease"). */
  leaseItem?: Record<string, AttributeValue>;
  /** The primary's keeper renews its lease (ttl 45 s) whenever it is read while the primary holds it. */
  keeperRenewing: boolean;
  /** Called right after the DR side's lease write succeeded. */
  onLeaseTaken?: () => void;
  /** Set when the test is over: every fake throws, so a run that never ends stops at its next call. */
  closed: boolean;
}

const SOURCE_ARN = 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-dev';
const KEEPER_TTL_MS = 45_000;
/** Every run here ends within its Lambda deadline (15 min); fake time this far past the start means a run that never returns. */
const RUNAWAY_AFTER_MS = 6 * 3_600_000;

/**
 * Mocked AWS with just enough behaviour:
 * - RDS (DescribeDBInstances, PromoteReadReplica, ModifyDBInstance, StopDBInstance, ModifyDBParameterGroup): a DR
 *   replica that lists its source until promoted, then reports `modifying` once and `available`; PromoteReadReplica
 *   refused with InvalidDBInstanceState while the replica is not `available` ("The DB instance isn't in a valid
 *   state", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html); the primary's
 *   parameter group reaching the primary's sessions at once (`ApplyMethod: immediate` for a dynamic parameter,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html);
 * - DynamoDB with TWO tables told apart by `TableName`: the failover state table (the store's conditions:
 *   create-if-absent-or-aborted, version + owner, run-lock takeover) and the write-lease table (holder + epoch +
 *   expiry condition; on failure ConditionalCheckFailedException carrying the stored item, as with
 *   `ReturnValuesOnConditionCheckFailure: ALL_OLD`, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html);
 *   any other table: ResourceNotFoundException (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#API_GetItem_Errors);
 * - CloudWatch, Route53, SNS, Secrets Manager answering;
 * - `withDatabaseSession`: SQL sessions on a model of the primary and the replica (see `sqlClient`).
 */
export function fakeAws(clock = new FakeClock()) {
  const rds = mockClient(RDSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  const dynamo = mockClient(DynamoDBClient);
  const route53 = mockClient(Route53Client);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const world: AwsWorld = {
    clock,
    log: [],
    sessions: [],
    primaryAnswers: false,
    primaryRegionDown: false,
    primaryStatus: 'available',
    primarySecurityGroups: ['sg-app'],
    primaryReadOnly: false,
    parameterApplyDelayMs: 0,
    primaryReadOnlyEffectiveAt: 0,
    primaryClientSessions: [{}, {}, {}],
    terminationDelayMs: 1_000,
    primaryFlushLsn: '0/3000060',
    replicaStatus: 'available',
    replicationState: 'error',
    replicaReplayLsns: ['0/3000060'],
    promoted: false,
    describesSincePromotion: 0,
    keeperRenewing: false,
    closed: false,
  };
  const startedAt = clock.now();
  /**
   * A run that loops without end (the fake clock never lets jest's timer fire) would hang the suite: every fake
   * refuses once the test is over or fake time ran far past any Lambda deadline, and the probe yields to the event
   * loop, so such a run fails the test (jest timeout) and then stops at its next probe.
   */
  const guard = () => {
    if (world.closed || clock.now() - startedAt > RUNAWAY_AFTER_MS) {
      throw new Error('fake AWS: the test is over or the run never returned (runaway loop)');
    }
  };
  const record = (what: string) => {
    guard();
    world.log.push({ at: clock.now(), what });
  };
  const primaryRegionTimeout = () => Object.assign(new Error('connect ETIMEDOUT rds.us-east-1.amazonaws.com'), { name: 'TimeoutError' });

  // RDS ------------------------------------------------------------------------------------------------------------
  rds.on(DescribeDBInstancesCommand).callsFake(async (input) => {
    guard();
    if (input.DBInstanceIdentifier === CONFIG.primaryInstanceId) {
      if (world.primaryRegionDown) throw primaryRegionTimeout();
      return { DBInstances: [{
        DBInstanceIdentifier: CONFIG.primaryInstanceId, DBInstanceStatus: world.primaryStatus,
        VpcSecurityGroups: world.primarySecurityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
      }] };
    }
    // The promotion takes a while: DBInstance lists no ReadReplicaSourceDBInstanceIdentifier once it started
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html), `modifying`, then `available`.
    const replica: DBInstance = world.promoted
      ? { DBInstanceIdentifier: CONFIG.replicaInstanceId, DBInstanceStatus: world.describesSincePromotion++ === 0 ? 'modifying' : 'available', BackupRetentionPeriod: 7 }
      : {
          DBInstanceIdentifier: CONFIG.replicaInstanceId, DBInstanceStatus: world.replicaStatus, BackupRetentionPeriod: 7,
          ReadReplicaSourceDBInstanceIdentifier: SOURCE_ARN,
          StatusInfos: [{ StatusType: 'read replication', Status: world.replicationState, Normal: world.replicationState === 'replicating' }],
        };
    return { DBInstances: [replica] };
  });
  rds.on(PromoteReadReplicaCommand).callsFake(async (input) => {
    guard();
    if (world.replicaStatus !== 'available') {
      record(`rds:PromoteReadReplica refused (${world.replicaStatus})`);
      throw new InvalidDBInstanceStateFault({ message: `Instance ${input.DBInstanceIdentifier} is not in available state (${world.replicaStatus})`, $metadata: { httpStatusCode: 400 } });
    }
    record('rds:PromoteReadReplica');
    world.promoted = true;
    return {};
  });
  rds.on(ModifyDBInstanceCommand).callsFake(async (input) => {
    guard();
    if (world.primaryRegionDown) throw primaryRegionTimeout();
    record(`rds:ModifyDBInstance ${(input.VpcSecurityGroupIds ?? []).join(',')}`);
    world.primarySecurityGroups = input.VpcSecurityGroupIds ?? [];
    return {};
  });
  // Stopping is refused while the security-group change is applied (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StopDBInstance.html).
  rds.on(StopDBInstanceCommand).rejects(new InvalidDBInstanceStateFault({ message: 'Instance is modifying', $metadata: { httpStatusCode: 400 } }));
  rds.on(ModifyDBParameterGroupCommand).callsFake(async (input) => {
    guard();
    if (world.primaryRegionDown) throw primaryRegionTimeout();
    if (input.DBParameterGroupName !== CONFIG.primaryParameterGroup) {
      throw new DBParameterGroupNotFoundFault({ message: `DBParameterGroup ${input.DBParameterGroupName} not found`, $metadata: { httpStatusCode: 404 } });
    }
    for (const parameter of input.Parameters ?? []) {
      record(`rds:ModifyDBParameterGroup ${parameter.ParameterName}=${parameter.ParameterValue}`);
      if (parameter.ParameterName === 'default_transaction_read_only') {
        world.primaryReadOnly = parameter.ParameterValue === '1';
        world.primaryReadOnlyEffectiveAt = clock.now() + world.parameterApplyDelayMs;
      }
    }
    return { DBParameterGroupName: input.DBParameterGroupName };
  });

  // CloudWatch, Route53, SNS, Secrets Manager ---------------------------------------------------------------------
  cloudWatch.on(GetMetricDataCommand).resolves(monitorMetricData());
  cloudWatch.on(PutMetricDataCommand).callsFake(async (input) => {
    guard();
    for (const datum of input.MetricData ?? []) record(`cloudwatch:${datum.MetricName}=${datum.Value}`);
    return {};
  });
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [PRIMARY_RECORD], IsTruncated: false, MaxItems: 20 });
  route53.on(ChangeResourceRecordSetsCommand).callsFake(async (input) => {
    guard();
    record(`route53:${input.ChangeBatch?.Changes?.map((change: Change) => `${change.Action} ${change.ResourceRecordSet?.ResourceRecords?.[0]?.Value}`).join(',')}`);
    return { ChangeInfo: { Id: 'c1', Status: 'PENDING', SubmittedAt: new Date() } };
  });
  sns.on(PublishCommand).callsFake(async (input) => {
    guard();
    record(`sns:${input.Subject}`);
    return { MessageId: 'm' };
  });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"dr_admin","password":"pw"}' });

  // DynamoDB: two tables --------------------------------------------------------------------------------------------
  const conditionFailed = (Item?: Record<string, AttributeValue>) =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(Item ? { Item } : {}) });
  const noSuchTable = (table: string | undefined) =>
    new ResourceNotFoundException({ message: `Requested resource not found: Table: ${table} not found`, $metadata: { httpStatusCode: 400 } });
  const saveState = (item: Record<string, AttributeValue> | undefined) => {
    const before = world.stateItem ? storedState(world) : undefined;
    world.stateItem = item;
    const after = storedState(world);
    if ((after?.promoteRequests ?? 0) > (before?.promoteRequests ?? 0)) record(`state:promote intent #${after?.promoteRequests}`);
    record(`state:save ${after?.phase}/${after?.status}`);
  };

  dynamo.on(GetItemCommand).callsFake(async (input) => {
    guard();
    if (input.TableName === CONFIG.failoverStateTable) return world.stateItem ? { Item: world.stateItem } : {};
    if (input.TableName === LEASE_TABLE) {
      const lease = storedLease(world);
      if (world.keeperRenewing && lease?.holder === 'primary') {
        world.leaseItem = { ...world.leaseItem, expiresAt: { N: String(clock.now() + KEEPER_TTL_MS) }, writtenAt: { N: String(clock.now()) } };
      }
      record('lease:read');
      return world.leaseItem ? { Item: world.leaseItem } : {};
    }
    throw noSuchTable(input.TableName);
  });
  dynamo.on(PutItemCommand).callsFake(async (input) => {
    guard();
    const values = input.ExpressionAttributeValues ?? {};
    if (input.TableName === CONFIG.failoverStateTable) {
      const item = world.stateItem;
      const allowed = input.ConditionExpression?.startsWith('attribute_not_exists(pk)')
        ? !item || item.status.S === 'aborted'
        : item?.version.N === values[':expected'].N && item?.leaseOwner.S === values[':owner'].S;
      if (!allowed) throw conditionFailed();
      saveState(input.Item);
      return {};
    }
    if (input.TableName === LEASE_TABLE) {
      const item = world.leaseItem;
      const condition = input.ConditionExpression;
      if (condition !== undefined && condition !== 'attribute_not_exists(pk)' && condition !== '#holder = :holder AND #epoch = :epoch AND #expiresAt = :expiresAt') {
        throw new Error(`fake lease table: unsupported ConditionExpression ${condition}`);
      }
      // Like DynamoDB, a PutItem without a condition simply overwrites the item.
      const allowed = condition === undefined ? true
        : condition === 'attribute_not_exists(pk)' ? item === undefined
          : item?.holder.S === values[':holder'].S && item?.epoch.N === values[':epoch'].N && item?.expiresAt.N === values[':expiresAt'].N;
      if (!allowed) {
        record('lease:put refused');
        throw conditionFailed(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? item : undefined);
      }
      world.leaseItem = input.Item;
      record(`lease:put ${input.Item?.holder.S}#${input.Item?.epoch.N}`);
      world.onLeaseTaken?.();
      return {};
    }
    throw noSuchTable(input.TableName);
  });
  dynamo.on(UpdateItemCommand).callsFake(async (input) => {
    guard();
    if (input.TableName !== CONFIG.failoverStateTable) throw noSuchTable(input.TableName);
    const values = input.ExpressionAttributeValues!;
    const item = world.stateItem;
    if (!item || item.status.S !== 'in_progress' || Number(item.leaseExpiresAt.N) > Number(values[':now'].N)) throw conditionFailed();
    world.stateItem = { ...item, leaseOwner: values[':owner'], leaseExpiresAt: values[':lease'], version: { N: String(Number(item.version.N) + 1) } };
    record('state:lock taken over');
    return { Attributes: world.stateItem };
  });

  // SQL ------------------------------------------------------------------------------------------------------------
  /**
   * A model of one PostgreSQL server answering exactly the statements of functions/adapters/postgres/write-fence.ts;
   * anything else fails the test. The replica is a standby until promoted; a standby or a read-only default refuses
   * the writer check's test write with SQLSTATE 25006 (read_only_sql_transaction).
   */
  const sqlClient = (server: 'primary' | 'replica') => {
    // Until the change reaches the server, its sessions keep the previous default (the change toggles it).
    const primaryReadOnly = () => (clock.now() >= world.primaryReadOnlyEffectiveAt ? world.primaryReadOnly : !world.primaryReadOnly);
    const readOnly = () => (server === 'primary' ? primaryReadOnly() : !world.promoted);
    const alive = () => (server === 'primary' ? world.primaryClientSessions.filter((session) => session.endsAt === undefined || session.endsAt > clock.now()) : []);
    const readOnlyError = () => Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });
    const rows = <T>(list: T[], rowCount = list.length) => ({ rows: list, rowCount });
    return {
      async query(text: string) {
        const sql = text.replace(/\s+/g, ' ').trim();
        if (sql === "SELECT current_setting('transaction_read_only') AS read_only") return rows([{ read_only: readOnly() ? 'on' : 'off' }]);
        if (sql === 'SELECT clock_timestamp() AS now') return rows([{ now: new Date(clock.now()) }]);
        if (sql.includes('pg_terminate_backend(pid)')) {
          const signalled = alive();
          for (const session of signalled) session.endsAt ??= clock.now() + world.terminationDelayMs;
          record(`sql:${server} terminated ${signalled.length} session(s)`);
          return rows(signalled.map((_, pid) => ({ pid })), signalled.length);
        }
        if (sql.startsWith('SELECT count(*) AS count FROM pg_stat_activity')) {
          const survivors = alive().length;
          if (survivors > 0) record(`sql:${server} ${survivors} session(s) from before the fence still open`);
          return rows([{ count: String(survivors) }]);
        }
        if (sql === 'SELECT pg_current_wal_flush_lsn()::text AS lsn') {
          record(`sql:${server} flush lsn ${world.primaryFlushLsn}`);
          return rows([{ lsn: world.primaryFlushLsn }]);
        }
        if (sql === 'SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS lsn') {
          const lsn = world.replicaReplayLsns.length > 1 ? world.replicaReplayLsns.shift()! : world.replicaReplayLsns[0];
          record(`sql:${server} replay lsn ${world.promoted ? 'none (promoted)' : lsn}`);
          return rows([{ in_recovery: server === 'replica' && !world.promoted, lsn }]);
        }
        if (sql === 'SELECT pg_is_in_recovery() AS in_recovery') return rows([{ in_recovery: server === 'replica' && !world.promoted }]);
        if (sql === 'BEGIN' || sql === 'ROLLBACK') return rows([]);
        if (sql.startsWith('CREATE SCHEMA IF NOT EXISTS dr_monitor') || sql.startsWith('CREATE TABLE IF NOT EXISTS dr_monitor.writer_check')
          || sql.startsWith('INSERT INTO dr_monitor.writer_check')) {
          if (readOnly()) throw readOnlyError();
          return rows([]);
        }
        if (sql === 'COMMIT') {
          record(`sql:${server} test write committed`);
          return rows([]);
        }
        throw new Error(`fake ${server} database: unexpected SQL: ${sql}`);
      },
    };
  };

  /** Stands in for `withDatabaseSession`: resolves the target (credentials from Secrets Manager) and picks the server by host. */
  async function withDatabaseSession<T>(target: TargetProvider, options: SessionOptions, work: (client: Client) => Promise<T>): Promise<T> {
    guard();
    const { host } = await target();
    const server = host === CONFIG.primaryEndpoint ? 'primary' : host === CONFIG.replicaEndpoint ? 'replica' : undefined;
    if (!server) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    if (server === 'primary' && (world.primaryRegionDown || !world.primaryAnswers)) throw new Error(`connect ETIMEDOUT ${host}:5432`);
    world.sessions.push({ server, timeoutMs: options.timeoutMs, ...(options.applicationName ? { applicationName: options.applicationName } : {}) });
    return work(sqlClient(server) as unknown as Client);
  }

  /** The handler's `probe` override: the primary's data plane. */
  const probe = async (target: DatabaseTarget, timeoutMs: number): Promise<ProbeResult> => {
    await nextTurn();
    record(`probe:${target.host === CONFIG.primaryEndpoint ? 'primary' : target.host}`);
    return world.primaryAnswers && !world.primaryRegionDown
      ? { reachable: true, latencyMs: 8, inRecovery: false }
      : { reachable: false, latencyMs: timeoutMs, error: 'ETIMEDOUT: connect timeout' };
  };

  const mocks = [rds, cloudWatch, dynamo, route53, sns, secrets];
  /**
   * Ends the test's world. The stubs are NOT restored: a run still looping must never reach a real client (each test
   * file has its own module registry, so the stubs end with it); the next `fakeAws()` replaces them.
   */
  const close = () => {
    world.closed = true;
  };
  const totalCalls = () => mocks.reduce((sum, mock) => sum + mock.calls().length, 0);
  return { rds, cloudWatch, dynamo, route53, sns, secrets, world, withDatabaseSession, probe, close, totalCalls };
}

/** The failover record as the state store keeps it (top-level attributes win over the JSON copy, as in the adapter). */
export function storedState(world: Pick<AwsWorld, 'stateItem'>): FailoverState | undefined {
  const item = world.stateItem;
  if (!item?.state?.S) return undefined;
  const stored = JSON.parse(item.state.S) as FailoverState;
  return { ...stored, status: item.status.S as FailoverState['status'], leaseOwner: item.leaseOwner.S!, leaseExpiresAt: Number(item.leaseExpiresAt.N), version: Number(item.version.N) };
}

export function storedLease(world: Pick<AwsWorld, 'leaseItem'>): WriteLease | undefined {
  return world.leaseItem ? leaseFromItem(world.leaseItem) : undefined;
}
