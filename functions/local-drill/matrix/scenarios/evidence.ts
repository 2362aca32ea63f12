/**
 * Observers shared by the lag, replica and monitor scenarios (lag-over-gate, flapping, replica-down, monitor-dead).
 * They only READ the estate's public parts — the lease quorum's replicas, the replica's recovery state, the monitor's
 * recorded cycles, the client history — and turn what they saw into checks, never what the orchestrator reports.
 */
import type { Client } from 'pg';
import { readWrittenIds } from '../../client-load';
import type { LocalEstate } from '../../estate';
import { boundedLoss, type CheckResult } from '../../history/checks';
import type { AcknowledgedOperation } from '../../history/history';
import { MonitorMetric } from '../../../core/metric-names';
import { formatSeconds } from '../../../core/format-seconds';
import type { WriteLease } from '../../../core/write-lease';
import { LEASE_REPLICAS } from '../../../adapters/local/local-write-lease';
import { check, sleep } from '../scenario';

const at = (ms: number, origin: number) => `${ms >= origin ? '+' : ''}${formatSeconds((ms - origin) / 1000)}`;

/** The lease as the quorum holds it now: the highest version among the three replicas (every write reaches a majority). */
export function latestLease(estate: LocalEstate): WriteLease | undefined {
  return LEASE_REPLICAS.map((name) => estate.quorum.replicaValue(name)).reduce((a, b) => (b.version > a.version ? b : a)).lease;
}

interface PromotionSample {
  /** Epoch ms (the lease's clock) the replica's answer arrived. */
  readonly at: number;
  readonly promoted: boolean;
  /** The newest lease the primary's keeper had written by then, if any. */
  readonly primaryLease?: WriteLease;
}

/**
 * Samples, every `intervalMs`, whether the replica has left recovery and which lease the primary's keeper last wrote.
 * A replica that does not answer (frozen, stopped) is not sampled: it cannot have been promoted then.
 */
