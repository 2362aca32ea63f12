/**
 * Issue 11, items 3 and 4 in the core: re-protection after a failover (the old writer renamed away, a replica of the
 * promoted writer under the configured name of the other region, its automated backups replicated there, waited for
 * across resumes), and the deliberate fail-back: the same zero-loss planned switchover, on the pair the re-protection
 * left (the promoted DR database → the new primary-region database), then the re-protection back, which returns the
 * estate to its configured pair. Fakes only (./reprotect-fakes.ts): the orchestrator's ports, the fleet of databases by role, and the
 * other region's control plane.
 */
import { rolesAfter, whyNotOnConfiguredPair, writerNameFailedOver } from '../../../functions/core/estate-roles';
import { readFailoverStatus, retiredIdentifier, runFailover } from '../../../functions/core/failover-orchestrator';
import type { FailoverRequest } from '../../../functions/core/failover-request';
import { LeaseKeeper } from '../../../functions/core/lease-keeper';
import { HELD_UNTIL_RELEASED, keeperMayHold, leaseFor, type WriteLease } from '../../../functions/core/write-lease';
import { FakeAlerts, FakeClock, FakeLeaseStore, SETTINGS, SilentLogger, START } from './fakes';
import { conflict, CONFIGURED, DR, fleetWorld, PRIMARY } from './reprotect-fakes';

const ALARM: FailoverRequest = { trigger: 'alarm', alarmName: 'paydb-primary-region-failed-dev', reason: 'composite alarm' };
const RESUME: FailoverRequest = { trigger: 'resume' };
const REPROTECT: FailoverRequest = { trigger: 'reprotect', reason: 'protect the promoted writer' };
const SWITCHBACK: FailoverRequest = { trigger: 'operator', reason: 'fail back to the primary region', force: false, switchover: true, confirmPrimaryDead: false };
const FAILOVER: FailoverRequest = { trigger: 'operator', reason: 'unplanned', force: false, switchover: false, confirmPrimaryDead: true };
const BACK = { writer: DR, replica: PRIMARY };
/** Re-protection runs that return quickly (a waiting step polls until the run's deadline). */
const SHORT_RUN_MS = 60_000;

/** A world whose alarm failover completed: the DR database writes and holds the lease, nothing protects it. */
async function failedOver() {
  const w = fleetWorld();
  const result = await runFailover(ALARM, w.ports, SETTINGS, w.run('run-failover'));
  expect(result.outcome).toBe('completed');
  expect(w.ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 4 });
  w.calls.length = 0;
  return w;
}

