import { readFailoverStatus, runFailover } from '../../../functions/core/failover-orchestrator';
import type { FailoverRequest } from '../../../functions/core/failover-request';
import { LeaseLostError, type FailoverState } from '../../../functions/core/ports';
import { SETTINGS, START, world } from './fakes';

const ALARM: FailoverRequest = { trigger: 'alarm', alarmName: 'paydb-primary-down-dev', reason: 'composite alarm' };
const RESUME: FailoverRequest = { trigger: 'resume' };
const operator = (options: { force?: boolean; switchover?: boolean } = {}): FailoverRequest => ({
  trigger: 'operator', reason: 'drill', force: options.force ?? false, switchover: options.switchover ?? false,
});
const throttling = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

const PROBES = ['probePrimary(5000)', 'probePrimary(5000)', 'probePrimary(5000)', 'describePrimary'];

test('happy path: verify → lag → lock → promote → wait → DNS signal → sticky DNS → fence → report', async () => {
  const { calls, ports, run, clock } = world();

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  expect(result.promoted).toBe(true);
  expect(calls).toEqual([
    ...PROBES, 'describeReplica', 'replicationLagSeconds', 'acquireLock',
    'describeReplica', 'promoteReplica', 'describeReplica', 'describeReplica',
    'publishFailoverSignal', 'pinWriterToDr', 'fencePrimary',
  ]);
  // two 5 s gaps between the three probes, one 15 s writer poll
  expect(clock.sleeps).toEqual([5000, 5000, 15000]);
  const stored = (await ports.store.read())!;
  expect(stored).toMatchObject({
    status: 'completed', mode: 'failover', trigger: 'alarm:paydb-primary-down-dev', failedOver: true, force: false,
    lagSecondsAtDecision: 4, recoveredAt: new Date(START + 25_000).toISOString(), completedAt: new Date(START + 25_000).toISOString(),
  });
  expect(stored.leaseExpiresAt).toBe(START + 25_000);
  expect(Object.values(stored.steps).map((step) => step.status)).toEqual(Array(7).fill('done'));
  expect(result.timeline).toMatchObject({ recoverySeconds: 25, totalSeconds: 25 });
  expect(result.timeline?.steps.map((step) => [step.step, step.seconds])).toEqual([
    ['verifyPrimaryDown', 10], ['checkReplica', 0], ['promoteReplica', 0], ['waitForWriter', 15],
    ['publishDnsSignal', 0], ['pinDnsRecord', 0], ['fenceOldPrimary', 0],
  ]);
  expect(ports.alerts.subjects).toEqual(['DR failover: requested', 'DR failover: proceeding', 'DR failover: completed']);
  expect(ports.alerts.sent[2].message).toContain('Time to DR writer reachable (RTO): 25 s');
  expect(ports.metrics.data).toContainEqual({ name: 'FailoverDurationSeconds', value: 25, unit: 'Seconds' });
  expect(ports.metrics.data).toContainEqual({ name: 'FailoverStepSeconds', value: 15, unit: 'Seconds', dimensions: { Step: 'waitForWriter' } });
  expect(ports.metrics.data.filter((datum) => datum.name === 'FailoverStepSeconds')).toHaveLength(7);
});

test('duplicate triggers: concurrent and later ones yield exactly one promotion', async () => {
  const { ports, run } = world();

  const [first, second] = await Promise.all([
    runFailover(ALARM, ports, SETTINGS, run('run-a')),
    runFailover(operator(), ports, SETTINGS, run('run-b')),
  ]);
  const later = await runFailover(ALARM, ports, SETTINGS, run('run-c'));

  expect([first.outcome, second.outcome].sort()).toEqual(['already_in_progress', 'completed']);
  expect(later.outcome).toBe('already_completed');
  expect(later.message).toMatch(/already completed/);
  expect(ports.database.promoteCalls).toBe(1);
});

test('false alarm: the primary answers, nothing is locked or promoted, even with force', async () => {
  for (const request of [ALARM, operator({ force: true })]) {
    const { calls, ports, run } = world();
    ports.database.probe = () => ({ reachable: true, latencyMs: 12, inRecovery: false });

    const result = await runFailover(request, ports, SETTINGS, run('run-1'));

    expect(result.outcome).toBe('false_alarm');
    expect(result.message).toMatch(/"switchover": true/);
    expect(calls).toEqual(['probePrimary(5000)']);
    expect(await ports.store.read()).toBeUndefined();
    expect(ports.alerts.subjects).toEqual(['DR failover: requested', 'DR failover: false alarm, no promotion']);
  }
});

