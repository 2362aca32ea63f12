import { readFailoverStatus, runFailover } from '../../../functions/core/failover-orchestrator';
import type { FailoverRequest } from '../../../functions/core/failover-request';
import { HELD_UNTIL_RELEASED, type WriteLease } from '../../../functions/core/write-lease';
import { EXPIRED_PRIMARY_LEASE, SETTINGS, START, world } from './fakes';

const ALARM: FailoverRequest = { trigger: 'alarm', alarmName: 'paydb-primary-region-failed-dev', reason: 'composite alarm' };
const RESUME: FailoverRequest = { trigger: 'resume' };
const operator = (options: { force?: boolean; switchover?: boolean; confirmPrimaryDead?: boolean } = {}): FailoverRequest => ({
  trigger: 'operator', reason: 'drill', force: options.force ?? false, switchover: options.switchover ?? false, confirmPrimaryDead: options.confirmPrimaryDead ?? false,
});
/** A lease the primary's keeper renewed a moment ago (valid for 45 s more). */
const freshPrimaryLease = (now = START): WriteLease => ({ holder: 'primary', epoch: 3, expiresAt: now + 45_000, writtenBy: 'keeper:k', writtenAt: now });
const answering = { reachable: true, latencyMs: 3, inRecovery: false };
const replicating = { role: 'replica' as const, status: 'available', available: true, replicationState: 'replicating' };
/** Short runs: a waiting decision returns instead of sleeping through a 14-minute budget. */
const SHORT_RUN_MS = 60_000;

test('happy path: lease taken, signal before promotion, writer verified by the database, fence verified', async () => {
  const { calls, ports, run } = world();

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  const order = calls.filter((call) => /^(casLease|publishFailoverSignal|promoteReplica|verifyWriter|pinWriterToDr|fencePrimary)/.test(call));
  expect(order).toEqual(['casLease(dr#4)', 'publishFailoverSignal', 'promoteReplica', 'verifyWriter', 'pinWriterToDr', 'fencePrimary']);
  expect(ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 4, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-1' });
  const stored = (await ports.store.read())!;
  expect(stored).toMatchObject({ status: 'completed', phase: 'acting', writeLeaseEpoch: 4, failedOver: true });
  expect(stored.promoteRequestedAt).toBeDefined();
});

test('defect 1, split brain under partition: the DR side cannot reach the primary but its keeper renews the lease — no promotion', async () => {
  const { ports, run, clock } = world(freshPrimaryLease());
  // Every probe from the DR side fails and the primary region's API does not answer (the fakes' defaults), while
  // the primary's keeper keeps renewing through its own path to the quorum whenever time passes.
  clock.sleep = async (ms: number) => { clock.time += ms; ports.lease.lease = freshPrimaryLease(clock.now()); };

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));

  expect(result.outcome).toBe('waiting');
  expect(result.message).toMatch(/write lease held by the primary/);
  expect(ports.database.promoteCalls).toBe(0);
  expect(ports.lease.lease?.holder).toBe('primary');
  expect((await ports.store.read())).toMatchObject({ status: 'in_progress', phase: 'deciding' });
});

test('defect 1: the DR side takes over only once the lease ran out plus the margin, and never before', async () => {
  const { ports, run, clock } = world(freshPrimaryLease());

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  const taken = ports.lease.lease!;
  expect(taken.holder).toBe('dr');
  expect(taken.writtenAt).toBeGreaterThanOrEqual(START + 45_000 + SETTINGS.takeoverMarginMs);
  expect(clock.now()).toBeGreaterThanOrEqual(START + 75_000);
});

test('defect 1: a DR side cut off from the quorum (lease unreadable) never promotes', async () => {
  const { ports, run } = world();
  ports.lease.failing = new Error('ReplicatedWriteConflictException: no quorum');

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));

  expect(result.outcome).toBe('waiting');
  expect(result.message).toMatch(/write lease unreadable/);
  expect(ports.database.promoteCalls).toBe(0);
});

test('defect 1: a lease never established (keeper never ran) is no evidence: waits, does not promote', async () => {
  const { ports, run } = world(null);

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));

  expect(result.outcome).toBe('waiting');
  expect(ports.database.promoteCalls).toBe(0);
});

test('a primary that answers and holds its lease is a false alarm: closed, nothing promoted', async () => {
  const { ports, run } = world(freshPrimaryLease());
  ports.database.probe = () => answering;

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('false_alarm');
  expect((await ports.store.read())?.status).toBe('aborted');
  expect(ports.database.promoteCalls).toBe(0);
});