/** …then re-protected: the replica in the primary region replicates from the DR writer, backups too. */
async function reprotected() {
  const w = await failedOver();
  expect((await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-reprotect'))).outcome).toBe('completed');
  w.calls.length = 0;
  // The fail-back pair's fakes: the DR writer answers, the re-protection replica replicates and catches up.
  const back = w.fleet.pairDatabase(BACK);
  back.probe = () => ({ reachable: true, latencyMs: 3, inRecovery: false });
  back.primary = () => ({ status: 'available', available: true });
  back.replica = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' };
  back.freeze = () => ({ flushLsn: '0/9000', detail: 'frozen' });
  back.replayPositions = ['0/8000', '0/9000'];
  return { ...w, back };
}

describe('re-protection: only after a failover, only for the writer that holds the lease', () => {
  test('refused on the configured estate (no failover recorded): nothing created, nothing recorded', async () => {
    const { ports, run, reprotection } = fleetWorld();

    const result = await runFailover(REPROTECT, ports, SETTINGS, run('run-1'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/Nothing to re-protect: writer paydb-primary-db-dev .* replica paydb-dr-replica-db-dev/);
    expect(reprotection.creates).toBe(0);
    expect(await ports.store.read()).toBeUndefined();
  });

  test('refused while the failover is still in progress (its fence pending)', async () => {
    const w = fleetWorld();
    w.ports.database.fence = () => ({ isolated: true, stopped: false, verified: false, detail: 'security group change pending' });
    expect((await runFailover(ALARM, w.ports, SETTINGS, w.run('run-1'))).outcome).toBe('pending');

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/failover run-1 is in progress \(steps not done: fenceOldPrimary\)/);
    expect(w.reprotection.creates).toBe(0);
    expect((await w.ports.store.read())).toMatchObject({ runId: 'run-1', mode: 'failover', status: 'in_progress' });
  });

  test('refused when the promoted writer does not hold the write lease: nothing created, the failover record kept', async () => {
    const w = await failedOver();
    w.ports.lease.lease = { holder: 'primary', epoch: 5, expiresAt: START + 45_000, writtenBy: 'operator', writtenAt: START };

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/the writer paydb-dr-replica-db-dev \(DR region\) does not hold the write lease/);
    expect(w.reprotection.creates).toBe(0);
    expect(w.calls).not.toContain('describeTarget(paydb-primary-db-dev)');
    expect(w.reprotection.retirements).toEqual([]);
    expect((await w.ports.store.read())).toMatchObject({ runId: 'run-failover', mode: 'failover', status: 'completed' });
  });

  test('refused when the deployment has no re-protection target configured for the other region', async () => {
    const w = await failedOver();
    w.reprotection.targets = {};

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/no replica is configured for paydb-dr-replica-db-dev \(DR region\) in the primary region/);
  });
});

