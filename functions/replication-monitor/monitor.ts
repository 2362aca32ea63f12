import {
  classifyInstanceStatus, isAuthenticationFailure, servesPerControlPlane, serverAnswered, type ControlPlaneHealth,
} from '../core/instance-health';
import {
  describeRoles, rolesAfter, writerNameFailedOver, writerProtected, type DatabaseMember, type DatabasePair, type EstateRoles,
} from '../core/estate-roles';
import { withDeadline } from '../core/lease-keeper';
import { MonitorMetric } from '../core/metric-names';
import type { FailoverStateStore, InstanceStatus, Logger, MetricDatum, Metrics } from '../core/ports';
import { describeError, ProbeResult } from '../adapters/postgres/connectivity';
import { Heartbeat, NotInRecoveryError, ReplicationLag } from '../adapters/postgres/replication-probe';
import type { ReplicationProbes } from '../adapters/postgres/replication-probes';

export interface MonitorDependencies {
  /**
   * The pair the infrastructure deployed. The monitor measures the roles the failover state gives (`rolesAfter`):
   * after a failover the promoted instance is the writer, after a re-protection its new replica is the replica. When
   * the state table does not answer, the last roles this monitor saw (`lastRoles`), else these.
   */
  readonly configured: DatabasePair;
  /**
   * Reads the credentials and returns how to build the data-plane probes of a writer and its replica; a failure
   * makes both databases count as unreachable. `refreshCredentials`: the database refused the cached password (the
   * secret rotated): read the secret again. Split from the roles so the secret and the failover state are read at once.
   */
  readonly probes: (options?: { readonly refreshCredentials?: boolean }) => Promise<(roles: EstateRoles) => ReplicationProbes>;
  /** The control plane's status of one database, asked in its own region. */
  readonly describe: (member: DatabaseMember) => Promise<InstanceStatus>;
  /** Only read: the monitor re-publishes what the orchestrator recorded. */
  readonly failoverState: Pick<FailoverStateStore, 'read'>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Per-check deadlines (defaults: `DEFAULT_MONITOR_DEADLINES`). */
  readonly deadlines?: Partial<MonitorDeadlines>;
  /** The roles of an earlier run (a warm Lambda container, the local monitor's loop): used while the state table is silent. */
  readonly lastRoles?: EstateRoles;
}

/**
 * Every check ends by its own deadline, whether or not the call under it does: a hanging API or database costs
 * its own metric, never the run. Phases run one after another (checks in parallel, then the one credential
 * re-read, then heartbeat, then lag), so the sum must stay inside the function's timeout (45 s) with room to publish.
 */
export interface MonitorDeadlines {
  /** Reading the database secret. */
  readonly credentialsMs: number;
  /** One connect + query probe (the probe's own timeout plus slack). */
  readonly probeMs: number;
  /** One control-plane read (DescribeDBInstances). */
  readonly apiMs: number;
  /** Reading the failover state (GetItem in the monitor's own region); runs alongside the credential read. */
  readonly stateMs: number;
  readonly heartbeatMs: number;
  /** Includes the wait for the replica to replay the heartbeat. */
  readonly lagMs: number;
}

export const DEFAULT_MONITOR_DEADLINES: MonitorDeadlines = {
  credentialsMs: 4_000,
  probeMs: 6_500,
  apiMs: 6_000,
  stateMs: 4_000,
  heartbeatMs: 6_000,
  lagMs: 7_000,
};

export interface MonitorRunResult {
  readonly data: readonly MetricDatum[];
  /** One line per unexpected error (their count is `MonitorErrors`). */
  readonly errors: readonly string[];
  /** The probes as measured (`reachable`: connected and queried); the metrics read them with `serverAnswered`. */
  readonly primaryProbe: ProbeResult;
  readonly replicaProbe: ProbeResult;
  readonly lag?: ReplicationLag;
  /** The roles this run measured (pass them back as `lastRoles`). */
  readonly roles: EstateRoles;
}

const flag = (value: boolean | undefined) => (value ? 1 : 0);

/** The replica checks while the writer has no replica: nothing answers, and nothing was asked. */
const unprotected: ProbeResult = { reachable: false, latencyMs: 0, error: 'no replica: nothing protects the writer' };

