import { LeaseKeeper, withDeadline, type PrimarySelfFence, type SelfFenceCheck } from '../../../functions/core/lease-keeper';
import type { LeaseTimings, WriteLease } from '../../../functions/core/write-lease';
import { DEFAULT_LEASE_TIMINGS, silentSessionTimeoutMs } from '../../../functions/core/write-lease';
import { FakeAlerts, FakeClock, FakeLeaseStore, SilentLogger, START } from './fakes';

const TIMINGS: LeaseTimings = { ttlMs: 45_000, renewIntervalMs: 10_000, fenceBudgetMs: 15_000, takeoverMarginMs: 30_000 };

class FakeFence implements PrimarySelfFence {
  answers = true;
  fenced = false;
  fences = 0;
  releases = 0;
  verifies: () => SelfFenceCheck = () => ({ fenced: this.fenced, detail: this.fenced ? 'read-only' : 'writable' });
  constructor(private readonly clock: FakeClock, readonly fencedAtTimes: number[] = []) {}
  async primaryAnswers(): Promise<boolean> { return this.answers; }
  async fence(): Promise<string> { this.fences++; this.fenced = true; this.fencedAtTimes.push(this.clock.now()); return 'fenced'; }
  async verify(): Promise<SelfFenceCheck> { return this.verifies(); }
  async release(): Promise<void> { this.releases++; this.fenced = false; }
}

function keeperWorld(lease?: WriteLease) {
  const calls: string[] = [];
  const clock = new FakeClock();
  const store = new FakeLeaseStore(calls, lease);
  const fence = new FakeFence(clock);
  const alerts = new FakeAlerts();
  const keeper = new LeaseKeeper({ lease: store, fence, clock, logger: new SilentLogger(), alerts }, TIMINGS, 'keeper:test');
  return { clock, store, fence, alerts, keeper };
}

test('establishes and renews the lease for the primary, each renewal valid for the TTL from before the request', async () => {
  const { keeper, store, clock } = keeperWorld();

  expect((await keeper.tick()).state).toBe('held');
  expect(store.lease).toMatchObject({ holder: 'primary', epoch: 1, expiresAt: START + 45_000, writtenBy: 'keeper:test' });
  clock.time += 10_000;
  expect(await keeper.tick()).toMatchObject({ state: 'held', heldUntil: START + 55_000 });
  expect(store.lease?.epoch).toBe(1);
});

test('partition: with the quorum unreachable the primary stays writable while enough lease remains, and is fenced BEFORE the lease expires', async () => {
  const { keeper, store, fence, clock } = keeperWorld();
  await keeper.tick(); // held until START + 45 s
  store.failing = new Error('no quorum');

  const states: string[] = [];
  for (let tick = 1; tick <= 5; tick++) {
    clock.time += 10_000;
    states.push((await keeper.tick()).state);
  }

  expect(states).toEqual(['renewal_failed', 'renewal_failed', 'fenced_unrenewed', 'fenced_unrenewed', 'fenced_unrenewed']);
  // fenced at 30 s, 15 s before the 45 s expiry; the DR side may take over only at 45 + 30 s
  expect(fence.fencedAtTimes[0]).toBe(START + 30_000);
  expect(fence.fencedAtTimes[0]).toBeLessThanOrEqual(START + 45_000 - TIMINGS.fenceBudgetMs);
});

test('a fresh keeper that cannot renew fences at once, and lifts its own fence once it holds the lease again', async () => {
  const { keeper, store, fence, alerts } = keeperWorld();
  store.failing = new Error('timeout');

  expect((await keeper.tick()).state).toBe('fenced_unrenewed');
  expect(fence.fenced).toBe(true);
  store.failing = undefined;
  expect((await keeper.tick()).state).toBe('held');
  expect(fence.fenced).toBe(false);
  expect(alerts.subjects).toEqual(['DR lease keeper: primary fenced', 'DR lease keeper: released']);
});