describe('re-protection: create, replicate backups, wait across resumes', () => {
  test('happy path: the old primary renamed away, its name given to a replica of the DR writer, backups replicated there, waited for across resumes', async () => {
    const w = await failedOver();
    // The new replica is still being created when the first run reaches its deadline.
    w.reprotection.progress = [
      { status: 'creating', available: false, source: DR },
      { status: 'creating', available: false, source: DR },
      { status: 'available', available: true, source: DR, replicationState: 'replicating' },
    ];
    w.reprotection.backupProgress = [{ state: 'pending', detail: 'pending' }, { state: 'replicating', detail: 'replicating' }];
    const settings = { ...SETTINGS, replicaPollIntervalMs: 40_000 };

    const first = await runFailover(REPROTECT, w.ports, settings, w.run('run-2', SHORT_RUN_MS));

    expect(first.outcome).toBe('pending');
    const pending = (await w.ports.store.read())!;
    expect(pending).toMatchObject({
      mode: 'reprotect', status: 'in_progress', follows: 'run-failover', failedOver: true, reprotect: { writer: DR, target: PRIMARY },
    });
    expect(pending.reprotect?.retiredAs).toMatch(/^paydb-primary-db-dev-retired-20261121\d{4}$/);
    expect(w.calls.filter((call) => /^(retireOldWriter|createReplica|startBackupReplication)/.test(call))).toEqual([
      `retireOldWriter(paydb-primary-db-dev→${pending.reprotect?.retiredAs})`, `retireOldWriter(paydb-primary-db-dev→${pending.reprotect?.retiredAs})`,
      'createReplica(paydb-dr-replica-db-dev→paydb-primary-db-dev)', 'startBackupReplication(paydb-dr-replica-db-dev→primary)',
    ]);
    expect(pending.steps.retireOldWriter.detail).toMatch(/the old writer paydb-primary-db-dev \(primary region\) is isolated and renamed paydb-primary-db-dev-retired-\d{12}/);
    expect(pending.reprotect?.createRequestedAt).toBeDefined();
    expect(pending.steps.waitForReplica).toMatchObject({ status: 'pending' });
    expect(rolesAfter(pending, CONFIGURED)).toEqual({ writer: DR });

    const resumed = await runFailover(RESUME, w.ports, settings, w.run('run-3'));

    expect(resumed.outcome).toBe('completed');
    expect(w.reprotection.creates).toBe(1);
    expect(w.reprotection.backupStarts).toBe(1);
    const done = (await w.ports.store.read())!;
    expect(done.reprotect?.protectedAt).toBeDefined();
    expect(rolesAfter(done, CONFIGURED)).toEqual({ writer: DR, replica: PRIMARY });
    expect(done.history?.map((entry) => [entry.runId, entry.mode, entry.status])).toEqual([['run-failover', 'failover', 'completed']]);
    // Re-protection changes neither the writer nor the writer name nor the lease.
    expect(writerNameFailedOver(done)).toBe(true);
    expect(w.ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 4 });
    expect(w.calls).not.toContain('promoteReplica');
    expect(w.ports.database.promoteCalls).toBe(1);
  });

  test('a replica that is not replicating (yet) is not re-protection', async () => {
    const w = await failedOver();
    w.reprotection.progress = [{ status: 'available', available: true, source: DR, replicationState: 'error' }];

    const result = await runFailover(REPROTECT, w.ports, { ...SETTINGS, replicaPollIntervalMs: 20_000 }, w.run('run-2', SHORT_RUN_MS));

    expect(result.outcome).toBe('pending');
    expect(result.state?.steps.waitForReplica.detail).toMatch(/replication error/);
  });

  test('a replicating replica whose writer\'s backups do not replicate yet is not re-protection either', async () => {
    const w = await failedOver();
    w.reprotection.progress = [{ status: 'available', available: true, source: DR, replicationState: 'replicating' }];
    w.reprotection.backupProgress = [{ state: 'pending', detail: 'no restorable time in the primary region yet' }];

    const result = await runFailover(REPROTECT, w.ports, { ...SETTINGS, replicaPollIntervalMs: 20_000 }, w.run('run-2', SHORT_RUN_MS));

    expect(result.outcome).toBe('pending');
    expect(result.state?.steps.waitForReplica.detail).toMatch(/backups pending \(no restorable time in the primary region yet\)/);
    expect(result.state?.reprotect?.protectedAt).toBeUndefined();
  });

  test('idempotent: a replica of the writer already named as the target is adopted, not created again', async () => {
    const w = await failedOver();
    w.reprotection.existing = { status: 'available', available: true, source: DR, replicationState: 'replicating' };
    w.reprotection.progress = [w.reprotection.existing];

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('completed');
    expect(w.reprotection.creates).toBe(0);
    expect(result.state?.reprotect?.adopted).toBe(true);
    expect(result.state?.steps.createReplica.detail).toMatch(/already existed and is adopted/);
  });

  test('a crash after the creation request: the resume finds the replica it asked for (ours, not adopted) and goes on', async () => {
    const w = await failedOver();
    w.reprotection.createFailure = new Error('Lambda timed out after the request was sent');
    w.reprotection.createFailureAfterAccept = true;

    const crashed = await runFailover(REPROTECT, w.ports, { ...SETTINGS, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }, w.run('run-2'));
    expect(crashed.outcome).toBe('pending');
    expect(crashed.state?.steps.createReplica).toMatchObject({ status: 'failed' });

    const resumed = await runFailover(RESUME, w.ports, SETTINGS, w.run('run-3'));

    expect(resumed.outcome).toBe('completed');
    expect(w.reprotection.creates).toBe(1);
    expect(resumed.state?.reprotect?.adopted).toBeUndefined();
  });

  test('the target name taken by a replica of another database: neither the old writer nor ours, refused loudly, nothing renamed or created', async () => {
    const w = await failedOver();
    w.reprotection.existing = { status: 'available', available: true, source: { unknown: 'arn:aws:rds:us-west-2:111111111111:db:someone-else' }, replicationState: 'replicating' };

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/paydb-primary-db-dev \(primary region\) replicates from arn:aws:rds:us-west-2:111111111111:db:someone-else .*neither the old writer nor a replica/);
    expect(w.reprotection.creates).toBe(0);
    expect(w.reprotection.retirements).toEqual([]);
    expect(w.ports.alerts.subjects).toContain('DR failover: re-protection refused');
    const state = (await w.ports.store.read())!;
    expect(state).toMatchObject({ mode: 'reprotect', status: 'aborted' });
    expect(rolesAfter(state, CONFIGURED)).toEqual({ writer: DR });
  });

  test('an old writer the adapter cannot retire safely (stopped outside its fence): refused, nothing created, the old writer keeps its name', async () => {
    const w = await failedOver();
    w.reprotection.retireFailure = conflict('paydb-primary-db-dev is stopped outside its fence security group');

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/stopped outside its fence security group/);
    expect(w.reprotection.creates).toBe(0);
    expect(w.reprotection.retirements).toHaveLength(1);
  });

  test('the old writer already gone (deleted by an operator): nothing to retire, the replica is created under the free name', async () => {
    const w = await failedOver();
    w.reprotection.existing = undefined;

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('completed');
    expect(w.reprotection.retirements).toEqual([]);
    expect(result.state?.steps.retireOldWriter.detail).toMatch(/no database holds the name paydb-primary-db-dev: nothing to retire/);
    expect(w.reprotection.creates).toBe(1);
  });

  test('a rename still under way when the run ends is finished by the resume, under the name chosen first (written before the request)', async () => {
    const w = await failedOver();
    w.reprotection.retireProgress = [
      { done: false, detail: 'start requested' }, { done: false, detail: 'rename requested' }, { done: false, detail: 'renaming' }, { done: true, detail: 'renamed' },
    ];
    const settings = { ...SETTINGS, replicaPollIntervalMs: 40_000 };

    const first = await runFailover(REPROTECT, w.ports, settings, w.run('run-2', SHORT_RUN_MS));
    expect(first.outcome).toBe('pending');
    expect(first.state?.steps.retireOldWriter).toMatchObject({ status: 'pending' });
    expect(first.state?.steps.retireOldWriter?.detail).toMatch(/renaming the old writer .* resume continues/);
    expect(w.reprotection.creates).toBe(0);
    w.clock.time += 3_600_000;

    const resumed = await runFailover(RESUME, w.ports, settings, w.run('run-3'));

    expect(resumed.outcome).toBe('completed');
    const names = new Set(w.reprotection.retirements);
    expect(names.size).toBe(1);
    expect([...names][0]).toBe(`paydb-primary-db-dev→${first.state?.reprotect?.retiredAs}`);
  });

  test('the name taken between the look and the create (the adapter reports the conflict): refused, not retried', async () => {
    const w = await failedOver();
    w.reprotection.createFailure = conflict('DBInstanceAlreadyExists: paydb-primary-db-dev replicates from another source');

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(w.calls.filter((call) => call.startsWith('createReplica'))).toHaveLength(1);
  });

  test('after a refusal the operator can re-protect again once the name is free', async () => {
    const w = await failedOver();
    w.reprotection.retireFailure = conflict('stopped outside its fence');
    expect((await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'))).outcome).toBe('refused');
    w.reprotection.retireFailure = undefined;

    const again = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-3'));

    expect(again.outcome).toBe('completed');
    expect(again.state?.history?.map((entry) => entry.status)).toEqual(['completed', 'aborted']);
  });

  test('cancel during the wait closes it; the requested replica is left (never deleted) and a later re-protection adopts it', async () => {
    const w = await failedOver();
    w.reprotection.progress = [{ status: 'creating', available: false, source: DR }];
    expect((await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2', SHORT_RUN_MS))).outcome).toBe('pending');

    const cancelled = await runFailover({ trigger: 'cancel', reason: 'wrong window' }, w.ports, SETTINGS, w.run('run-3'));

    expect(cancelled.outcome).toBe('aborted');
    expect(cancelled.message).toMatch(/paydb-primary-db-dev \(primary region\) was requested at .* left as it is/);
    expect(cancelled.message).toMatch(/The old writer that held paydb-primary-db-dev is \(being\) renamed paydb-primary-db-dev-retired-\d{12}, isolated in its fence group, and kept\./);
    expect(w.calls).not.toContain('withdrawFailoverSignal');
    expect(w.ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 4 });
    w.reprotection.progress = [{ status: 'available', available: true, source: DR, replicationState: 'replicating' }];
    const again = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-4'));
    expect(again.outcome).toBe('completed');
    expect(w.reprotection.creates).toBe(1);
  });

  test('a second re-protection of a re-protected estate has nothing to do; an alarm after it never moves the writer', async () => {
    const w = await reprotected();

    expect((await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-x'))).outcome).toBe('already_completed');
    const alarm = await runFailover(ALARM, w.ports, SETTINGS, w.run('run-alarm'));
    expect(alarm.outcome).toBe('already_completed');
    expect(alarm.message).toMatch(/Alarms never move this writer/);
    const unplanned = await runFailover(FAILOVER, w.ports, SETTINGS, w.run('run-op'));
    expect(unplanned.outcome).toBe('already_completed');
    expect(w.calls.filter((call) => /promoteReplica|freezePrimary|casLease/.test(call))).toEqual([]);
  });

  test('status names the roles', async () => {
    const w = await reprotected();
    const status = await readFailoverStatus(w.ports);
    expect(status.message).toMatch(/^Re-protection run-reprotect is completed; .* Roles: writer paydb-dr-replica-db-dev \(DR region\), replica paydb-primary-db-dev \(primary region\)\./);
  });
});

describe('fail-back: the zero-loss switchover on the pair the re-protection left', () => {
  test('freezes the DR writer, waits for the primary-region replica to replay its last WAL, moves the name, promotes it, fences the DR database', async () => {
    const { calls, ports, run, fleet, back, dns } = await reprotected();

    const result = await runFailover(SWITCHBACK, ports, SETTINGS, run('run-back'));

    expect(result.outcome).toBe('completed');
    // Every database call went to the fail-back pair: the configured pair's control was not used at all.
    expect(calls.filter((call) => /^(probePrimary|freezePrimary|promoteReplica|fencePrimary)/.test(call))).toEqual([]);
    const order = calls.filter((call) => /casLease|freezePrimary|replicaReplayLsn|moveWriterTo|promoteReplica|verifyWriter|pinWriterTo|fencePrimary|publishFailoverSignal|pinWriterToDr/.test(call));
    const pairCall = (call: string) => `[paydb-dr-replica-db-dev→paydb-primary-db-dev] ${call}`;
    expect(order).toEqual([
      'casLease(primary#5)', pairCall('freezePrimary'), pairCall('replicaReplayLsn'), pairCall('replicaReplayLsn'),
      'moveWriterTo(paydb-primary-db-dev)', pairCall('promoteReplica'), pairCall('verifyWriter'), 'pinWriterTo(paydb-primary-db-dev)', pairCall('fencePrimary'),
    ]);
    expect(back.promoteCalls).toBe(1);
    expect(fleet.callsOf(BACK)).toContain('probePrimary(5000)');
    // The new writer carries the configured primary's name: the lease is that instance's, which its keeper renews (and so
    // lifts its fence: the parameter group the database shares with the old primary it replaced).
    expect(ports.lease.lease).toEqual({ holder: 'primary', epoch: 5, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-back', writtenAt: expect.any(Number) });
    expect(keeperMayHold(ports.lease.lease)).toBe(true);
    const state = (await ports.store.read())!;
    expect(state).toMatchObject({ mode: 'switchover', status: 'completed', pair: BACK, follows: 'run-reprotect', frozenAtLsn: '0/9000', failedOver: false });
    expect(rolesAfter(state, CONFIGURED)).toEqual({ writer: PRIMARY });
    expect(writerNameFailedOver(state)).toBe(false);
    expect(dns.target).toBe('paydb-primary-db-dev');
    expect(state.history?.map((entry) => entry.mode)).toEqual(['failover', 'reprotect']);
  });

  test('only an operator starts it: the alarm and a non-switchover request after re-protection do nothing', async () => {
    const { calls, ports, run } = await reprotected();
    expect((await runFailover(ALARM, ports, SETTINGS, run('run-a'))).outcome).toBe('already_completed');
    expect((await runFailover(FAILOVER, ports, SETTINGS, run('run-b'))).outcome).toBe('already_completed');
    expect(calls.some((call) => /freezePrimary|promoteReplica|casLease/.test(call))).toBe(false);
  });

  test('refused when the DR writer does not answer: a switchover needs a live writer to freeze', async () => {
    const { ports, run, back } = await reprotected();
    back.probe = () => ({ reachable: false, latencyMs: 5000, error: 'timeout' });

    const result = await runFailover(SWITCHBACK, ports, SETTINGS, run('run-back'));

    expect(result.outcome).toBe('refused');
    expect(back.promoteCalls).toBe(0);
    expect(ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 4 });
  });

  test('a replica that does not catch up abandons it: the DR writer thawed, the lease back with it (held), the name never moved', async () => {
    const { ports, run, back, dns } = await reprotected();
    back.replayPositions = ['0/8000'];

    const result = await runFailover(SWITCHBACK, ports, { ...SETTINGS, catchUpTimeoutMs: 60_000 }, run('run-back'));

    expect(result.outcome).toBe('aborted');
    expect(back.thawCalls).toBe(1);
    expect(back.promoteCalls).toBe(0);
    expect(dns.moves).toEqual([]);
    // Handed back as the DR writer held it: until an operator moves it (no keeper renews it), naming no other database.
    expect(ports.lease.lease).toEqual({ holder: 'dr', epoch: 6, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-back', writtenAt: expect.any(Number) });
    const state = (await ports.store.read())!;
    expect(rolesAfter(state, CONFIGURED)).toEqual({ writer: DR, replica: PRIMARY });
    expect(writerNameFailedOver(state)).toBe(true);

    // Still re-protected: the operator may try again.
    back.replayPositions = ['0/9000'];
    expect((await runFailover(SWITCHBACK, ports, SETTINGS, run('run-back-2'))).outcome).toBe('completed');
  });

  test('cancel after the name moved but before the promotion request moves it back to the DR writer', async () => {
    const { ports, run, back, dns } = await reprotected();
    back.promote = () => { throw new Error('unreachable'); };
    // The run dies right after moving the name (its lock then expires): the promotion was never requested.
    const move = dns.moveWriterTo.bind(dns);
    let killed = false;
    dns.moveWriterTo = async (member) => {
      await move(member);
      if (!killed) {
        killed = true;
        throw new Error('Lambda killed');
      }
    };
    const crashed = await runFailover(SWITCHBACK, ports, { ...SETTINGS, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }, run('run-back'));
    expect(crashed.outcome).toBe('pending');
    expect(crashed.promoted).toBe(false);

    const cancelled = await runFailover({ trigger: 'cancel', reason: 'not tonight' }, ports, SETTINGS, run('run-cancel'));

    expect(cancelled.outcome).toBe('aborted');
    expect(dns.moves).toEqual(['paydb-primary-db-dev', 'paydb-dr-replica-db-dev']);
    expect(back.thawCalls).toBe(1);
    expect(ports.lease.lease).toMatchObject({ holder: 'dr', epoch: 6, expiresAt: HELD_UNTIL_RELEASED });
  });

  test('an alarm after an abandoned fail-back does not fail over the re-protected pair (only the configured pair fails over on alarms)', async () => {
    const { ports, run, back } = await reprotected();
    back.replayPositions = ['0/8000'];
    expect((await runFailover(SWITCHBACK, ports, { ...SETTINGS, catchUpTimeoutMs: 60_000 }, run('run-back'))).outcome).toBe('aborted');

    const alarm = await runFailover(ALARM, ports, SETTINGS, run('run-alarm'));

    expect(alarm.outcome).toBe('refused');
    expect(alarm.message).toMatch(/not on its configured roles/);
    expect(back.promoteCalls).toBe(0);
    expect((await ports.store.read())?.runId).toBe('run-back');
  });

  test('an alarm or switchover after a completed failover (not re-protected) promotes nothing: there is no replica', async () => {
    const w = await failedOver();
    expect((await runFailover(SWITCHBACK, w.ports, SETTINGS, w.run('run-back'))).outcome).toBe('already_completed');
    expect(w.ports.database.promoteCalls).toBe(1);
  });
});

describe('the re-protection back: the estate returns to its configured pair, and alarms may fail it over again', () => {
  /** Failed over, re-protected, failed back: the primary-region database writes, the old DR writer is stale under its name. */
  async function failedBack() {
    const w = await reprotected();
    expect((await runFailover(SWITCHBACK, w.ports, SETTINGS, w.run('run-back'))).outcome).toBe('completed');
    // The re-protection back: a fresh control plane under the DR name (the old DR writer the fail-back fenced and stopped).
    w.reprotection.existing = { status: 'stopped', available: false };
    w.reprotection.retireProgress = [{ done: true, detail: 'renamed' }];
    w.reprotection.progress = [{ status: 'available', available: true, source: PRIMARY, replicationState: 'replicating' }];
    (w.reprotection as unknown as { created: boolean; retired: boolean }).created = false;
    (w.reprotection as unknown as { created: boolean; retired: boolean }).retired = false;
    w.reprotection.backups = undefined;
    w.calls.length = 0;
    return w;
  }

  test('retires the old DR writer, creates the DR replica of the primary-region writer under its configured name: the configured pair again', async () => {
    const w = await failedBack();
    expect(whyNotOnConfiguredPair((await w.ports.store.read())!)).toMatch(/switchover to paydb-primary-db-dev \(primary region\) run-back completed/);

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-reprotect-back'));

    expect(result.outcome).toBe('completed');
    expect(w.calls.filter((call) => /^(retireOldWriter|createReplica|startBackupReplication)/.test(call))).toEqual([
      `retireOldWriter(paydb-dr-replica-db-dev→${result.state?.reprotect?.retiredAs})`,
      'createReplica(paydb-primary-db-dev→paydb-dr-replica-db-dev)', 'startBackupReplication(paydb-primary-db-dev→dr)',
    ]);
    const state = (await w.ports.store.read())!;
    expect(rolesAfter(state, CONFIGURED)).toEqual({ writer: PRIMARY, replica: DR });
    expect(writerNameFailedOver(state)).toBe(false);
    expect(whyNotOnConfiguredPair(state)).toBeUndefined();
    expect(state.history?.map((entry) => entry.mode)).toEqual(['failover', 'reprotect', 'switchover']);
  });

  test('re-armed: once the keeper renewed the lease and the primary region fails, an alarm fails the configured pair over as on the first day', async () => {
    const w = await failedBack();
    expect((await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-reprotect-back'))).outcome).toBe('completed');
    // The keeper renewed the configured primary's lease, then its region went dark: the lease ran out.
    w.ports.lease.lease = { holder: 'primary', epoch: 5, expiresAt: w.clock.now() - 600_000, writtenBy: 'keeper:k', writtenAt: w.clock.now() - 645_000 };
    // The DR database is a replica again (the one the re-protection back created under its name).
    w.ports.database.replica = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' };
    w.ports.database.promotionProgress = [{ role: 'promoting', status: 'modifying', available: false }, { role: 'writer', status: 'available', available: true }];
    const promotionsBefore = w.ports.database.promoteCalls;

    const alarm = await runFailover(ALARM, w.ports, SETTINGS, w.run('run-second-failover'));

    expect(alarm.outcome).toBe('completed');
    expect(w.ports.database.promoteCalls).toBe(promotionsBefore + 1);
    const state = (await w.ports.store.read())!;
    expect(state).toMatchObject({ mode: 'failover', status: 'completed', follows: 'run-reprotect-back' });
    expect(state.pair).toBeUndefined();
    expect(rolesAfter(state, CONFIGURED)).toEqual({ writer: DR });
  });

  test('mutation guard: before the re-protection back an alarm still finds nothing to fail over to', async () => {
    const w = await failedBack();
    const alarm = await runFailover(ALARM, w.ports, SETTINGS, w.run('run-alarm'));
    expect(alarm.outcome).toBe('already_completed');
    expect(w.calls.some((call) => /promoteReplica|casLease/.test(call))).toBe(false);
  });
});

describe('the re-protection target is the configured database of the other region, nothing else', () => {
  test('refused when the deployment would create the replica under another name', async () => {
    const w = await failedOver();
    w.reprotection.targets = { primary: { side: 'primary', instanceId: 'paydb-primary-db-dev-r2' } };

    const result = await runFailover(REPROTECT, w.ports, SETTINGS, w.run('run-2'));

    expect(result.outcome).toBe('refused');
    expect(result.message).toMatch(/its replica would be paydb-primary-db-dev-r2 \(primary region\), not paydb-primary-db-dev \(primary region\)/);
    expect(w.reprotection.creates + w.reprotection.retirements.length).toBe(0);
  });

  test('the write lease names a region, whose configured instance writes: it cannot be written for any other database', () => {
    expect(leaseFor(PRIMARY, CONFIGURED, 5, 'run-back', START)).toEqual({ holder: 'primary', epoch: 5, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-back', writtenAt: START });
    expect(() => leaseFor({ side: 'primary', instanceId: 'paydb-primary-db-dev-r2' }, CONFIGURED, 5, 'run-back', START)).toThrow(/only the configured instance of a region, not paydb-primary-db-dev-r2/);
  });

  test('retiredIdentifier: dated, within RDS identifier rules even for the longest names', () => {
    expect(retiredIdentifier('paydb-primary-db-dev', Date.parse('2026-12-01T05:07:00Z'))).toBe('paydb-primary-db-dev-retired-202612010507');
    const long = retiredIdentifier(`a${'-b'.repeat(31)}`, START);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(long).not.toContain('--');
  });
});

describe('the primary region\'s keeper after the fail-back', () => {
  const timings = { ttlMs: 45_000, renewIntervalMs: 10_000, fenceBudgetMs: 15_000, takeoverMarginMs: 30_000 };

  test('the lease is the configured primary\'s again: its keeper renews it and lifts its fence', async () => {
    const calls: string[] = [];
    const failedBack: WriteLease = { holder: 'primary', epoch: 5, expiresAt: HELD_UNTIL_RELEASED, writtenBy: 'run-back', writtenAt: START };
    const lease = new FakeLeaseStore(calls, failedBack);
    const fence = { answers: true, fenced: true, released: 0 };
    const keeper = new LeaseKeeper({
      lease,
      fence: {
        primaryAnswers: async () => fence.answers,
        fence: async () => { fence.fenced = true; return 'read-only default set'; },
        verify: async () => ({ fenced: fence.fenced, detail: fence.fenced ? 'fenced' : 'writable' }),
        release: async () => { fence.fenced = false; fence.released += 1; },
      },
      clock: new FakeClock(), logger: new SilentLogger(), alerts: new FakeAlerts(),
    }, timings, 'keeper:k');

    const tick = await keeper.tick();

    expect(tick.state).toBe('held');
    expect(fence).toMatchObject({ fenced: false, released: 1 });
    expect(lease.lease).toMatchObject({ holder: 'primary', epoch: 5, writtenBy: 'keeper:k' });
    expect(lease.lease?.expiresAt).toBeLessThan(HELD_UNTIL_RELEASED);
  });
});