export class LeaseAndPromotionWatch {
  private readonly samples: PromotionSample[] = [];
  private lastPrimaryLease: WriteLease | undefined;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly estate: LocalEstate, intervalMs = 50) {
    this.loop = this.run(intervalMs);
  }

  /** First time the replica was seen out of recovery. */
  get firstPromotedAt(): number | undefined {
    return this.samples.find((sample) => sample.promoted)?.at;
  }

  /** Last time the replica was seen still in recovery. */
  get lastInRecoveryAt(): number | undefined {
    return [...this.samples].reverse().find((sample) => !sample.promoted)?.at;
  }

  /** The newest lease the primary's keeper wrote (as sampled). */
  get primaryLease(): WriteLease | undefined {
    return this.lastPrimaryLease;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /**
   * No promotion while the primary held its lease: no sample saw the replica promoted before the newest lease the
   * primary's keeper had written by then expired. (`origin` only formats times.)
   */
  noPromotionWhileLeaseHeld(origin: number): CheckResult {
    const early = this.samples.filter((sample) => sample.promoted && sample.primaryLease && sample.at < sample.primaryLease.expiresAt);
    const lease = this.lastPrimaryLease;
    const promotedAt = this.firstPromotedAt;
    if (early.length > 0) {
      return check('no promotion while the primary held its lease', false,
        `the replica was seen promoted at ${at(early[0].at, origin)} while the primary's lease (epoch ${early[0].primaryLease!.epoch}) ran until ${at(early[0].primaryLease!.expiresAt, origin)}`);
    }
    return check('no promotion while the primary held its lease', true, promotedAt === undefined
      ? `not promoted (${this.samples.length} samples); the primary's last lease ran until ${lease ? at(lease.expiresAt, origin) : 'never written'}`
      : `first seen promoted at ${at(promotedAt, origin)}, ${lease ? `${formatSeconds((promotedAt - lease.expiresAt) / 1000)} after the primary's last lease expired (${at(lease.expiresAt, origin)})` : 'no primary lease seen'}`);
  }

  private async run(intervalMs: number): Promise<void> {
    const { estate } = this;
    while (this.running) {
      const lease = latestLease(estate);
      if (lease?.holder === 'primary') this.lastPrimaryLease = lease;
      const promoted = await promotedWithin(estate, 500);
      const now = Date.now();
      const after = latestLease(estate);
      if (after?.holder === 'primary') this.lastPrimaryLease = after;
      if (promoted !== undefined) this.samples.push({ at: now, promoted, ...(this.lastPrimaryLease ? { primaryLease: this.lastPrimaryLease } : {}) });
      await sleep(intervalMs);
    }
  }
}

/** `undefined` when the replica did not answer within `timeoutMs` (frozen or down). */
async function promotedWithin(estate: LocalEstate, timeoutMs: number): Promise<boolean | undefined> {
  if (!estate.cluster.replica.isRunning()) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const query = estate.cluster.replica.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery')
    .then(([row]) => !row.in_recovery)
    .catch(() => undefined);
  const result = await Promise.race([query, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
  clearTimeout(timer);
  return result;
}

/**
 * The real loss as the verdict will count it (acknowledged writes missing on the promoted replica) against the
 * orchestrator's estimate of the commits at risk: the recorded `lagSecondsAtDecision` (the row's `lagEstimateSeconds`)
 * and the figure its gate used when it proceeded (`checkReplica`'s verdict), each at least the span of the lost writes.
 * Call it once the replica is promoted and the old primary can no longer acknowledge anything.
 */
export async function estimateCoversLoss(estate: LocalEstate): Promise<{ readonly check: CheckResult; readonly note: string }> {
  // Only the old primary's acknowledgements can be lost, and all of them completed before this snapshot; the new
  // writer's, which keep coming while the rows are read, are left out (they would read as missing).
  const oldPrimaryAcks = estate.history.events.filter((event) => event.outcome === 'ok' && event.server === estate.ids.primary);
  const survivingIds = await estate.cluster.replica.session((client: Client) => readWrittenIds(client)).catch(() => undefined);
  const loss = boundedLoss(oldPrimaryAcks, { survivingIds, lossBound: Number.MAX_SAFE_INTEGER });
  const state = await estate.store.read();
  const recorded = state?.lagSecondsAtDecision;
  const gateDetail = state?.steps.checkReplica?.detail;
  const gateMatch = gateDetail?.match(/replication lag (\d+(?:\.\d+)?) s/);
  const gate = gateMatch ? Number(gateMatch[1]) : undefined;
  const figures = `recorded estimate ${recorded ?? 'none'} s, gate's figure ${gate ?? 'none'} s (${gateDetail ?? 'no checkReplica step'})`;
  if (loss.rpoSeconds === 'unknown') {
    return { check: check('lag estimate ≥ real span of lost commits', false, `loss unknown (the promoted replica could not be read); ${figures}`), note: figures };
  }
  const rpo = loss.rpoSeconds;
  const covers = (value: number | undefined) => value !== undefined && value >= rpo;
  const passed = covers(recorded) && (gate === undefined || covers(gate));
  return {
    check: check('lag estimate ≥ real span of lost commits', passed, `${loss.lost} acknowledged writes lost over ${rpo} s; ${figures}`),
    note: `lost ${loss.lost} writes over ${rpo} s; ${figures}`,
  };
}

/** The monitor's cycles since `since`, by what they told the lag estimate (`lagAtPrimaryFailure`). */
export function monitorCycleKinds(estate: LocalEstate, since: number, until = Infinity): string {
  const cycles = new Map<number, Map<string, number>>();
  for (const datum of estate.metrics.recorded) {
    if (datum.at < since || datum.at > until || datum.dimensions !== undefined) continue;
    const values = cycles.get(datum.at) ?? new Map<string, number>();
    values.set(datum.name, datum.value);
    cycles.set(datum.at, values);
  }
  const withReachability = [...cycles.entries()].filter(([, values]) => values.has(MonitorMetric.PrimaryReachable)).sort((a, b) => a[0] - b[0]);
  let measured = 0;
  let unmeasured = 0;
  let unreachable = 0;
  let longestGapMs = 0;
  let previous: number | undefined;
  for (const [cycleAt, values] of withReachability) {
    if (values.get(MonitorMetric.PrimaryReachable) !== 1) unreachable += 1;
    else if (values.has(MonitorMetric.ReplicationLagSeconds)) measured += 1;
    else unmeasured += 1;
    if (previous !== undefined) longestGapMs = Math.max(longestGapMs, cycleAt - previous);
    previous = cycleAt;
  }
  return `${withReachability.length} monitor cycles: ${measured} primary reachable with lag, ${unmeasured} reachable without lag, `
    + `${unreachable} unreachable; longest gap between cycles ${formatSeconds(longestGapMs / 1000)}`;
}

/** Acknowledgements by `server` completed at or after `since` (history clock). */
export function acknowledgedBy(estate: LocalEstate, server: string, since: number): AcknowledgedOperation[] {
  return estate.history.events
    .filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === server && event.completedAt >= since)
    .sort((a, b) => a.completedAt - b.completedAt);
}

/** Distinct values of the failover record's `lastDecision`, as the scenario saw them (sampled). */
export class DecisionLog {
  readonly seen: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(estate: LocalEstate, intervalMs = 50) {
    this.loop = (async () => {
      while (this.running) {
        const decision = (await estate.store.read())?.lastDecision;
        if (decision && this.seen[this.seen.length - 1] !== decision) this.seen.push(decision);
        await sleep(intervalMs);
      }
    })();
  }

  some(pattern: RegExp): boolean {
    return this.seen.some((decision) => pattern.test(decision));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** The orchestrator invocations by trigger and outcome, in order of first occurrence: `alarm→waiting (+3.7 s), resume→already_in_progress ×52 (+4.6 s), …`. */
export function summarizeRuns(estate: LocalEstate, origin: number): string {
  const groups = new Map<string, { count: number; first: number }>();
  for (const run of [...estate.runs].sort((a, b) => a.startedAt - b.startedAt)) {
    const label = `${(run.request as { trigger?: string }).trigger ?? '?'}→${run.result?.outcome ?? `error (${run.error ?? 'crashed'})`}`;
    const group = groups.get(label);
    if (group) group.count += 1;
    else groups.set(label, { count: 1, first: run.startedAt });
  }
  return groups.size === 0 ? 'no orchestrator run' : `orchestrator runs: ${[...groups.entries()].map(([label, group]) => `${label}${group.count > 1 ? ` ×${group.count}` : ''} (first ${at(group.first, origin)})`).join(', ')}`;
}