/**
 * One monitor run. Every check is isolated and bounded by its own deadline: a failing or hanging probe, API or table
 * read costs only its own metric (published as 0 where the contract defines 0 as "could not confirm", omitted where a
 * guess would be harmful) and one `MonitorErrors` count. THROWS only if publishing the metrics fails.
 *
 * - Roles: `Primary*` metrics are about the writer and `Replica*` about its replica, whichever instances hold those
 *   roles now (`rolesAfter` the failover state): after a failover and a re-protection the alarms watch the new pair,
 *   not the fenced old primary. While nothing protects the writer, the replica checks publish 0 (no replica answers)
 *   and no lag; `WriterProtected=0` says why.
 * - `PrimaryReachable` / `ReplicaReachable`: `serverAnswered` (core): a server that answered with its own SQLSTATE
 *   (too many connections, starting up, authentication) is alive, exactly as the orchestrator counts it.
 * - `PrimaryAvailable` / `ReplicaAvailable`: RDS reports `available` or a routine serving state (maintenance,
 *   backing-up, storage-optimization, …: `classifyInstanceStatus`); `PrimaryFailedState` / `PrimaryRoutineState`
 *   say which; `PrimaryApiUnreachable` = the primary region's API did not answer (failed or timed out): no evidence
 *   about the database either way.
 * - A probe refused for stale credentials re-reads the secret ONCE and probes again: a rotated password never reads
 *   as an outage, and the heartbeat and lag still get measured.
 * - `PrimaryWritable`: the heartbeat committed on the writer this run (a fenced or read-only writer refuses it).
 * - `ReplicationLagSeconds` is omitted when the replica is unreachable or already promoted: no measurement.
 * - `FailedOver` (sticky until a fail-back withdraws it: `writerNameFailedOver`) and `WriterProtected` (a replica in the
 *   other region protects the writer: `writerProtected`) are omitted when the state table does not answer: FailedOver
 *   steers DNS, so neither 0 nor 1 is safe, and a guess about protection would page or hide a real gap.
 */