test('a crashed lease keeper: the primary answers and its lease expired — never promoted (the keeper that stopped renewing fenced nothing)', async () => {
  const { ports, run } = world(EXPIRED_PRIMARY_LEASE);
  ports.database.probe = () => answering;

  for (const request of [ALARM, operator()]) {
    const result = await runFailover(request, ports, SETTINGS, run(`run-${request.trigger}`));
    expect(result.outcome).toBe('false_alarm');
    expect(result.message).toMatch(/lease keeper is not running/);
  }
  expect(ports.database.promoteCalls).toBe(0);
  expect(ports.lease.lease).toEqual(EXPIRED_PRIMARY_LEASE);
});

test('defect 13, one meaning of reachable: a primary answering with its own SQLSTATE (53300 too many connections) is alive', async () => {
  const { ports, run } = world(freshPrimaryLease());
  ports.database.probe = () => ({ reachable: false, latencyMs: 4, error: '53300: sorry, too many clients already' });

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('false_alarm');
});

test('defect 2, routine states: an operator failover while RDS reports storage-optimization is refused without confirmation', async () => {
  const { ports, run } = world();
  ports.database.primary = () => ({ status: 'storage-optimization', available: false });

  const refused = await runFailover(operator(), ports, SETTINGS, run('run-1'));
  expect(refused.outcome).toBe('refused');
  expect(refused.message).toMatch(/storage-optimization \(serving\)/);
  expect(ports.database.promoteCalls).toBe(0);

  const confirmed = await runFailover(operator({ confirmPrimaryDead: true }), ports, SETTINGS, run('run-2'));
  expect(confirmed.outcome).toBe('completed');
});

test('defect 5: a switchover whose primary does not answer is refused, not silently turned into a failover', async () => {
  const { ports, run } = world();

  const result = await runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('refused');
  expect(result.message).toMatch(/Switchover refused: the primary does not answer/);
  expect(ports.database.promoteCalls).toBe(0);
  expect(ports.lease.writes).toBe(0);
});

test('defect 4, zero-loss switchover: freeze → wait until the replica replayed the frozen WAL position → promote', async () => {
  const { calls, ports, run } = world(freshPrimaryLease());
  ports.database.probe = () => answering;
  ports.database.replica = replicating;
  ports.database.freeze = () => ({ flushLsn: '0/5000', detail: 'frozen' });
  ports.database.replayPositions = ['0/4000', '0/4F00', '0/5000'];

  const result = await runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  const order = calls.filter((call) => /^(casLease|freezePrimary|replicaReplayLsn|promoteReplica)/.test(call));
  expect(order).toEqual(['casLease(dr#4)', 'freezePrimary', 'replicaReplayLsn', 'replicaReplayLsn', 'replicaReplayLsn', 'promoteReplica']);
  expect((await ports.store.read())?.frozenAtLsn).toBe('0/5000');
});

test('defect 4: a replica that does not catch up in time abandons the switchover and undoes it (thaw, lease back, signal withdrawn)', async () => {
  const { calls, ports, run } = world(freshPrimaryLease());
  ports.database.probe = () => answering;
  ports.database.replica = replicating;
  ports.database.replayPositions = ['0/4000'];

  const result = await runFailover(operator({ switchover: true }), ports, { ...SETTINGS, catchUpTimeoutMs: 60_000 }, run('run-1'));

  expect(result.outcome).toBe('aborted');
  expect(result.message).toMatch(/did not replay up to 0\/5000/);
  expect(ports.database.promoteCalls).toBe(0);
  expect(ports.database.thawCalls).toBe(1);
  expect(ports.lease.lease).toMatchObject({ holder: 'primary', epoch: 5 });
  expect(calls).not.toContain('publishFailoverSignal');
});

test('defect 7, one-shot trigger: a refusal is recorded and the resume re-evaluates until it proceeds', async () => {
  const { ports, run } = world();
  ports.database.lag = () => 900; // over the 300 s budget

  const first = await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));
  expect(first.outcome).toBe('waiting');
  expect((await ports.store.read())).toMatchObject({ status: 'in_progress', phase: 'deciding', lastDecision: expect.stringMatching(/over the 300 s budget/) });

  ports.database.lag = () => 12; // the monitor measures again
  const resumed = await runFailover(RESUME, ports, SETTINGS, run('run-2'));
  expect(resumed.outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
});

