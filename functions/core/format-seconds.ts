/**
 * The one way a duration or a lag is written into text people read: alerts, SNS messages, drill and failover reports,
 * log details. Sums and differences of seconds carry binary floating-point noise (0.1 + 0.2 = 0.30000000000000004)
 * and measured lags carry microseconds nobody acts on; this rounds them all alike:
 * - under one second: to the millisecond (`0.123 s`), since sub-second lags and steps are what is compared;
 * - from one second: to a tenth (`12.3 s`, `1530 s`);
 * - trailing zeros dropped (`30 s`, `1.5 s`, `0.25 s`); a value not finite is `unknown`.
 * Metric values and stored figures keep their precision (`roundSeconds` in timeline.ts); only the text is rounded.
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const fixed = seconds.toFixed(Math.abs(seconds) < 1 ? 3 : 1);
  const trimmed = fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  return `${trimmed === '-0' ? '0' : trimmed} s`;
}
