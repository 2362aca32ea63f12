import { formatSyntheticReport } from '../../../functions/core/drill-readiness';
import { formatSeconds } from '../../../functions/core/format-seconds';
import { lagAtPrimaryFailure } from '../../../functions/core/lag-at-primary-failure';
import { evaluatePromotionReadiness } from '../../../functions/core/promotion-readiness';
import { formatTimeline } from '../../../functions/core/timeline';

describe('formatSeconds', () => {
  it.each([
    // floating-point noise from sums and differences
    [0.1 + 0.2, '0.3 s'],
    [12.345 - 0.045, '12.3 s'],
    [1.1 * 3, '3.3 s'],
    // under one second: to the millisecond
    [0.1234567, '0.123 s'],
    [0.0005, '0.001 s'],
    [0.0004, '0 s'],
    [0.25, '0.25 s'],
    [0.9994, '0.999 s'],
    [0.9996, '1 s'],
    // from one second: to a tenth
    [1, '1 s'],
    [1.04, '1 s'],
    [1.05 + 1e-9, '1.1 s'],
    [12.3456, '12.3 s'],
    [30, '30 s'],
    [100, '100 s'],
    [1530.26, '1530.3 s'],
    // signs and zero
    [0, '0 s'],
    [-0, '0 s'],
    [-0.0001, '0 s'],
    [-2.345, '-2.3 s'],
    [-0.5, '-0.5 s'],
  ])('%p → %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('writes a value that is not finite as unknown', () => {
    expect(formatSeconds(Number.NaN)).toBe('unknown');
    expect(formatSeconds(Number.POSITIVE_INFINITY)).toBe('unknown');
  });
});

describe('reports and alerts write seconds through formatSeconds', () => {
  const replica = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' } as const;

  it('the lag verdict of the promotion gate (orchestrator alerts, synthetic drill report)', () => {
    expect(evaluatePromotionReadiness({ replica, lagSeconds: 0.1 + 0.2, maxLagSeconds: 30, requireReplicating: true }).lagVerdict)
      .toBe('replication lag 0.3 s within the 30 s budget');
    expect(evaluatePromotionReadiness({ replica, lagSeconds: 31.04999, maxLagSeconds: 30, requireReplicating: true }).lagVerdict)
      .toBe('replication lag 31 s over the 30 s budget');
  });

  it('the basis of the lag at the primary\'s failure', () => {
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
    const estimate = lagAtPrimaryFailure([
      { at: at(0), lagSeconds: 0.1 + 0.2, primaryReachable: true },
      { at: at(60), primaryReachable: false },
    ], 60);
    expect(estimate.lagSeconds).toBeCloseTo(60.3);
    expect(estimate.basis).toContain('lag 0.3 s measured at 2026-01-01T00:00:00.000Z while it was reachable + 60 s until the first failed probe');
  });

  it('the failover timeline', () => {
    expect(formatTimeline({ steps: [{ step: 'promote', status: 'done', seconds: 12.345 }], recoverySeconds: 0.1 + 0.2, totalSeconds: 75.06 }))
      .toBe('- promote: done, 12.3 s\nTime to DR writer reachable (RTO): 0.3 s\nTotal: 75.1 s');
  });

  it('the synthetic drill report', () => {
    const report = formatSyntheticReport({
      ready: true, trigger: 'schedule', checks: [],
      measured: { replicationLagSeconds: 0.1 + 0.2, backupRetentionDays: 7, backupAgeHours: 3.5, durationSeconds: 2.34567 },
    });
    expect(report.split('\n').pop()).toBe('Measured: replication lag 0.3 s, backup retention 7 d, latest automated backup 3.5 h ago, drill took 2.3 s');
  });
});