test('defect 7: an operator may force a waiting decision; cancel closes it with nothing done', async () => {
  const forced = world();
  forced.ports.database.lag = () => undefined;
  expect((await runFailover(ALARM, forced.ports, SETTINGS, forced.run('run-1', SHORT_RUN_MS))).outcome).toBe('waiting');
  const result = await runFailover(operator({ force: true }), forced.ports, SETTINGS, forced.run('run-2'));
  expect(result.outcome).toBe('completed');
  expect(forced.ports.database.promoteCalls).toBe(1);

  const cancelled = world();
  cancelled.ports.database.lag = () => undefined;
  await runFailover(ALARM, cancelled.ports, SETTINGS, cancelled.run('run-1', SHORT_RUN_MS));
  const cancel = await runFailover({ trigger: 'cancel', reason: 'false alarm after all' }, cancelled.ports, SETTINGS, cancelled.run('run-2'));
  expect(cancel.outcome).toBe('aborted');
  expect((await runFailover(RESUME, cancelled.ports, SETTINGS, cancelled.run('run-3'))).outcome).toBe('nothing_to_resume');
});

test('defect 8: a late retry uses the lag estimate recorded at the first decision, not "unknown" from age', async () => {
  const { ports, run } = world();
  let calls = 0;
  ports.database.lag = () => (calls++ === 0 ? 900 : undefined);
  await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));
  expect((await ports.store.read())?.lagSecondsAtDecision).toBe(900);

  const forced = await runFailover(operator({ force: true }), ports, SETTINGS, run('run-2'));

  expect(forced.outcome).toBe('completed');
  expect(forced.state?.steps.checkReplica.detail).toMatch(/replication lag 900 s over .* recorded at the first decision/);
});

test('defect 8: the lag gate is told when the orchestrator\'s own probes first failed and when the primary\'s lease expired (a partition lets an unreachable primary commit until then)', async () => {
  const { ports, run } = world();

  await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  // The fakes' primary never answers: the first probe fails at once, at START (the clock moves only in sleeps).
  expect(ports.database.lagAskedWith[0]).toEqual({ firstFailedProbeAt: new Date(START), primaryLeaseExpiresAt: new Date(EXPIRED_PRIMARY_LEASE.expiresAt) });
});

test('defect 8: a primary that answers gives the lag gate no failure time', async () => {
  const { ports, run } = world();
  ports.database.probe = () => answering;

  await runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-1'));

  expect(ports.database.lagAskedWith.length).toBeGreaterThan(0);
  expect(ports.database.lagAskedWith.every((evidence) => evidence?.firstFailedProbeAt === undefined)).toBe(true);
});

test('defect 8: the lag is estimated and recorded while the decision waits for the lease, so samples aged out of the look-back by the takeover time do not make it "unknown"', async () => {
  const { ports, run } = world(freshPrimaryLease());
  let reads = 0;
  // The monitor's pre-failure samples are inside the look-back only at the first decision.
  ports.database.lag = () => (reads++ === 0 ? 4 : undefined);

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(result.outcome).toBe('completed');
  expect((await ports.store.read())?.lagSecondsAtDecision).toBe(4);
  expect(result.state?.steps.checkReplica.detail).toMatch(/recorded at the first decision/);
});

test('defect 8: a recorded estimate is extended by every lease renewal since — a primary alive behind a partition kept committing', async () => {
  const { ports, run, clock } = world(freshPrimaryLease());
  let reads = 0;
  ports.database.lag = () => (reads++ === 0 ? 4 : undefined);
  // The keeper renews for 120 s more, then its region dies.
  const renewUntil = START + 120_000;
  clock.sleep = async (ms: number) => {
    clock.time += ms;
    if (clock.time < renewUntil) ports.lease.lease = freshPrimaryLease(clock.now());
  };
  await runFailover(ALARM, ports, { ...SETTINGS, maxPromotionLagSeconds: 60 }, run('run-1', 400_000));

  const state = (await ports.store.read())!;
  expect(state.lagSecondsAtDecision).toBe(4);
  // Recorded at the first decision, while the lease still ran for ~45 s.
  expect(state.lagEstimateLeaseExpiresAt).toBeLessThan(START + 60_000);
  // Later renewals moved the expiry on: 4 s + that extension is over the 60 s budget, so no promotion without force.
  expect(ports.database.promoteCalls).toBe(0);
  const used = Number(/replication lag (\d+(?:\.\d+)?) s over the 60 s budget/.exec(state.lastDecision ?? '')?.[1]);
  expect(used).toBeGreaterThan(60);
  expect(used).toBe(4 + (ports.lease.lease!.expiresAt - state.lagEstimateLeaseExpiresAt!) / 1000);
});

