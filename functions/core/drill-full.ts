/**
 * Full drill: a real promotion rehearsed on a disposable replica of the primary, in the DR region. A Step
 * Functions state machine runs one task per state and carries `FullDrillState` between them; waiting is done
 * by the state machine retrying a task that throws `DrillNotReadyError`, so no Lambda sleeps.
 * Production is never promoted: every mutating call names the run's own `instanceId`, which always starts with
 * the drill prefix (IAM allows create/promote/delete on that prefix only).
 */
import { whyNotOnConfiguredPair } from './estate-roles';
import { formatSeconds } from './format-seconds';
import { DRILL_DIMENSION, DRILL_KIND, DrillMetric } from './metric-names';
import type { Alerts, FailoverStateStore, Logger, MetricDatum, Metrics } from './ports';
import { describeError } from './retry';

export interface FullDrillState {
  readonly runId: string;
  readonly instanceId: string;
  readonly startedAt: string;
  readonly endpoint?: string;
  /** Primary clock: when the marker committed on the primary. */
  readonly markerWrittenAt?: string;
  readonly markerSeenAt?: string;
  readonly promotionStartedAt?: string;
  readonly writableAt?: string;
  /** Set by the state machine's Catch (`{Error, Cause}`). */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly cleanup?: string;
}

export type FullDrillTask = 'start' | 'create' | 'awaitAvailable' | 'writeMarker' | 'awaitMarker' | 'promote' | 'awaitWritable' | 'cleanup' | 'report';
export const FULL_DRILL_TASKS: readonly FullDrillTask[] = ['start', 'create', 'awaitAvailable', 'writeMarker', 'awaitMarker', 'promote', 'awaitWritable', 'cleanup', 'report'];

export interface DrillInstanceView {
  readonly status: string;
  readonly endpoint?: string;
  /** Still attached to its source. */
  readonly isReplica: boolean;
}

/** The disposable instance's control plane (AWS: RDS in the DR region). Every method THROWS on API failure. */
export interface DrillInstances {
  /** Ids of existing instances whose id starts with the drill prefix. */
  listDrillInstances(): Promise<readonly string[]>;
  createReplica(instanceId: string): Promise<void>;
  /** `undefined` when the instance does not exist. */
  describe(instanceId: string): Promise<DrillInstanceView | undefined>;
  promote(instanceId: string): Promise<void>;
  /** Deletes without final snapshot; `absent` if there was nothing to delete. Throws `DrillNotReadyError` while RDS refuses in the current state. */
  delete(instanceId: string): Promise<'deleting' | 'absent'>;
}

/** Data-plane steps (AWS: pg over TLS). Every method THROWS on failure. */
export interface DrillDatabase {
  /** Commits a marker on the production primary; returns its commit time (primary clock). */
  writeMarker(): Promise<Date>;
  /** Whether the disposable replica at `endpoint` has replayed the marker written at `writtenAt`. */
  hasMarker(endpoint: string, writtenAt: Date): Promise<boolean>;
  /** Writes a row on `endpoint` and reads it back; false if the server is still read-only. */
  writeAndRead(endpoint: string, runId: string): Promise<boolean>;
}

export interface FullDrillPorts {
  readonly instances: DrillInstances;
  readonly database: DrillDatabase;
  readonly failoverState: Pick<FailoverStateStore, 'read'>;
  readonly metrics: Metrics;
  readonly alerts: Alerts;
  readonly logger: Logger;
  readonly now: () => number;
  /** e.g. `paydb-drill-dev-`: every drill instance id starts with it. */
  readonly instancePrefix: string;
}

/** The awaited condition does not hold yet: the state machine retries the task later. */
export class DrillNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillNotReady';
  }
}

/** The drill must not run now (failover under way, another drill's instance exists). */
export class DrillRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillRefused';
  }
}

