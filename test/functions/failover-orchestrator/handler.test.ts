/**
 * The failover orchestrator Lambda as wired for AWS (functions/failover-orchestrator/create-handler.ts): the real
 * core and the real AWS adapters, every SDK client mocked with aws-sdk-client-mock (./aws-fakes.ts), and the SQL
 * the RDS adapter runs (writer check, switchover freeze, WAL positions) answered at the session port:
 * `withDatabaseSession` is replaced by a model of the two PostgreSQL servers. Tests never call AWS or a database.
 *
 * AWS behaviour the fakes and assertions rely on:
 * - the alarm event: EventBridge "CloudWatch Alarm State Change", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 * - strongly consistent GetItem (`ConsistentRead`), https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html,
 *   on the MRSC lease table, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
 * - conditional PutItem (`ConditionExpression`, ConditionalCheckFailedException HTTP 400, `ReturnValuesOnConditionCheckFailure`),
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html; the run lock's conditional
 *   UpdateItem, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 * - PromoteReadReplica (`BackupRetentionPeriod`, error InvalidDBInstanceState "The DB instance isn't in a valid state"),
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html; a replica lists
 *   `ReadReplicaSourceDBInstanceIdentifier` until promoted, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html;
 *   instance statuses (`modifying`, `backing-up`), https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html
 * - ModifyDBParameterGroup (`ApplyMethod: immediate` for a dynamic parameter), https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html
 * - the fence: ModifyDBInstance `VpcSecurityGroupIds` + `ApplyImmediately`, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html;
 *   StopDBInstance refused with InvalidDBInstanceState, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StopDBInstance.html
 * - the failed-over signal: PutMetricData, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html;
 *   the lag: GetMetricData, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * - the pinned record: ChangeResourceRecordSets UPSERT, https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 * - SDK deadlines: `maxAttempts`, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html;
 *   `requestHandler` timeouts, https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, PromoteReadReplicaCommand, type RDSClient,
} from '@aws-sdk/client-rds';
import { PublishCommand } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { clearDatabaseCredentialsCache } from '../../../functions/adapters/aws/database-credentials';
import { withDatabaseSession } from '../../../functions/adapters/aws/database-session';
import { leaseToItem } from '../../../functions/adapters/aws/dynamodb-write-lease-store';
import { HELD_UNTIL_RELEASED, type WriteLease } from '../../../functions/core/write-lease';
import type { OrchestratorConfig } from '../../../functions/failover-orchestrator/config';
import { createHandler } from '../../../functions/failover-orchestrator/create-handler';
import { FakeClock, START } from '../core/fakes';
import { CONFIG, LEASE_TABLE, MANUAL_CONFIG, fakeAws, monitorMetricData, storedLease, storedState } from './aws-fakes';

// The SQL sessions are faked at the port: the real write-fence/writer-check statements run against the model in aws-fakes.
jest.mock('../../../functions/adapters/aws/database-session', () => ({
  ...jest.requireActual('../../../functions/adapters/aws/database-session'),
  withDatabaseSession: jest.fn(),
}));

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// Each test takes milliseconds of real time (the clock is fake); a run that never returns fails fast (see aws-fakes `guard`).
jest.setTimeout(30_000);

const ALARM_EVENT = {
  version: '0', id: 'e1', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch',
  account: '111111111111', time: '2026-11-21T10:00:00Z', region: 'us-east-2', resources: [],
  detail: { alarmName: 'paydb-primary-down-dev', state: { value: 'ALARM', reason: 'Primary unreachable and unavailable', timestamp: '2026-11-21T10:00:00Z' } },
};
const context = (id: string, remainingMs = 900_000) => ({ awsRequestId: id, getRemainingTimeInMillis: () => remainingMs });

/** The primary's keeper wrote this lease; `expiresAt` decides whether the DR side may take it. */
const primaryLease = (expiresAt: number): WriteLease => ({ holder: 'primary', epoch: 3, expiresAt, writtenBy: 'keeper:k-1', writtenAt: expiresAt - 45_000 });
/** The keeper's last lease ran out 40 s before the alarm: expiry + the 30 s margin has passed, the takeover is allowed at once. */
const KEEPER_STOPPED = START - 40_000;