test('a lease taken by the DR side fences the primary for good: never released, one alert only', async () => {
  const dr: WriteLease = { holder: 'dr', epoch: 4, expiresAt: Number.MAX_SAFE_INTEGER, writtenBy: 'run-1', writtenAt: START };
  const { keeper, fence, alerts, clock } = keeperWorld(dr);

  for (let tick = 0; tick < 4; tick++) {
    expect((await keeper.tick()).state).toBe('fenced_lost');
    clock.time += 10_000;
  }

  expect(fence.releases).toBe(0);
  expect(fence.fences).toBe(1); // verified once, then only re-verified (a switchover's sessions are not cut again)
  expect(alerts.sent).toHaveLength(1);
});

test('a primary that does not answer its keeper is not renewed for: the lease runs out so the DR side can take over', async () => {
  const { keeper, store, fence, clock } = keeperWorld();
  await keeper.tick();
  fence.answers = false;
  clock.time += 10_000;

  expect((await keeper.tick()).state).toBe('renewal_failed');
  expect(store.lease?.expiresAt).toBe(START + 45_000);
});

test('an unverified fence is retried at the next tick', async () => {
  const { keeper, store, fence } = keeperWorld();
  store.failing = new Error('no quorum');
  let verifications = 0;
  fence.verifies = () => ({ fenced: ++verifications > 1, detail: 'parameter group still applying' });

  expect((await keeper.tick()).fenceVerified).toBe(false);
  expect((await keeper.tick()).fenceVerified).toBe(true);
  expect(fence.fences).toBe(2);
});

test('a self-fence that failed past its deadline but took effect is lifted at the next renewal (flapping primary left read-only while its keeper holds the lease)', async () => {
  const { keeper, store, fence, alerts, clock } = keeperWorld();
  expect((await keeper.tick()).state).toBe('held');
  // The primary stalls: no answer to its keeper until less than the fence budget remains, then a fence whose call
  // fails (its deadline) although its parameter change is applied, as a stalled server applies a pending reload.
  fence.answers = false;
  fence.fence = async () => {
    fence.fences++;
    fence.fenced = true;
    throw new Error('self-fence did not answer within 15000 ms');
  };
  clock.time += 10_000;
  expect((await keeper.tick()).state).toBe('renewal_failed');
  clock.time += 10_000;
  expect((await keeper.tick()).state).toBe('renewal_failed');
  clock.time += 10_000;
  expect(await keeper.tick()).toMatchObject({ state: 'fenced_unrenewed', fenceVerified: false });
  expect(fence.fenced).toBe(true);

  // The stall ends before the lease ran out: the keeper renews, and must lift the fence it (may have) put in place.
  fence.answers = true;
  clock.time += 5_000;
  expect((await keeper.tick()).state).toBe('held');
  expect(store.lease?.holder).toBe('primary');
  expect(fence.fenced).toBe(false);
  expect(fence.releases).toBe(2); // the fresh keeper's release at its first renewal, then this one
  expect(alerts.subjects).toEqual(['DR lease keeper: primary fence NOT verified', 'DR lease keeper: released']);
});

test('withDeadline: a call that never answers fails at its deadline', async () => {
  const started = Date.now();
  await expect(withDeadline(new Promise(() => undefined), 50, 'write lease read')).rejects.toThrow('write lease read did not answer within 50 ms');
  expect(Date.now() - started).toBeLessThan(1000);
});

describe('silent-session timeout of the primary', () => {
  it('is half the shortest silence after which the DR side may take the lease (TTL + margin − renew interval)', () => {
    expect(silentSessionTimeoutMs(DEFAULT_LEASE_TIMINGS)).toBe(32_500);
    expect(silentSessionTimeoutMs({ ttlMs: 1500, renewIntervalMs: 300, fenceBudgetMs: 500, takeoverMarginMs: 500 })).toBe(850);
  });
});