test('one answering probe out of three is enough to call it a false alarm', async () => {
  const { ports, run } = world();
  const answers = [false, false, true];
  ports.database.probe = () => ({ reachable: answers.shift()!, latencyMs: 10 });

  expect((await runFailover(ALARM, ports, SETTINGS, run('run-1'))).outcome).toBe('false_alarm');
});

describe('replication lag (RPO budget)', () => {
  test.each([
    ['over budget', () => 301, /lag 301 s over the 300 s budget/],
    ['unknown', () => undefined, /lag unknown/],
    ['unreadable', () => { throw throttling(); }, /lag unknown/],
  ])('%s: refused without force, nothing locked', async (_name, lag, message) => {
    const { calls, ports, run } = world();
    ports.database.lag = lag;

    const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(message);
    expect(result.message).toMatch(/"force":true/);
    expect(calls).not.toContain('acquireLock');
    expect(calls).not.toContain('promoteReplica');
    expect(ports.alerts.subjects).toContain('DR failover: refused, lag over budget');
  });

  test('forced by an operator: promotes and records the override', async () => {
    const { ports, run } = world();
    ports.database.lag = () => undefined;

    const result = await runFailover(operator({ force: true }), ports, SETTINGS, run('run-1'));

    expect(result.outcome).toBe('completed');
    expect(ports.database.promoteCalls).toBe(1);
    const stored = (await ports.store.read())!;
    expect(stored.force).toBe(true);
    expect(stored.lagSecondsAtDecision).toBeUndefined();
    expect(stored.steps.checkReplica.detail).toMatch(/unknown.*overridden by operator force/);
  });

  test('a replica that is not available is refused even with force', async () => {
    const { calls, ports, run } = world();
    ports.database.replica = { role: 'replica', status: 'storage-full', available: false };

    const result = await runFailover(operator({ force: true }), ports, SETTINGS, run('run-1'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/not available \(status storage-full\)/);
    expect(calls).not.toContain('promoteReplica');
  });
});

test('replica already promoted: no lag check, no second promote, DNS and fencing still done', async () => {
  const { calls, ports, run } = world();
  ports.database.replica = { role: 'writer', status: 'available', available: true };
  ports.database.promotionProgress = [];

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  expect(calls).not.toContain('promoteReplica');
  expect(calls).not.toContain('replicationLagSeconds');
  expect(calls).toEqual(expect.arrayContaining(['publishFailoverSignal', 'pinWriterToDr', 'fencePrimary']));
  expect((await ports.store.read())!.steps.promoteReplica.detail).toMatch(/already writer/);
});

/** A record left by a run that died right after PromoteReadReplica, before persisting. */
function deadRunRecord(overrides: Partial<FailoverState> = {}): FailoverState {
  return {
    runId: 'dead-run', status: 'in_progress', mode: 'failover', trigger: 'alarm:x', reason: '', force: false,
    startedAt: new Date(START - 600_000).toISOString(), failedOver: false, leaseOwner: 'dead-run',
    leaseExpiresAt: START - 1, version: 3, steps: {}, ...overrides,
  };
}

test('resume after a dead run: expired lease is taken over, promoting replica is not promoted again', async () => {
  const { calls, ports, run } = world();
  await ports.store.acquire(deadRunRecord(), START - 600_000);
  ports.database.replica = { role: 'promoting', status: 'modifying', available: false };
  ports.database.promotionProgress = [{ role: 'writer', status: 'available', available: true }];

  const result = await runFailover(RESUME, ports, SETTINGS, run('run-2'));

  expect(result.outcome).toBe('completed');
  expect(calls).not.toContain('promoteReplica');
  expect(calls).not.toContain('probePrimary(5000)');
  const stored = (await ports.store.read())!;
  expect(stored.runId).toBe('dead-run');
  expect(ports.alerts.subjects[0]).toBe('DR failover: resuming');
  expect(result.timeline?.totalSeconds).toBe(600);
});

test('a live lease is respected: "already in progress", no action', async () => {
  const { calls, ports, run } = world();
  await ports.store.acquire(deadRunRecord({ leaseOwner: 'live-run', leaseExpiresAt: START + 60_000 }), START);

  for (const request of [RESUME, ALARM]) {
    const result = await runFailover(request, ports, SETTINGS, run('run-2'));
    expect(result.outcome).toBe('already_in_progress');
    expect(result.message).toMatch(/lease held by live-run until 2026-11-21T10:01:00.000Z/);
  }
  expect(calls.filter((call) => call !== 'acquireLock')).toEqual([]);
});

test('resume with nothing recorded does nothing and sends nothing', async () => {
  const { calls, ports, run } = world();
  const result = await runFailover(RESUME, ports, SETTINGS, run('run-1'));
  expect(result.outcome).toBe('nothing_to_resume');
  expect(calls).toEqual([]);
  expect(ports.alerts.sent).toEqual([]);
});

test('RDS throttling mid-way is retried with bounded backoff', async () => {
  const { ports, run, clock } = world();
  let failures = 2;
  ports.database.promote = () => { if (failures-- > 0) throw throttling(); };

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
  expect(clock.sleeps).toEqual([5000, 5000, 1000, 2000, 15000]);
});

test('persistent RDS errors: state kept, clear report, resume re-verifies the primary and finishes', async () => {
  const { calls, ports, run } = world();
  ports.database.promote = () => { throw throttling(); };

  const first = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(first.outcome).toBe('pending');
  expect(first.promoted).toBe(false);
  expect(first.message).toMatch(/steps not done: promoteReplica, waitForWriter, publishDnsSignal, pinDnsRecord, fenceOldPrimary/);
  let stored = (await ports.store.read())!;
  expect(stored.status).toBe('in_progress');
  expect(stored.steps.promoteReplica).toMatchObject({ status: 'failed', attempts: 1, error: 'ThrottlingException: Rate exceeded' });
  expect(stored.steps.waitForWriter).toBeUndefined();
  expect(calls.filter((call) => call === 'promoteReplica')).toHaveLength(SETTINGS.retry.attempts);
  expect(calls).not.toContain('publishFailoverSignal');
  expect(ports.alerts.subjects).toContain('DR failover: step promoteReplica not done');

  ports.database.promote = () => undefined;
  calls.length = 0;
  const resumed = await runFailover(RESUME, ports, SETTINGS, run('run-2'));

  expect(resumed.outcome).toBe('completed');
  expect(calls.slice(0, 6)).toEqual(['acquireLock', 'describeReplica', ...PROBES]);
  stored = (await ports.store.read())!;
  expect(stored.steps.promoteReplica).toMatchObject({ status: 'done', attempts: 2 });
  expect(ports.database.promoteCalls).toBe(1);
});

test('a resumed run that finds the primary alive again aborts before promoting', async () => {
  const { calls, ports, run } = world();
  await ports.store.acquire(deadRunRecord(), START - 600_000);
  ports.database.probe = () => ({ reachable: true, latencyMs: 8 });

  const result = await runFailover(RESUME, ports, SETTINGS, run('run-2'));

  expect(result.outcome).toBe('aborted');
  expect(calls).not.toContain('promoteReplica');
  expect((await ports.store.read())!.status).toBe('aborted');
  // an aborted failover does not block a later, fresh one
  ports.database.probe = () => ({ reachable: false, latencyMs: 5000 });
  expect((await runFailover(ALARM, ports, SETTINGS, run('run-3'))).outcome).toBe('completed');
  expect((await ports.store.read())!.runId).toBe('run-3');
});

test('Route53 API down: FailedOver signal still published, sticky update pending and done on resume', async () => {
  const { calls, ports, run } = world();
  ports.dns.pin = () => { throw Object.assign(new Error('Route53 unavailable'), { name: 'ServiceUnavailable' }); };

  const first = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(first.outcome).toBe('pending');
  expect(first.promoted).toBe(true);
  expect(first.message).toMatch(/steps not done: pinDnsRecord\./);
  expect(calls).toEqual(expect.arrayContaining(['publishFailoverSignal', 'fencePrimary']));
  let stored = (await ports.store.read())!;
  expect(stored).toMatchObject({ status: 'in_progress', failedOver: true, leaseExpiresAt: expect.any(Number) });
  expect(stored.steps.pinDnsRecord).toMatchObject({ status: 'failed', error: 'ServiceUnavailable: Route53 unavailable' });
  expect(stored.steps.fenceOldPrimary.status).toBe('done');

  ports.dns.pin = () => undefined;
  calls.length = 0;
  const resumed = await runFailover(RESUME, ports, SETTINGS, run('run-2'));

  expect(resumed.outcome).toBe('completed');
  expect(calls).toEqual(['acquireLock', 'pinWriterToDr']);
  stored = (await ports.store.read())!;
  expect(stored.steps.pinDnsRecord).toMatchObject({ status: 'done', attempts: 2 });
});

test('fencing fails while the primary region is down: pending, retried on every resume until done', async () => {
  const { calls, ports, run } = world();
  ports.database.fence = () => { throw new Error('connect ETIMEDOUT rds.us-east-1.amazonaws.com'); };

  expect((await runFailover(ALARM, ports, SETTINGS, run('run-1'))).outcome).toBe('pending');
  expect((await runFailover(RESUME, ports, SETTINGS, run('run-2'))).outcome).toBe('pending');
  expect((await ports.store.read())!.steps.fenceOldPrimary).toMatchObject({ status: 'failed', attempts: 2 });

  ports.database.fence = () => ({ isolated: true, stopped: false, detail: 'StopDBInstance refused: has read replicas' });
  calls.length = 0;
  const done = await runFailover(RESUME, ports, SETTINGS, run('run-3'));

  expect(done.outcome).toBe('completed');
  expect(calls).toEqual(['acquireLock', 'fencePrimary']);
  expect((await ports.store.read())!.steps.fenceOldPrimary.detail).toBe('old primary isolated, not stopped (StopDBInstance refused: has read replicas)');
  expect(ports.database.promoteCalls).toBe(1);
});

test('a promotion slower than the timeout leaves the wait pending; resume keeps waiting', async () => {
  const { ports, run } = world();
  ports.database.promotionProgress = Array(50).fill({ role: 'promoting', status: 'modifying', available: false });
  const settings = { ...SETTINGS, promotionTimeoutSeconds: 60 };

  const first = await runFailover(ALARM, ports, settings, run('run-1'));

  expect(first.outcome).toBe('pending');
  expect((await ports.store.read())!.steps.waitForWriter).toMatchObject({ status: 'pending', detail: expect.stringMatching(/not yet an available writer after 60 s \(last: promoting\/modifying\)/) });
  expect((await ports.store.read())!.failedOver).toBe(false);

  ports.database.promotionProgress = [{ role: 'writer', status: 'available', available: true }];
  expect((await runFailover(RESUME, ports, settings, run('run-2'))).outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
});

test('planned switchover of a live primary: fence first, then promote', async () => {
  const { calls, ports, run } = world();
  ports.database.probe = () => ({ reachable: true, latencyMs: 9 });
  ports.database.replica = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' };

  const result = await runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  expect((await ports.store.read())!.mode).toBe('switchover');
  expect(calls.indexOf('fencePrimary')).toBeLessThan(calls.indexOf('promoteReplica'));
});

test('switchover whose fencing fails never promotes', async () => {
  const { calls, ports, run } = world();
  ports.database.probe = () => ({ reachable: true, latencyMs: 9 });
  ports.database.replica = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' };
  ports.database.fence = () => { throw new Error('InvalidDBInstanceState'); };

  const result = await runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('pending');
  expect(calls).not.toContain('promoteReplica');
});

test('another run taking over the lease stops this run at its next save', async () => {
  const { calls, ports, run } = world();
  const save = ports.store.save.bind(ports.store);
  ports.store.save = async (state) => {
    if (state.steps.promoteReplica) throw new LeaseLostError('version changed');
    return save(state);
  };

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('lease_lost');
  expect(calls).not.toContain('publishFailoverSignal');
});

test('failing notifications and metrics never stop the failover', async () => {
  const { ports, run } = world();
  ports.alerts.failing = true;
  ports.metrics.record = async () => { throw new Error('CloudWatch down'); };

  expect((await runFailover(ALARM, ports, SETTINGS, run('run-1'))).outcome).toBe('completed');
  expect(ports.logger.entries.filter((entry) => entry.message === 'notification failed')).toHaveLength(3);
});

test('a control plane that cannot describe the replica means no promotion, clear failure', async () => {
  const { calls, ports, run } = world();
  ports.database.describeReplicaFailures = () => { throw throttling(); };

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('failed');
  expect(result.message).toMatch(/ThrottlingException: Rate exceeded\. Nothing was promoted/);
  expect(calls).not.toContain('acquireLock');
  expect(calls.filter((call) => call === 'describeReplica')).toHaveLength(SETTINGS.retry.attempts);
});

test('status reports the stored record and its timeline without acting', async () => {
  const { calls, ports, run } = world();
  await runFailover(ALARM, ports, SETTINGS, run('run-1'));
  calls.length = 0;

  const status = await readFailoverStatus(ports);

  expect(status).toMatchObject({ outcome: 'completed', promoted: true, timeline: { recoverySeconds: 25 } });
  expect(calls).toEqual([]);
});