let aws: ReturnType<typeof fakeAws>;

beforeEach(() => {
  aws = fakeAws(new FakeClock());
  clearDatabaseCredentialsCache();
  jest.mocked(withDatabaseSession).mockImplementation(aws.withDatabaseSession);
});
afterEach(() => aws.close());

const handler = (config: OrchestratorConfig = CONFIG) => createHandler(config, { clock: aws.world.clock, probe: aws.probe });

/** Labels of the logged effects matching `pattern`, in the order they happened (across all clients and the SQL model). */
const effects = (pattern: RegExp) => aws.world.log.filter((entry) => pattern.test(entry.what)).map((entry) => entry.what);
const firstAt = (what: string) => aws.world.log.find((entry) => entry.what === what)?.at;
const leaseReads = () => aws.dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input).filter((input) => input.TableName === LEASE_TABLE);
const leaseWrites = () => aws.dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input).filter((input) => input.TableName === LEASE_TABLE);
const promotions = () => aws.rds.commandCalls(PromoteReadReplicaCommand);
const state = () => storedState(aws.world)!;
const regionOf = (client: unknown) => (client as RDSClient).config.region();

test('automatic mode, alarm on AWS: the lease (read from the lease table) is taken by a conditional write only after expiry + margin; FailedOver=1, then the promote intent, then PromoteReadReplica; done only after the SQL writer check', async () => {
  // The keeper's last renewal ran out 10 s before the alarm: the takeover is allowed 30 s after that (margin).
  const expiredAt = START - 10_000;
  aws.world.leaseItem = leaseToItem(primaryLease(expiredAt));

  const response = await handler()(ALARM_EVENT, context('req-1'));

  expect(response).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  // Every lease read goes to the lease table, strongly consistent (GetItem ConsistentRead).
  expect(leaseReads().length).toBeGreaterThan(1);
  for (const read of leaseReads()) expect(read).toEqual({ TableName: LEASE_TABLE, Key: { pk: { S: 'write-lease' } }, ConsistentRead: true });
  // One conditional PutItem: epoch 3 → 4, only if the stored lease is still exactly the expired one (PutItem ConditionExpression).
  const takenAt = firstAt('lease:put dr#4')!;
  expect(leaseWrites()).toEqual([{
    TableName: LEASE_TABLE,
    Item: leaseToItem({ holder: 'dr', epoch: 4, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'req-1', writtenAt: takenAt }),
    ConditionExpression: '#holder = :holder AND #epoch = :epoch AND #expiresAt = :expiresAt',
    ExpressionAttributeNames: { '#holder': 'holder', '#epoch': 'epoch', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':holder': { S: 'primary' }, ':epoch': { N: '3' }, ':expiresAt': { N: String(expiredAt) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }]);
  // Expired but inside the margin at the first decision: read, not taken; taken only from expiry + 30 s.
  expect(firstAt('lease:read')).toBeLessThan(expiredAt + 30_000);
  expect(takenAt).toBeGreaterThanOrEqual(expiredAt + 30_000);
  expect(storedLease(aws.world)).toEqual({ holder: 'dr', epoch: 4, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'req-1', writtenAt: takenAt });

  // Order across DynamoDB, CloudWatch, RDS and the database: signal before promotion, intent written ahead of the call.
  expect(effects(/^(lease:put|cloudwatch:FailedOver|state:promote intent|rds:PromoteReadReplica|sql:replica test write|state:save acting\/completed)/)).toEqual([
    'lease:put dr#4', 'cloudwatch:FailedOver=1', 'state:promote intent #1', 'rds:PromoteReadReplica',
    'sql:replica test write committed', 'state:save acting/completed',
  ]);
  const [promote] = promotions();
  expect(promote.args[0].input).toEqual({ DBInstanceIdentifier: CONFIG.replicaInstanceId, BackupRetentionPeriod: 7 });
  expect(await regionOf(promote.thisValue)).toBe('us-east-2');
  // The writer is the database's own answer (out of recovery + a committed test write), over a bounded session.
  expect(aws.world.sessions).toEqual([{ server: 'replica', timeoutMs: 5_000 }]);
  expect(state()).toMatchObject({
    status: 'completed', failedOver: true, writeLeaseEpoch: 4, promoteRequests: 1, recoveredAt: expect.any(String),
    steps: { waitForWriter: { status: 'done', detail: 'DR database is a writer: out of recovery; a test write committed' } },
  });
});

test('the lease still held by the primary (its keeper renews; only the DR side lost sight of the primary): no lease write, no PromoteReadReplica; recorded as deciding/waiting, not aborted, and a resume re-evaluates and promotes only once the lease ran out plus the configured margin', async () => {
  aws.world.leaseItem = leaseToItem(primaryLease(START + 45_000));
  aws.world.keeperRenewing = true;
  // A takeover margin longer than the core's decision backoff (60 s at most), so the wait measured below is the margin's.
  // The RPO budget is generous: a primary cut off from the DR side could commit until its lease ran out, and the
  // lag gate is not what this test pins.
  const run = handler({ ...CONFIG, leaseTakeoverMarginSeconds: 120, maxPromotionLagSeconds: 900 });

  const waiting = await run(ALARM_EVENT, context('req-1', 300_000));

  expect(waiting).toMatchObject({ ok: false, outcome: 'waiting', promoted: false });
  expect(waiting.message).toMatch(/write lease held by the primary: write lease epoch 3 held by primary/);
  expect(leaseWrites()).toEqual([]);
  expect(promotions()).toHaveLength(0);
  expect(effects(/^cloudwatch:FailedOver/)).toEqual([]);
  expect(state()).toMatchObject({ status: 'in_progress', phase: 'deciding', lastDecision: expect.stringMatching(/^write lease held by the primary/) });
  expect(state().decisionAttempts).toBeGreaterThan(1); // re-evaluated while the run lived
  expect(state().leaseExpiresAt).toBeLessThanOrEqual(aws.world.clock.now()); // run lock released for the next resume

  // The primary's region goes dark: its keeper stops renewing, so the lease runs out (then the margin).
  aws.world.keeperRenewing = false;
  const lastExpiry = storedLease(aws.world)!.expiresAt;
  const resumed = await run({ action: 'resume' }, context('req-2'));

  expect(resumed).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  expect(promotions()).toHaveLength(1);
  expect(leaseWrites()).toHaveLength(1);
  expect(firstAt('lease:put dr#4')).toBeGreaterThanOrEqual(lastExpiry + 120_000);
  expect(state()).toMatchObject({ runId: 'req-1', status: 'completed', writeLeaseEpoch: 4 });
});

test('manual-confirm mode: an alarm is recorded and waits (no lease table, no signal, no PromoteReadReplica); an operator who confirms the primary is dead promotes', async () => {
  const run = handler(MANUAL_CONFIG);

  const alarm = await run(ALARM_EVENT, context('req-1', 120_000));

  expect(alarm).toMatchObject({ ok: false, outcome: 'waiting', promoted: false });
  expect(alarm.message).toMatch(/manual confirmation required/);
  expect(promotions()).toHaveLength(0);
  expect(effects(/^cloudwatch:FailedOver/)).toEqual([]);
  expect(state()).toMatchObject({ status: 'in_progress', phase: 'deciding', trigger: 'alarm:paydb-primary-down-dev' });

  const confirmed = await run({ action: 'failover', reason: 'us-east-1 outage confirmed by on-call', confirmPrimaryDead: true }, context('req-2'));

  expect(confirmed).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  expect(promotions()).toHaveLength(1);
  expect(effects(/^(cloudwatch:FailedOver|rds:PromoteReadReplica)/)).toEqual(['cloudwatch:FailedOver=1', 'rds:PromoteReadReplica']);
  expect(state()).toMatchObject({ runId: 'req-1', status: 'completed', request: { trigger: 'operator', confirmPrimaryDead: true } });
  expect(state().steps.takeWriteLease?.detail).toMatch(/manual-confirm mode/);
  // No lease table in this mode: every DynamoDB call went to the failover state table.
  expect(new Set(aws.dynamo.calls().map((call) => (call.args[0].input as { TableName?: string }).TableName))).toEqual(new Set([CONFIG.failoverStateTable]));
});

test('InvalidDBInstanceState from PromoteReadReplica (replica modifying) after the promote intent was written is kept in progress and retried by resume — never recorded as "aborted"', async () => {
  aws.world.leaseItem = leaseToItem(primaryLease(KEEPER_STOPPED));
  // Right after the decision RDS starts modifying the replica: PromoteReadReplica answers InvalidDBInstanceState.
  aws.world.onLeaseTaken = () => { aws.world.replicaStatus = 'modifying'; };
  const run = handler();

  const first = await run(ALARM_EVENT, context('req-1'));

  expect(first).toMatchObject({ ok: false, outcome: 'pending', promoted: true });
  expect(effects(/^(state:promote intent|rds:PromoteReadReplica)/)[0]).toBe('state:promote intent #1');
  expect(promotions().length).toBeGreaterThan(0);
  expect(aws.world.promoted).toBe(false);
  expect(state()).toMatchObject({ status: 'in_progress', phase: 'acting', promoteRequestedAt: expect.any(String) });
  expect(state().steps.promoteReplica).toMatchObject({ status: 'failed', error: expect.stringMatching(/^InvalidDBInstanceStateFault: /) });
  expect(state().leaseExpiresAt).toBeLessThanOrEqual(aws.world.clock.now());
  // The intent is final: a cancel is refused and changes nothing.
  const cancel = await run({ action: 'cancel', reason: 'changed my mind' }, context('req-2'));
  expect(cancel).toMatchObject({ ok: true, outcome: 'refused', promoted: true });
  expect(state().status).toBe('in_progress');

  aws.world.replicaStatus = 'available';
  const resumed = await run({ action: 'resume' }, context('req-3'));

  expect(resumed).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  expect(aws.world.promoted).toBe(true);
  expect(state()).toMatchObject({ status: 'completed', promoteRequests: 2 });
  expect(effects(/^(state:promote intent|rds:PromoteReadReplica$)/).slice(-2)).toEqual(['state:promote intent #2', 'rds:PromoteReadReplica']);
});

test('{"action":"cancel"} closes a recorded request that has not acted yet: aborted, nothing promoted, the lease and the DNS signal untouched; a later resume finds nothing', async () => {
  aws.world.leaseItem = leaseToItem(primaryLease(START + 45_000));
  aws.world.keeperRenewing = true;
  const run = handler();
  expect((await run(ALARM_EVENT, context('req-1', 120_000))).outcome).toBe('waiting');

  const cancelled = await run({ action: 'cancel', reason: 'network blip, primary healthy' }, context('req-2'));

  expect(cancelled).toMatchObject({ ok: true, outcome: 'aborted', promoted: false });
  expect(cancelled.message).toMatch(/Nothing was promoted/);
  expect(state()).toMatchObject({ runId: 'req-1', status: 'aborted', lastDecision: 'cancelled by operator: network blip, primary healthy' });
  expect(promotions()).toHaveLength(0);
  expect(leaseWrites()).toEqual([]);
  expect(storedLease(aws.world)).toMatchObject({ holder: 'primary', epoch: 3 });
  expect(effects(/^cloudwatch:FailedOver/)).toEqual([]);
  expect(aws.sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toContain('[dev] DR failover: aborted');

  expect(await run({ action: 'resume' }, context('req-3'))).toMatchObject({ outcome: 'nothing_to_resume', promoted: false });
  expect(promotions()).toHaveLength(0);
});

test('every SDK client the handler builds has real deadlines (3 attempts, 3 s connect, 10 s per attempt with throwOnRequestTimeout), in the right region', async () => {
  aws.world.leaseItem = leaseToItem(primaryLease(KEEPER_STOPPED));

  expect((await handler()(ALARM_EVENT, context('req-1'))).outcome).toBe('completed');

  const mocks = [aws.rds, aws.dynamo, aws.cloudWatch, aws.route53, aws.sns, aws.secrets];
  const clients = new Set(mocks.flatMap((mock) => mock.calls().map((call) => call.thisValue)));
  // RDS in both regions, DynamoDB, CloudWatch, Route53, SNS, Secrets Manager: all used by one failover.
  expect(clients.size).toBe(7);
  for (const client of clients) {
    const config = (client as { config: { maxAttempts: () => Promise<number>; requestHandler: unknown } }).config;
    expect(await config.maxAttempts()).toBe(3);
    expect(config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    const resolved = await (config.requestHandler as { configProvider: Promise<Record<string, unknown>> }).configProvider;
    expect(resolved).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true });
  }
  expect(await regionOf(promotions()[0].thisValue)).toBe('us-east-2');
  expect(await regionOf(aws.rds.commandCalls(ModifyDBInstanceCommand)[0].thisValue)).toBe('us-east-1');
  expect(await regionOf(aws.dynamo.call(0).thisValue)).toBe('us-east-2');
});

test('operator switchover of a live primary: lease handed over, the primary frozen through its parameter group (default_transaction_read_only=1) and verified over SQL, the replica replays up to the frozen WAL position, then FailedOver and PromoteReadReplica', async () => {
  aws.world.primaryAnswers = true;
  aws.world.replicationState = 'replicating';
  aws.cloudWatch.on(GetMetricDataCommand).resolves(monitorMetricData({ lagSeconds: 1, unreachableSince: undefined }));
  aws.world.leaseItem = leaseToItem(primaryLease(START + 45_000));
  aws.world.keeperRenewing = true;
  aws.world.replicaReplayLsns = ['0/3000000', '0/3000060'];
  // RDS applies the parameter 3 s later, and terminated sessions linger 1 s in pg_stat_activity: the freeze must wait
  // for a read-only default and for a check with no survivor, both seen from a NEW session.
  aws.world.parameterApplyDelayMs = 3_000;

  const response = await handler()({ action: 'failover', switchover: true, reason: 'planned region move' }, context('req-1'));

  expect(response).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  const freezes = aws.rds.commandCalls(ModifyDBParameterGroupCommand);
  expect(freezes.map((call) => call.args[0].input)).toEqual([{
    DBParameterGroupName: CONFIG.primaryParameterGroup,
    Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
  }]);
  expect(await regionOf(freezes[0].thisValue)).toBe('us-east-1');
  expect(effects(/^(lease:put|rds:ModifyDBParameterGroup|sql:primary|sql:replica replay|cloudwatch:FailedOver|state:promote intent|rds:PromoteReadReplica)/)).toEqual([
    'lease:put dr#4',
    'rds:ModifyDBParameterGroup default_transaction_read_only=1',
    'sql:primary terminated 3 session(s)',
    'sql:primary 3 session(s) from before the fence still open',
    'sql:primary terminated 0 session(s)',
    'sql:primary flush lsn 0/3000060',
    'sql:replica replay lsn 0/3000000',
    'sql:replica replay lsn 0/3000060',
    'cloudwatch:FailedOver=1',
    'state:promote intent #1',
    'rds:PromoteReadReplica',
  ]);
  // Checks at +0, +2 s (not read-only yet), +4 s (cut, survivors), +6 s (verified): each one a NEW session carrying the
  // fence's application name (the keeper never cuts them).
  const freezeSessions = aws.world.sessions.filter((session) => session.server === 'primary');
  expect(freezeSessions).toHaveLength(6);
  for (const session of freezeSessions) expect(session).toEqual({ server: 'primary', timeoutMs: 5_000, applicationName: 'dr-write-fence' });
  expect(state()).toMatchObject({ mode: 'switchover', status: 'completed', frozenAtLsn: '0/3000060', writeLeaseEpoch: 4 });
});