/** `<prefix><UTC yyyymmddhhmmss>`: unique per run, sortable, valid as an RDS identifier. */
export function drillInstanceId(prefix: string, at: Date): string {
  return `${prefix}${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

export interface FullDrillMeasurements {
  /** Promotion request → first successful write + read on the promoted copy. */
  readonly rtoSeconds?: number;
  /** Marker commit on the primary → first seen on the replica: an upper bound of the data a failover would lose (poll granularity included). */
  readonly rpoSeconds?: number;
}

export function measureFullDrill(state: FullDrillState): FullDrillMeasurements {
  const between = (from?: string, to?: string) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined);
  const rtoSeconds = between(state.promotionStartedAt, state.writableAt);
  const rpoSeconds = between(state.markerWrittenAt, state.markerSeenAt);
  return { ...(rtoSeconds !== undefined ? { rtoSeconds } : {}), ...(rpoSeconds !== undefined ? { rpoSeconds: Math.max(0, rpoSeconds) } : {}) };
}

export interface FullDrillReport extends FullDrillMeasurements {
  readonly succeeded: boolean;
  readonly runId: string;
  readonly instanceId: string;
  readonly message: string;
}

/** Runs one task of the state machine on `state` and returns the next state (or the report for `report`). */
export async function runFullDrillTask(task: FullDrillTask, state: FullDrillState | undefined, ports: FullDrillPorts): Promise<FullDrillState | FullDrillReport> {
  if (task === 'start') return start(ports);
  if (!state?.instanceId?.startsWith(ports.instancePrefix)) {
    throw new Error(`refusing task ${task}: instance id ${JSON.stringify(state?.instanceId)} does not start with the drill prefix ${ports.instancePrefix}`);
  }
  const at = () => new Date(ports.now()).toISOString();
  const { instances, database } = ports;
  switch (task) {
    case 'create':
      await instances.createReplica(state.instanceId);
      return state;
    case 'awaitAvailable': {
      const view = await instances.describe(state.instanceId);
      if (!view) throw new Error(`drill instance ${state.instanceId} disappeared`);
      if (view.status !== 'available' || !view.endpoint) throw new DrillNotReadyError(`drill instance ${state.instanceId} is ${view.status}`);
      return { ...state, endpoint: view.endpoint };
    }
    case 'writeMarker':
      return { ...state, markerWrittenAt: (await database.writeMarker()).toISOString() };
    case 'awaitMarker': {
      if (!state.endpoint || !state.markerWrittenAt) throw new Error('awaitMarker needs endpoint and markerWrittenAt');
      if (!(await database.hasMarker(state.endpoint, new Date(state.markerWrittenAt)))) throw new DrillNotReadyError('marker not replayed yet');
      return { ...state, markerSeenAt: at() };
    }
    case 'promote': {
      const promotionStartedAt = at();
      await instances.promote(state.instanceId);
      return { ...state, promotionStartedAt };
    }
    case 'awaitWritable': {
      if (!state.endpoint) throw new Error('awaitWritable needs endpoint');
      const view = await instances.describe(state.instanceId);
      if (!view || view.isReplica || view.status !== 'available') throw new DrillNotReadyError(`drill instance ${state.instanceId} is ${view?.status ?? 'missing'}`);
      if (!(await database.writeAndRead(view.endpoint ?? state.endpoint, state.runId))) throw new DrillNotReadyError('promoted copy is still read-only');
      return { ...state, writableAt: at() };
    }
    case 'cleanup':
      return { ...state, cleanup: await instances.delete(state.instanceId) };
    case 'report':
      return report(state, ports);
  }
}

async function start(ports: FullDrillPorts): Promise<FullDrillState> {
  const offPair = whyNotOnConfiguredPair(await ports.failoverState.read());
  if (offPair) throw new DrillRefusedError(`no drill: ${offPair}`);
  const existing = await ports.instances.listDrillInstances();
  if (existing.length > 0) throw new DrillRefusedError(`another drill instance exists (running drill or failed cleanup): ${existing.join(', ')}`);
  const now = new Date(ports.now());
  const instanceId = drillInstanceId(ports.instancePrefix, now);
  return { runId: instanceId, instanceId, startedAt: now.toISOString() };
}

async function report(state: FullDrillState, ports: FullDrillPorts): Promise<FullDrillReport> {
  const measured = measureFullDrill(state);
  const succeeded = !state.error && state.writableAt !== undefined && state.cleanup !== undefined;
  const cause = state.error ? `${state.error.Error ?? 'Error'}: ${causeMessage(state.error.Cause)}` : undefined;
  const message = [
    `Full DR drill ${state.runId} ${succeeded ? 'succeeded' : 'FAILED'}.`,
    ...(cause ? [`Failure: ${cause}`] : []),
    `RTO (promotion → first write+read): ${measured.rtoSeconds === undefined ? 'not reached' : formatSeconds(measured.rtoSeconds)}`,
    `RPO (marker on primary → seen on the disposable replica, upper bound): ${measured.rpoSeconds === undefined ? 'not reached' : formatSeconds(measured.rpoSeconds)}`,
    `Disposable instance ${state.instanceId}: ${state.cleanup === undefined ? 'CLEANUP FAILED — delete it by hand' : state.cleanup}`,
  ].join('\n');
  const dimensions = { [DRILL_DIMENSION]: DRILL_KIND.full };
  const data: MetricDatum[] = [
    { name: DrillMetric.DrillSucceeded, value: succeeded ? 1 : 0, unit: 'Count', dimensions },
    ...(measured.rtoSeconds !== undefined ? [{ name: DrillMetric.DrillRtoSeconds, value: measured.rtoSeconds, unit: 'Seconds' as const, dimensions }] : []),
    ...(measured.rpoSeconds !== undefined ? [{ name: DrillMetric.DrillRpoSeconds, value: measured.rpoSeconds, unit: 'Seconds' as const, dimensions }] : []),
  ];
  await ports.metrics.record(data).catch((error: unknown) => ports.logger.error('drill metrics not published', { error: describeError(error) }));
  await ports.alerts.notify(`Full DR drill: ${succeeded ? 'SUCCEEDED' : 'FAILED'}`, message)
    .catch((error: unknown) => ports.logger.error('drill report not sent', { error: describeError(error) }));
  ports.logger.info('full drill finished', { succeeded, ...measured, instanceId: state.instanceId });
  return { succeeded, runId: state.runId, instanceId: state.instanceId, message, ...measured };
}

/** Lambda failures reach Catch as a JSON `Cause` (`{"errorMessage": ...}`); other failures as plain text. */
function causeMessage(cause: string | undefined): string {
  if (!cause) return 'unknown';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}
