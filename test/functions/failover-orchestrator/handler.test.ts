import { GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ModifyDBInstanceCommand, PromoteReadReplicaCommand, StopDBInstanceCommand } from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { PublishCommand } from '@aws-sdk/client-sns';
import { clearDatabaseCredentialsCache } from '../../../functions/adapters/aws/database-credentials';
import type { DatabaseTarget, ProbeResult } from '../../../functions/adapters/postgres/connectivity';
import { createHandler } from '../../../functions/failover-orchestrator/create-handler';
import { FakeClock } from '../core/fakes';
import { CONFIG, PRIMARY_RECORD, fakeAws, outageMetricData } from './aws-fakes';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const ALARM_EVENT = {
  version: '0', id: 'e1', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch',
  account: '111111111111', time: '2026-11-21T10:00:00Z', region: 'us-east-2', resources: [],
  detail: { alarmName: 'paydb-primary-down-dev', state: { value: 'ALARM', reason: 'Primary unreachable and unavailable', timestamp: '2026-11-21T10:00:00Z' } },
};
const context = (id: string) => ({ awsRequestId: id, getRemainingTimeInMillis: () => 900_000 });

let aws: ReturnType<typeof fakeAws>;
let probes: { target: DatabaseTarget; timeoutMs: number }[];
let probeResult: ProbeResult;

function handler(config = CONFIG) {
  return createHandler(config, {
    clock: new FakeClock(),
    probe: async (target, timeoutMs) => {
      probes.push({ target, timeoutMs });
      return probeResult;
    },
  });
}

beforeEach(() => {
  aws = fakeAws();
  probes = [];
  probeResult = { reachable: false, latencyMs: 5000, error: 'ETIMEDOUT: connect timeout' };
  clearDatabaseCredentialsCache();
});
afterEach(() => aws.reset());

test('an ALARM event promotes the replica, switches DNS, fences the primary and reports', async () => {
  const response = await handler()(ALARM_EVENT, context('req-1'));

  expect(response).toMatchObject({ ok: true, outcome: 'completed', promoted: true });
  expect(probes).toHaveLength(3);
  expect(probes[0]).toEqual({
    timeoutMs: 5000,
    target: { host: CONFIG.primaryEndpoint, port: 5432, database: 'payments', user: 'probe', password: 'pw', ssl: { rejectUnauthorized: true } },
  });
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand).map((call) => call.args[0].input))
    .toEqual([{ DBInstanceIdentifier: 'paydb-replica-dev', BackupRetentionPeriod: 7 }]);
  expect(aws.rds.commandCalls(ModifyDBInstanceCommand).map((call) => call.args[0].input))
    .toEqual([{ DBInstanceIdentifier: 'paydb-primary-dev', VpcSecurityGroupIds: ['sg-fence'], ApplyImmediately: true }]);
  expect(aws.rds.commandCalls(StopDBInstanceCommand).map((call) => call.args[0].input)).toEqual([{ DBInstanceIdentifier: 'paydb-primary-dev' }]);
  const data = aws.cloudWatch.commandCalls(PutMetricDataCommand).flatMap((call) => call.args[0].input.MetricData ?? []);
  expect(data).toContainEqual(expect.objectContaining({
    MetricName: 'FailedOver', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }],
  }));
  expect(data.filter((datum) => datum.MetricName === 'FailoverDurationSeconds')).toHaveLength(1);
  expect(aws.route53.commandCalls(ChangeResourceRecordSetsCommand).map((call) => call.args[0].input)).toEqual([{
    HostedZoneId: 'Z123',
    ChangeBatch: {
      Comment: expect.any(String),
      Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...PRIMARY_RECORD, ResourceRecords: [{ Value: CONFIG.replicaEndpoint }] } }],
    },
  }]);
  const subjects = aws.sns.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject);
  expect(subjects).toEqual(['[dev] DR failover: requested', '[dev] DR failover: proceeding', '[dev] DR failover: completed']);
  expect(aws.sns.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe(CONFIG.alertTopicArn);
  expect(aws.world.item?.failedOver).toEqual({ BOOL: true });
  expect(aws.world.item?.status).toEqual({ S: 'completed' });
});

test('a second trigger after the failover promotes nothing', async () => {
  const run = handler();
  await run(ALARM_EVENT, context('req-1'));
  const second = await run(ALARM_EVENT, context('req-2'));
  const operator = await run({ action: 'failover', reason: 'again', force: true }, context('req-3'));

  expect(second).toMatchObject({ ok: true, outcome: 'already_completed', promoted: true });
  expect(operator.outcome).toBe('already_completed');
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
});

test('false alarm: the primary answers (even with an auth error), nothing is promoted', async () => {
  probeResult = { reachable: false, latencyMs: 40, error: '28P01: password authentication failed for user "probe"' };

  const response = await handler()(ALARM_EVENT, context('req-1'));

  expect(response).toMatchObject({ ok: true, outcome: 'false_alarm', promoted: false });
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  expect(aws.world.item).toBeUndefined();
});