test('defect 9, intent written ahead: a crash after the promotion request, then a resume with the primary answering, goes on — never "aborted"', async () => {
  const { ports, run } = world();
  ports.database.promote = () => { throw new Error('Lambda timed out after the request was sent'); };
  const crashed = await runFailover(ALARM, ports, SETTINGS, run('run-1'));
  expect(crashed.outcome).toBe('pending');
  expect(crashed.promoted).toBe(true);
  expect((await ports.store.read())?.promoteRequestedAt).toBeDefined();

  ports.database.promote = () => undefined;
  ports.database.probe = () => answering; // the old primary is back (fenced by its keeper)
  const resumed = await runFailover(RESUME, ports, SETTINGS, run('run-2'));

  expect(resumed.outcome).toBe('completed');
  expect((await runFailover({ trigger: 'cancel', reason: 'too late' }, ports, SETTINGS, run('run-3'))).outcome).toBe('nothing_to_resume');
});

test('defect 9: cancel after a promotion request is refused', async () => {
  const { ports, run } = world();
  ports.database.promotionProgress = [];
  const pending = await runFailover(ALARM, ports, { ...SETTINGS, promotionTimeoutSeconds: 30 }, run('run-1'));
  expect(pending.outcome).toBe('pending');

  const cancel = await runFailover({ trigger: 'cancel', reason: 'changed my mind' }, ports, SETTINGS, run('run-2'));

  expect(cancel.outcome).toBe('refused');
  expect(cancel.message).toMatch(/promotion was requested/);
});

test('defect 10, DNS moves first: the failed-over signal is published before the promotion request', async () => {
  const { calls, ports, run } = world();

  await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(calls.indexOf('publishFailoverSignal')).toBeLessThan(calls.indexOf('promoteReplica'));
});

test('defect 14: a replica still a replica after the request is asked again; RDS "available writer" is not enough without the database', async () => {
  const { calls, ports, run } = world();
  let promoteAttempts = 0;
  ports.database.promote = () => {
    promoteAttempts++;
    if (promoteAttempts === 1) throw Object.assign(new Error('not now'), { name: 'InvalidDBInstanceStateFault' });
  };
  const writes = [false, true];
  ports.database.writer = () => ({ writable: writes.shift() ?? true, detail: 'checked' });

  const result = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  // The refused request is not taken for "in flight": it is asked again, and the writer is checked until it takes a write.
  expect(result.outcome).toBe('completed');
  expect(promoteAttempts).toBe(2);
  expect(calls.filter((call) => call === 'verifyWriter')).toHaveLength(2);
});

test('defect 3, fence not verified: the step stays pending and every resume retries it; repeated alerts are not sent again (defect 15)', async () => {
  const { ports, run } = world();
  ports.database.fence = () => ({ isolated: true, stopped: false, verified: false, detail: 'security group change pending' });

  const first = await runFailover(ALARM, ports, SETTINGS, run('run-1'));
  expect(first.outcome).toBe('pending');
  expect((await runFailover(RESUME, ports, SETTINGS, run('run-2'))).outcome).toBe('pending');
  const alertsSoFar = ports.alerts.sent.length;
  for (const id of ['run-3', 'run-4', 'run-5']) expect((await runFailover(RESUME, ports, SETTINGS, run(id))).outcome).toBe('pending');
  expect(ports.alerts.sent.length).toBe(alertsSoFar); // no alert storm while the fence is pending (one every 5 min before)

  ports.database.fence = () => ({ isolated: true, stopped: true, verified: true });
  expect((await runFailover(RESUME, ports, SETTINGS, run('run-6'))).outcome).toBe('completed');
});

test('defect 15: an unexpected failure releases the run lock so the next resume continues at once', async () => {
  const { ports, run, clock } = world();
  ports.database.describeReplicaFailures = () => { throw new Error('DR RDS API down'); };

  const failed = await runFailover(ALARM, ports, SETTINGS, run('run-1'));

  expect(failed.outcome).toBe('failed');
  expect((await ports.store.read())!.leaseExpiresAt).toBeLessThanOrEqual(clock.now());
  ports.database.describeReplicaFailures = () => undefined;
  expect((await runFailover(RESUME, ports, SETTINGS, run('run-2'))).outcome).toBe('completed');
});

