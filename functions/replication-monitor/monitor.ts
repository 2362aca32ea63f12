import { MonitorMetric } from '../core/metric-names';
import type { FailoverState, FailoverStateStore, InstanceStatus, Logger, MetricDatum, Metrics } from '../core/ports';
import { describeError, ProbeResult } from '../adapters/postgres/connectivity';
import { Heartbeat, NotInRecoveryError, ReplicationLag } from '../adapters/postgres/replication-probe';
import type { ReplicationProbes } from '../adapters/postgres/replication-probes';

export interface MonitorDependencies {
  /** Builds the data-plane probes (reads credentials); a failure makes both databases count as unreachable. */
  readonly probes: () => Promise<ReplicationProbes>;
  readonly describePrimary: () => Promise<InstanceStatus>;
  readonly describeReplica: () => Promise<InstanceStatus>;
  /** Only read: the monitor re-publishes what the orchestrator recorded. */
  readonly failoverState: Pick<FailoverStateStore, 'read'>;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export interface MonitorRunResult {
  readonly data: readonly MetricDatum[];
  /** One line per unexpected error (their count is `MonitorErrors`). */
  readonly errors: readonly string[];
  readonly primaryProbe: ProbeResult;
  readonly replicaProbe: ProbeResult;
  readonly lag?: ReplicationLag;
}

const flag = (value: boolean | undefined) => (value ? 1 : 0);

/** Sticky: once the DNS signal was published (or the run completed) until an operator clears the record. */
const hasFailedOver = (state: FailoverState | undefined) => state !== undefined && (state.failedOver || state.status === 'completed');

/**
 * One monitor run. Every check is isolated: a failing probe, API or table read costs only its own metric
 * (published as 0 where the contract defines 0 as "could not confirm", omitted where a guess would be
 * harmful) and one `MonitorErrors` count. THROWS only if publishing the metrics fails.
 *
 * - `ReplicationLagSeconds` is omitted when the replica is unreachable or already promoted: no measurement.
 * - `FailedOver` is omitted when the state table does not answer: it steers DNS, so neither 0 nor 1 is safe.
 */
export async function runMonitorCycle(deps: MonitorDependencies): Promise<MonitorRunResult> {
  const errors: string[] = [];
  const recordError = (what: string, error: unknown) => {
    errors.push(`${what}: ${describeError(error)}`);
    deps.logger.error(`${what} failed`, { error: describeError(error) });
  };
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      recordError(what, error);
      return undefined;
    }
  };

  const probes = await attempt('read database credentials', deps.probes);
  const unprobed = (what: string): ProbeResult => ({ reachable: false, latencyMs: 0, error: `${what} not probed: no credentials` });
  const probeOrUnreachable = async (what: string, probe: (() => Promise<ProbeResult>) | undefined): Promise<ProbeResult> => {
    if (!probe) return unprobed(what);
    return (await attempt(`probe ${what}`, probe)) ?? { reachable: false, latencyMs: 0, error: 'probe threw' };
  };

  const [primaryProbe, replicaProbe, primaryStatus, replicaStatus, failedOver] = await Promise.all([
    probeOrUnreachable('primary', probes?.probePrimary),
    probeOrUnreachable('replica', probes?.probeReplica),
    attempt('describe primary instance', deps.describePrimary),
    attempt('describe replica instance', deps.describeReplica),
    attempt('read failover state', async () => hasFailedOver(await deps.failoverState.read())),
  ]);

  let heartbeat: Heartbeat | undefined;
  if (probes && primaryProbe.reachable && primaryProbe.inRecovery === false) {
    heartbeat = await attempt('write heartbeat on primary', probes.writeHeartbeat);
  }
  let lag: ReplicationLag | undefined;
  if (probes && replicaProbe.reachable) {
    try {
      lag = await probes.measureLag(heartbeat?.lsn);
    } catch (error) {
      if (error instanceof NotInRecoveryError) deps.logger.info('replica is not in recovery (promoted): no replication lag to measure');
      else recordError('measure replication lag', error);
    }
  }

  const data: MetricDatum[] = [
    { name: MonitorMetric.PrimaryReachable, value: flag(primaryProbe.reachable), unit: 'Count' },
    { name: MonitorMetric.ReplicaReachable, value: flag(replicaProbe.reachable), unit: 'Count' },
    { name: MonitorMetric.PrimaryAvailable, value: flag(primaryStatus?.available), unit: 'Count' },
    { name: MonitorMetric.ReplicaAvailable, value: flag(replicaStatus?.available), unit: 'Count' },
  ];
  if (lag) data.push({ name: MonitorMetric.ReplicationLagSeconds, value: lag.lagSeconds, unit: 'Seconds' });
  if (failedOver !== undefined) data.push({ name: MonitorMetric.FailedOver, value: flag(failedOver), unit: 'Count' });
  data.push({ name: MonitorMetric.MonitorErrors, value: errors.length, unit: 'Count' });

  await deps.metrics.record(data);
  deps.logger.info('replication monitor run', {
    metrics: Object.fromEntries(data.map((datum) => [datum.name, datum.value])),
    primaryProbe,
    replicaProbe,
    primaryStatus: primaryStatus?.status,
    replicaStatus: replicaStatus?.status,
    lag,
    errors,
  });
  return { data, errors, primaryProbe, replicaProbe, lag };
}
