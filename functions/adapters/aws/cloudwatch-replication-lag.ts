import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { lagAtPrimaryFailure, type LagAtPrimaryFailure, type LagSample, type PrimaryEndEvidence } from '../../core/lag-at-primary-failure';
import type { DatabaseControl, Logger } from '../../core/ports';
import { ENVIRONMENT_DIMENSION, MonitorMetric } from '../../core/metric-names';

export interface CloudWatchReplicationLagOptions {
  /** CloudWatch in the DR region, where the monitor publishes `ReplicationLagSeconds` and `PrimaryReachable`. */
  readonly cloudWatch: CloudWatchClient;
  readonly metricNamespace: string;
  readonly environmentSuffix: string;
  /**
   * Lag data older than this is no measurement at all. It must reach back past the last probe that found the
   * primary reachable when the failover checks, or the lag is unknown and automatic promotion is refused.
   */
  readonly lagLookbackSeconds: number;
  /**
   * The monitor's schedule: after the last successful probe of the primary, the first failed one came at
   * most this much later (the uncertainty window added to the lag once the primary is unreachable).
   */
  readonly probeIntervalSeconds: number;
  /** Where the basis of each lag estimate is logged. */
  readonly logger?: Logger;
  /** Injectable for tests. */
  readonly now?: () => Date;
}

/** Resolution of the monitor's data as read back: one sample per minute. */
export const METRIC_PERIOD_SECONDS = 60;
/** Valid look-backs: at least one sample period; at most a day (far beyond any detection window). */
export const LAG_LOOKBACK_SECONDS_LIMITS = { min: METRIC_PERIOD_SECONDS, max: 86_400 } as const;
const LAG_QUERY_ID = 'lag';
const PRIMARY_REACHABLE_QUERY_ID = 'primaryReachable';
const PRIMARY_WRITABLE_QUERY_ID = 'primaryWritable';

/**
 * The replication lag as the failover judges it, read back from the monitor's metrics.
 * IAM: `cloudwatch:GetMetricData` (`*`: no resource-level permissions).
 */
export class CloudWatchReplicationLag implements Pick<DatabaseControl, 'replicationLagSeconds' | 'replicationLagEstimate'> {
  constructor(private readonly options: CloudWatchReplicationLagOptions) {}

  /**
   * The lag at the primary's failure (`lagAtPrimaryFailure`) from the monitor's `ReplicationLagSeconds`
   * (Maximum: the worst in each period) and `PrimaryReachable` (Minimum: a period with any failed probe
   * counts as unreachable, so its heartbeat-age lag is never taken for a measurement of a live primary) and
   * `PrimaryWritable` (Maximum: a heartbeat committed in the period).
   */
  async replicationLagSeconds(evidence?: PrimaryEndEvidence): Promise<number | undefined> {
    return (await this.replicationLagEstimate(evidence)).lagSeconds;
  }

  async replicationLagEstimate(evidence?: PrimaryEndEvidence): Promise<LagAtPrimaryFailure> {
    const end = this.options.now?.() ?? new Date();
    const metric = (Id: string, MetricName: string, Stat: string) => ({
      Id,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: this.options.metricNamespace,
          MetricName,
          Dimensions: [{ Name: ENVIRONMENT_DIMENSION, Value: this.options.environmentSuffix }],
        },
        Period: METRIC_PERIOD_SECONDS,
        Stat,
      },
    });
    const response = await this.options.cloudWatch.send(new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - this.options.lagLookbackSeconds * 1000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        metric(LAG_QUERY_ID, MonitorMetric.ReplicationLagSeconds, 'Maximum'),
        metric(PRIMARY_REACHABLE_QUERY_ID, MonitorMetric.PrimaryReachable, 'Minimum'),
        // Maximum: a period in which any heartbeat committed; one that starts after the lease expired proves a commit then.
        metric(PRIMARY_WRITABLE_QUERY_ID, MonitorMetric.PrimaryWritable, 'Maximum'),
      ],
    }));
    const estimate = lagAtPrimaryFailure(samplesOf(response.MetricDataResults ?? []), this.options.probeIntervalSeconds, evidence);
    this.options.logger?.info('replication lag estimate', { ...estimate });
    return estimate;
  }
}

/** One sample per period timestamp, joining the two series. */
function samplesOf(results: readonly MetricDataResult[]): LagSample[] {
  const series = (id: string): Map<number, number> => {
    const result = results.find((candidate) => candidate.Id === id);
    return new Map((result?.Timestamps ?? []).flatMap((timestamp, index) => {
      const value = result?.Values?.[index];
      return value === undefined ? [] : [[new Date(timestamp).getTime(), value] as const];
    }));
  };
  const lag = series(LAG_QUERY_ID);
  const reachable = series(PRIMARY_REACHABLE_QUERY_ID);
  const writable = series(PRIMARY_WRITABLE_QUERY_ID);
  return [...new Set([...lag.keys(), ...reachable.keys(), ...writable.keys()])].map((time) => {
    const lagSeconds = lag.get(time);
    const reachableMinimum = reachable.get(time);
    const writableMaximum = writable.get(time);
    return {
      at: new Date(time),
      ...(lagSeconds !== undefined ? { lagSeconds } : {}),
      ...(reachableMinimum !== undefined ? { primaryReachable: reachableMinimum >= 1 } : {}),
      ...(writableMaximum !== undefined ? { primaryWritable: writableMaximum >= 1 } : {}),
    };
  });
}
