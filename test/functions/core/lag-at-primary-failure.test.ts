import { lagAtPrimaryFailure, type LagSample } from '../../../functions/core/lag-at-primary-failure';

const PROBE_INTERVAL = 60;
const minute = (n: number) => new Date(Date.UTC(2026, 10, 21, 12, n));
const reachable = (n: number, lagSeconds?: number): LagSample => ({ at: minute(n), primaryReachable: true, ...(lagSeconds !== undefined ? { lagSeconds } : {}) });
const unreachable = (n: number, lagSeconds?: number): LagSample => ({ at: minute(n), primaryReachable: false, ...(lagSeconds !== undefined ? { lagSeconds } : {}) });

test('primary reachable in the newest sample: the newest lag is the answer, no uncertainty added', () => {
  expect(lagAtPrimaryFailure([reachable(0, 40), unreachable(1, 70), reachable(2, 3)], PROBE_INTERVAL)).toEqual({
    lagSeconds: 3, basis: 'primary reachable; newest lag measurement (2026-11-21T12:02:00.000Z)',
  });
});

test('primary unreachable: the lag measured while it was reachable plus one probe interval; growing heartbeat ages are ignored', () => {
  const samples = [reachable(0, 50), reachable(1, 2.5), unreachable(2, 65), unreachable(3, 125), unreachable(4, 185), unreachable(5, 245), unreachable(6, 305)];

  const result = lagAtPrimaryFailure(samples, PROBE_INTERVAL);

  expect(result.lagSeconds).toBe(62.5);
  expect(result.basis).toBe('primary unreachable since 2026-11-21T12:02:00.000Z; lag 2.5 s measured at 2026-11-21T12:01:00.000Z '
    + 'while it was reachable + 60 s until the first failed probe');
});

test('defect 8, flapping: a reachable but unmeasured sample after the last measurement extends the window to the failure after it', () => {
  // Measured at 0; failed at 1; answered again at 2 without a lag figure (it committed then); failed at 4.
  const samples = [reachable(0, 2), unreachable(1, 62), reachable(2), unreachable(4, 242)];
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL).lagSeconds).toBe(2 + 240);
});

test('defect 8, newest sample reachable but the caller\'s own probes found the primary down: the window runs from the measurement to that probe', () => {
  const samples = [reachable(0, 1), reachable(1, 3)];
  const probedDown = new Date(minute(1).getTime() + 45_000);
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL, { firstFailedProbeAt: probedDown })).toEqual({
    lagSeconds: 48,
    basis: 'primary reachable at the monitor\'s last run (2026-11-21T12:01:00.000Z) but found down at 2026-11-21T12:01:45.000Z; '
      + 'lag 3 s measured at 2026-11-21T12:01:00.000Z + 45 s until then',
  });
  // A failure observed before the monitor's newest (reachable) sample is old news: the newest lag stands.
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL, { firstFailedProbeAt: minute(0) }).lagSeconds).toBe(3);
});

test('partition: an unreachable primary may commit until its lease runs out; the window runs to the expiry when that is later than the first failed probe', () => {
  const samples = [reachable(0, 2), unreachable(1, 62), unreachable(2, 122)];
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL, { primaryLeaseExpiresAt: new Date(minute(1).getTime() + 45_000) })).toEqual({
    lagSeconds: 2 + 105,
    basis: 'primary unreachable since 2026-11-21T12:01:00.000Z; lag 2 s measured at 2026-11-21T12:00:00.000Z while it was reachable '
      + '+ 105 s until its write lease expired (2026-11-21T12:01:45.000Z)',
  });
  // A lease that ran out before the first failed probe (the keeper died with its primary) widens nothing, and the
  // caller's own late probe never stretches a failure the monitor already saw (a late decision is not more lag).
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL, { primaryLeaseExpiresAt: minute(0), firstFailedProbeAt: minute(30) }).lagSeconds).toBe(62);
});

test('samples need not arrive in time order', () => {
  const samples = [unreachable(3, 125), reachable(1, 2.5), unreachable(2, 65), reachable(0, 50)];
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL).lagSeconds).toBe(62.5);
});

test('missing monitor runs between the last success and the first failure widen the window to the real gap', () => {
  expect(lagAtPrimaryFailure([reachable(0, 4), unreachable(3, 200)], PROBE_INTERVAL).lagSeconds).toBe(184);
});

test('the window is never shorter than one probe interval', () => {
  const samples: LagSample[] = [
    { at: new Date(Date.UTC(2026, 10, 21, 12, 0, 0)), primaryReachable: true, lagSeconds: 1 },
    { at: new Date(Date.UTC(2026, 10, 21, 12, 0, 20)), primaryReachable: false, lagSeconds: 21 },
  ];
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL).lagSeconds).toBe(61);
});

test('a reachable sample without lag (replica unmeasured) does not count: the older measurement and the longer gap do', () => {
  expect(lagAtPrimaryFailure([reachable(0, 5), reachable(1), unreachable(2, 130)], PROBE_INTERVAL).lagSeconds).toBe(125);
});

test('a flapping primary: the measurement from its newest reachable period counts', () => {
  const samples = [reachable(0, 9), unreachable(1, 70), reachable(2, 1), unreachable(3, 61), unreachable(4, 121)];
  expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL).lagSeconds).toBe(61);
});

test.each<[string, LagSample[]]>([
  ['no samples', []],
  ['no reachability data, only lag', [{ at: minute(0), lagSeconds: 1 }, { at: minute(1), lagSeconds: 2 }]],
  ['primary unreachable in every sample', [unreachable(0, 250), unreachable(1, 310)]],
  ['reachable only without a lag measurement', [reachable(0), unreachable(1, 70)]],
  ['reachable now but no lag measurement at all', [reachable(0), reachable(1)]],
])('unknown: %s', (_name, samples) => {
  const result = lagAtPrimaryFailure(samples, PROBE_INTERVAL);
  expect(result.lagSeconds).toBeUndefined();
  expect(result.basis).toMatch(/no /);
});

describe('a primary that committed after its write lease expired was not fenced by its keeper', () => {
  const committed = (n: number): LagSample => ({ ...reachable(n, 2), primaryWritable: true });
  const refused = (n: number): LagSample => ({ ...reachable(n, 2), primaryWritable: false });

  test('keeper dead for minutes, then a partition: unknown, whatever the samples say about lag', () => {
    const samples = [committed(0), committed(5), committed(9), unreachable(10, 62), unreachable(11, 122)];
    expect(lagAtPrimaryFailure(samples, PROBE_INTERVAL, { primaryLeaseExpiresAt: minute(1) })).toEqual({
      lagSeconds: undefined,
      basis: 'the primary committed a heartbeat at 2026-11-21T12:09:00.000Z, after its write lease expired at 2026-11-21T12:01:00.000Z: '
        + 'its keeper was not fencing it, so nothing bounds what it committed',
    });
  });

  test('the keeper died with its primary (no commit after the expiry), or fenced it (answers, refuses writes): bounded as before', () => {
    const diedTogether = [committed(0), committed(1), unreachable(2, 62), unreachable(3, 122)];
    expect(lagAtPrimaryFailure(diedTogether, PROBE_INTERVAL, { primaryLeaseExpiresAt: new Date(minute(2).getTime() + 45_000) }).lagSeconds).toBe(2 + 105);
    const fencedThenCut = [committed(0), refused(2), refused(3), unreachable(4, 242)];
    expect(lagAtPrimaryFailure(fencedThenCut, PROBE_INTERVAL, { primaryLeaseExpiresAt: minute(1) }).lagSeconds).toBe(2 + 60);
  });
});
