import { LAG_LOOKBACK_SECONDS_LIMITS } from '../../../functions/adapters/aws/cloudwatch-replication-lag';
import { lagLookbackSeconds } from '../../../lib/constructs/monitoring/detection-window';

const monitoring = (probeIntervalMinutes: number, unreachableEvaluationPeriods: number) => ({ monitoring: { probeIntervalMinutes, unreachableEvaluationPeriods } });

test('the look-back spans evaluation periods + 6 probe intervals', () => {
  expect(lagLookbackSeconds(monitoring(1, 3))).toBe(540);
  expect(lagLookbackSeconds(monitoring(5, 3))).toBe(2_700);
  expect(lagLookbackSeconds(monitoring(5, 10))).toBe(4_800);
});

test('every configuration the config accepts yields a look-back the handlers accept', () => {
  for (let interval = 1; interval <= 5; interval += 1) {
    for (let periods = 1; periods <= 10; periods += 1) {
      const seconds = lagLookbackSeconds(monitoring(interval, periods));
      expect(seconds).toBeGreaterThanOrEqual(LAG_LOOKBACK_SECONDS_LIMITS.min);
      expect(seconds).toBeLessThanOrEqual(LAG_LOOKBACK_SECONDS_LIMITS.max);
    }
  }
});