test('Route53 API down: FailedOver still published, the sticky record is pinned on resume', async () => {
  const run = handler();
  aws.route53.rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));

  const first = await run(ALARM_EVENT, context('req-1'));

  expect(first).toMatchObject({ ok: false, outcome: 'pending', promoted: true });
  expect(first.message).toMatch(/steps not done: pinDnsRecord/);
  const data = aws.cloudWatch.commandCalls(PutMetricDataCommand).flatMap((call) => call.args[0].input.MetricData ?? []);
  expect(data.map((datum) => datum.MetricName)).toContain('FailedOver');
  expect(aws.world.item?.status).toEqual({ S: 'in_progress' });

  aws.route53.reset();
  aws.route53.on(ChangeResourceRecordSetsCommand).resolves({});
  aws.route53.resolves({ ResourceRecordSets: [PRIMARY_RECORD], IsTruncated: false, MaxItems: 20 });
  const resumed = await run({ action: 'resume' }, context('req-2'));

  expect(resumed).toMatchObject({ ok: true, outcome: 'completed' });
  expect(aws.route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
});

test('fencing while the primary region is down stays pending until a resume succeeds', async () => {
  const run = handler();
  aws.world.primaryRegionDown = true;

  expect((await run(ALARM_EVENT, context('req-1'))).outcome).toBe('pending');
  expect(aws.rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);

  aws.world.primaryRegionDown = false;
  expect((await run({ action: 'resume' }, context('req-2'))).outcome).toBe('completed');
  expect(aws.world.primarySecurityGroups).toEqual(['sg-fence']);
});

test('RDS throttling on PromoteReadReplica is retried', async () => {
  aws.rds.on(PromoteReadReplicaCommand)
    .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
    .callsFake(async () => {
      aws.world.promoted = true;
      return {};
    });

  expect((await handler()(ALARM_EVENT, context('req-1'))).outcome).toBe('completed');
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(2);
});

test('the heartbeat age growing past the budget after the failure does not refuse: the gate sees the lag at the failure', async () => {
  const response = await handler()(ALARM_EVENT, context('req-1'));

  expect(response).toMatchObject({ outcome: 'completed', promoted: true });
  expect(response.outcome !== 'rejected' && response.outcome !== 'ignored' && response.result.state?.lagSecondsAtDecision).toBe(63);
});

test('a lag over the budget at the failure (lag while reachable + probe interval) refuses without force', async () => {
  aws.cloudWatch.on(GetMetricDataCommand).resolves(outageMetricData(241));

  const response = await handler()(ALARM_EVENT, context('req-1'));

  expect(response).toMatchObject({ ok: true, outcome: 'refused', promoted: false });
  expect(response.message).toMatch(/replication lag 301 s over the 300 s budget/);
});

test('the lag is read over the configured look-back', async () => {
  await handler({ ...CONFIG, lagLookbackSeconds: 2700 })(ALARM_EVENT, context('req-1'));

  const [{ StartTime, EndTime }] = aws.cloudWatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input);
  expect(EndTime!.getTime() - StartTime!.getTime()).toBe(2_700_000);
});

test('the primary re-verification follows the configured attempts and timeout', async () => {
  await handler({ ...CONFIG, primaryProbeAttempts: 2, primaryProbeTimeoutMs: 2000 })(ALARM_EVENT, context('req-1'));

  expect(probes.map((probe) => probe.timeoutMs)).toEqual([2000, 2000]);
});

test('operator force promotes despite unknown lag; without force it is refused', async () => {
  aws.cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'lag', Values: [] }] });
  const run = handler();

  const refused = await run({ action: 'failover', reason: 'region outage' }, context('req-1'));
  expect(refused).toMatchObject({ ok: true, outcome: 'refused', promoted: false });
  expect(aws.rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);

  const forced = await run({ action: 'failover', reason: 'region outage', force: true }, context('req-2'));
  expect(forced).toMatchObject({ outcome: 'completed', promoted: true });
});

test('status reads the record and the writer target without acting', async () => {
  const run = handler();
  await run(ALARM_EVENT, context('req-1'));
  const before = aws.rds.calls().length;

  const status = await run({ action: 'status' }, context('req-2'));

  expect(status).toMatchObject({ ok: true, outcome: 'completed', promoted: true, writerTarget: CONFIG.primaryEndpoint });
  expect(aws.rds.calls().length).toBe(before);
});

test('an alarm returning to OK is a no-op', async () => {
  const event = { ...ALARM_EVENT, detail: { ...ALARM_EVENT.detail, state: { value: 'OK', reason: 'recovered' } } };
  expect(await handler()(event, context('req-1'))).toEqual({
    ok: true, outcome: 'ignored', message: 'alarm paydb-primary-down-dev changed to OK: no action (only ALARM triggers a failover)',
  });
  expect(aws.totalCalls()).toBe(0);
});

test.each([
  ['not an object', 'failover', /event must be a JSON object/],
  ['unknown action', { action: 'promote' }, /unknown event.*got action "promote"/],
  ['operator without reason', { action: 'failover', force: true }, /reason is required/],
  ['force not boolean', { action: 'failover', reason: 'x', force: 'true' }, /force must be true or false/],
  ['other EventBridge event', { ...ALARM_EVENT, source: 'aws.ec2' }, /unsupported EventBridge event/],
  ['alarm without state', { ...ALARM_EVENT, detail: { alarmName: 'a' } }, /lacks detail.alarmName or detail.state.value/],
])('malformed event (%s) is rejected with a clear error and no AWS call', async (_name, event, message) => {
  const response = await handler()(event, context('req-1'));
  expect(response.ok).toBe(false);
  expect(response.outcome).toBe('rejected');
  expect(response.message).toMatch(message);
  expect(aws.totalCalls()).toBe(0);
  expect(probes).toHaveLength(0);
});
