import { MonitoringConfig } from '../../config/dr-config';

/**
 * How far back the failover orchestrator (and the synthetic drill, which judges the replica as it does) reads
 * the monitor's lag, in probe periods. At the orchestrator's check the last lag measured while the primary was
 * reachable is at most this old: 1 period (it may precede the failure by one probe interval) + 1 (the last
 * healthy period) + the unreachable/not-available alarms' evaluation periods + 3 (metric alarm, composite alarm
 * and EventBridge delays, about a minute each, so at most one period each) + 1 margin that covers the
 * orchestrator's re-verification of the primary. A shorter look-back leaves the lag unknown at exactly the
 * moment it matters, and an automatic promotion is refused.
 */
export function lagLookbackSeconds(config: { readonly monitoring: Pick<MonitoringConfig, 'probeIntervalMinutes' | 'unreachableEvaluationPeriods'> }): number {
  const { probeIntervalMinutes, unreachableEvaluationPeriods } = config.monitoring;
  return probeIntervalMinutes * 60 * (unreachableEvaluationPeriods + 6);
}