test('exactly once: concurrent and later triggers yield one promotion', async () => {
  const { ports, run } = world();

  const [first, second] = await Promise.all([
    runFailover(ALARM, ports, SETTINGS, run('run-a')),
    runFailover(ALARM, ports, SETTINGS, run('run-b')),
  ]);
  const later = await runFailover(ALARM, ports, SETTINGS, run('run-c'));

  expect([first.outcome, second.outcome].sort()).toEqual(['already_in_progress', 'completed']);
  expect(later.outcome).toBe('already_completed');
  expect(ports.database.promoteCalls).toBe(1);
});

test('defect 16, alarm lost to an operator\'s decision: an alarm that meets the lock of a switchover being refused still fails over', async () => {
  const { calls, ports, run } = world();
  // The primary is dead (the fakes' probes fail, its region's API is silent) and its lease ran out. An operator asks
  // for a switchover a moment before the composite alarm fires: the alarm meets the switchover's run lock while that
  // run decides, and the switchover is then refused. The alarm is delivered once; before, it returned
  // `already_in_progress` and nothing failed over.
  const switchover = runFailover(operator({ switchover: true }), ports, SETTINGS, run('run-operator'));
  const alarm = runFailover(ALARM, ports, SETTINGS, run('run-alarm'));

  const [refused, failedOver] = await Promise.all([switchover, alarm]);

  expect(refused.outcome).toBe('refused');
  expect(failedOver.outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
  expect(calls).not.toContain('freezePrimary');
  expect((await ports.store.read())).toMatchObject({ runId: 'run-alarm', status: 'completed', trigger: 'alarm:paydb-primary-region-failed-dev' });
});

test('defect 16: an alarm that meets another alarm\'s decision is served by it and returns at once', async () => {
  const { ports, run } = world();
  const first = runFailover(ALARM, ports, SETTINGS, run('run-a'));
  const duplicate = await runFailover(ALARM, ports, SETTINGS, run('run-b'));

  expect(duplicate.outcome).toBe('already_in_progress');
  expect(ports.logger.entries.map((entry) => entry.message)).not.toContain('alarm waits for the decision on an operator request');
  expect((await first).outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
});

test('manual-confirm mode (no lease store): an alarm waits for an operator; a confirmation promotes', async () => {
  const { ports, run } = world();
  const manual = { ...ports, lease: undefined };
  const settings = { ...SETTINGS, failoverMode: 'manual-confirm' as const };

  const alarm = await runFailover(ALARM, manual, settings, run('run-1', SHORT_RUN_MS));
  expect(alarm.outcome).toBe('waiting');
  expect(alarm.message).toMatch(/manual confirmation required/);

  const confirmed = await runFailover(operator({ confirmPrimaryDead: true }), manual, settings, run('run-2'));
  expect(confirmed.outcome).toBe('completed');
  expect(ports.database.promoteCalls).toBe(1);
});

test('status of a waiting decision says why it waits', async () => {
  const { ports, run, clock } = world(freshPrimaryLease());
  clock.sleep = async (ms: number) => { clock.time += ms; ports.lease.lease = freshPrimaryLease(clock.now()); };
  await runFailover(ALARM, ports, SETTINGS, run('run-1', SHORT_RUN_MS));

  const status = await readFailoverStatus(ports);

  expect(status.outcome).toBe('waiting');
  expect(status.message).toMatch(/write lease held by the primary/);
  expect(EXPIRED_PRIMARY_LEASE.holder).toBe('primary');
});

test('unknown lag: the wait tells the operator why, as the lag source explains it (a primary that committed after its lease expired)', async () => {
  const { ports, run } = world();
  const basis = 'the primary committed a heartbeat at 2026-11-21T12:09:00.000Z, after its write lease expired at 2026-11-21T12:01:00.000Z: '
    + 'its keeper was not fencing it, so nothing bounds what it committed';
  const estimates = Object.assign(ports.database, { replicationLagEstimate: async () => ({ lagSeconds: undefined, basis }) });

  const result = await runFailover(ALARM, { ...ports, database: estimates }, SETTINGS, run('run-1', SHORT_RUN_MS));

  expect(result.outcome).toBe('waiting');
  expect(result.message).toContain(`replication lag unknown (counts as over the 300 s budget) (${basis})`);
  expect(ports.database.promoteCalls).toBe(0);
});