export async function runMonitorCycle(deps: MonitorDependencies): Promise<MonitorRunResult> {
  const deadlines = { ...DEFAULT_MONITOR_DEADLINES, ...deps.deadlines };
  const errors: string[] = [];
  const recordError = (what: string, error: unknown) => {
    errors.push(`${what}: ${describeError(error)}`);
    deps.logger.error(`${what} failed`, { error: describeError(error) });
  };
  /** `undefined` when the check failed or did not end by its deadline (recorded as an error). */
  const attempt = async <T>(what: string, timeoutMs: number, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await withDeadline(work(), timeoutMs, what);
    } catch (error) {
      recordError(what, error);
      return undefined;
    }
  };
  const probeWith = async (what: 'primary' | 'replica', probes: ReplicationProbes | undefined): Promise<ProbeResult> => {
    if (!probes) return { reachable: false, latencyMs: 0, error: `${what} not probed: no credentials` };
    return (await attempt(`probe ${what}`, deadlines.probeMs, what === 'primary' ? probes.probePrimary : probes.probeReplica))
      ?? { reachable: false, latencyMs: deadlines.probeMs, error: 'probe failed or timed out' };
  };

  // Phase 1, in parallel: each check carries its own deadline, so none can hold the others. The failover state says
  // which instances are the writer and its replica now; a silent table leaves the last roles seen (or the configured
  // pair) and publishes no failed-over signals.
  const stateRead = attempt('read failover state', deadlines.stateMs, async () => {
    const state = await deps.failoverState.read();
    return { failedOver: writerNameFailedOver(state), writerProtected: writerProtected(state), roles: rolesAfter(state, deps.configured) };
  });
  const rolesKnown = stateRead.then((read) => read?.roles ?? deps.lastRoles ?? { ...deps.configured });
  const reading = attempt('read database credentials', deadlines.credentialsMs, () => deps.probes());
  const building = Promise.all([reading, rolesKnown]).then(([forRoles, roles]) => forRoles?.(roles));
  const describeRole = async (role: 'writer' | 'replica') => {
    const member = (await rolesKnown)[role];
    return member ? attempt(`describe ${role} ${member.instanceId}`, deadlines.apiMs, () => deps.describe(member)) : undefined;
  };
  const [roles, state] = await Promise.all([rolesKnown, stateRead]);
  let [probes, primaryProbe, replicaProbe, primaryStatus, replicaStatus] = await Promise.all([
    building,
    building.then((built) => probeWith('primary', built)),
    roles.replica ? building.then((built) => probeWith('replica', built)) : Promise.resolve(unprotected),
    describeRole('writer'),
    describeRole('replica'),
  ]);

  // Phase 2, only after a refused password: the secret rotated under this container. Re-read it once.
  if (probes && (isAuthenticationFailure(primaryProbe) || isAuthenticationFailure(replicaProbe))) {
    deps.logger.warn('database refused the cached credentials: re-reading the secret once', { primary: primaryProbe.error, replica: replicaProbe.error });
    const fresh = (await attempt('re-read database credentials', deadlines.credentialsMs, () => deps.probes({ refreshCredentials: true })))?.(roles);
    if (fresh) {
      probes = fresh;
      [primaryProbe, replicaProbe] = await Promise.all([
        isAuthenticationFailure(primaryProbe) ? probeWith('primary', fresh) : primaryProbe,
        isAuthenticationFailure(replicaProbe) ? probeWith('replica', fresh) : replicaProbe,
      ]);
    }
    for (const [what, probe] of [['primary', primaryProbe], ['replica', replicaProbe]] as const) {
      if (isAuthenticationFailure(probe)) recordError(`probe ${what}`, new Error(`${probe.error} (still refused after re-reading the secret)`));
    }
  }

  // Phase 3: heartbeat and lag need a working session (not merely a server that answered).
  let heartbeat: Heartbeat | undefined;
  // The commit came after this instant (the monitor's clock, the one the lease's expiry is on): a commit recorded at or
  // after a lease's expiry certainly happened after it.
  let heartbeatStartedAt: Date | undefined;
  if (probes && primaryProbe.reachable && primaryProbe.inRecovery === false) {
    heartbeatStartedAt = new Date();
    heartbeat = await attempt('write heartbeat on primary', deadlines.heartbeatMs, probes.writeHeartbeat);
  }
  let lag: ReplicationLag | undefined;
  if (probes && roles.replica && replicaProbe.reachable) {
    try {
      lag = await withDeadline(probes.measureLag(heartbeat?.lsn), deadlines.lagMs, 'measure replication lag');
    } catch (error) {
      if (error instanceof NotInRecoveryError) deps.logger.info('replica is not in recovery (promoted): no replication lag to measure');
      else recordError('measure replication lag', error);
    }
  }

  const primaryHealth: ControlPlaneHealth = classifyInstanceStatus(primaryStatus?.status);
  const replicaHealth: ControlPlaneHealth = classifyInstanceStatus(replicaStatus?.status);
  const data: MetricDatum[] = [
    { name: MonitorMetric.PrimaryReachable, value: flag(serverAnswered(primaryProbe)), unit: 'Count' },
    heartbeat && heartbeatStartedAt
      ? { name: MonitorMetric.PrimaryWritable, value: 1, unit: 'Count', at: heartbeatStartedAt }
      : { name: MonitorMetric.PrimaryWritable, value: 0, unit: 'Count' },
    { name: MonitorMetric.ReplicaReachable, value: flag(serverAnswered(replicaProbe)), unit: 'Count' },
    { name: MonitorMetric.PrimaryAvailable, value: flag(servesPerControlPlane(primaryHealth)), unit: 'Count' },
    { name: MonitorMetric.ReplicaAvailable, value: flag(servesPerControlPlane(replicaHealth)), unit: 'Count' },
    { name: MonitorMetric.PrimaryFailedState, value: flag(primaryHealth === 'failed'), unit: 'Count' },
    { name: MonitorMetric.PrimaryRoutineState, value: flag(primaryHealth === 'routine'), unit: 'Count' },
    // The writer's region's RDS API did not answer (the writer is always described).
    { name: MonitorMetric.PrimaryApiUnreachable, value: flag(primaryStatus === undefined), unit: 'Count' },
  ];
  if (lag) data.push({ name: MonitorMetric.ReplicationLagSeconds, value: lag.lagSeconds, unit: 'Seconds' });
  if (state !== undefined) {
    data.push({ name: MonitorMetric.FailedOver, value: flag(state.failedOver), unit: 'Count' });
    data.push({ name: MonitorMetric.WriterProtected, value: flag(state.writerProtected), unit: 'Count' });
  }
  data.push({ name: MonitorMetric.MonitorErrors, value: errors.length, unit: 'Count' });

  await deps.metrics.record(data);
  deps.logger.info('replication monitor run', {
    roles: describeRoles(roles),
    metrics: Object.fromEntries(data.map((datum) => [datum.name, datum.value])),
    primaryProbe,
    replicaProbe,
    primaryStatus: primaryStatus?.status,
    replicaStatus: replicaStatus?.status,
    lag,
    errors,
  });
  return { data, errors, primaryProbe, replicaProbe, lag, roles };
}
