/**
 * What a fault-matrix scenario is, and the tools scenarios share: facts read from the databases and the history,
 * and the faults that take out a whole region. Each scenario lives in scenarios/<name>.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { readWrittenIds } from '../client-load';
import type { EstateOptions, LocalEstate } from '../estate';
import type { CheckResult } from '../history/checks';
import type { AcknowledgedOperation, ServerId } from '../history/history';
import { MonitorMetric } from '../../core/metric-names';
import type { NodeHandle } from '../../adapters/local/postgres-cluster';
import type { ProgressSink } from '../../adapters/local/recording-observability';
import type { WriteLeaseStore } from '../../core/write-lease';

export type MatrixScenarioName =
  | 'partition' | 'region-loss' | 'primary-returns' | 'switchover-lagging' | 'blackhole-crash' | 'maintenance' | 'lag-over-gate'
  | 'duplicate-triggers' | 'replica-down' | 'monitor-dead' | 'orchestrator-crash' | 'flapping' | 'rotation' | 'lifecycle'
  | 'keeper-dead-partition';

/**
 * A scenario that moves the writer more than once (crash → failover → re-protection → switch back): the writers in
 * the order they took over, the server that must write at the end, and the promotions observed and expected.
 */
export interface WriterChain {
  /** Server ids (history `server`) of each writer, first to last. */
  readonly writers: readonly ServerId[];
  readonly finalWriter: NodeHandle;
  /** Distinct promotions the servers' timeline history files record. */
  readonly promotions: number;
  readonly expectedPromotions: number;
}

/** What a scenario's fault phase observed; the verdict adds what the history and the databases show. */
export interface ScenarioFacts {
  /** When the fault (or the operator's request) happened. */
  readonly faultAt: number;
  /**
   * Ids the replica held once the old primary could no longer commit (a crash, a fence) and the replica had
   * replayed everything it received: what a failover may lose is the old primary's acknowledgements outside it.
   * Absent when nothing may be lost (no failover, planned switchover).
   */
  readonly replicaIdsWhenPrimaryStopped?: ReadonlySet<string>;
  /**
   * Later crashes of other writers (a scenario whose estate fails over again after a fail-back): each may lose that
   * writer's acknowledgements outside the ids its replica held once it had replayed everything it received.
   */
  readonly laterCrashes?: ReadonlyArray<{ readonly writer: string; readonly replicaIds: ReadonlySet<string> }>;
  /** Scenario-specific invariants (e.g. no promotion while the primary held its lease). */
  readonly checks?: readonly CheckResult[];
  readonly notes?: readonly string[];
  /** Set by scenarios that move the writer more than once; the verdict then follows the chain (see `WriterChain`). */
  readonly writerChain?: WriterChain;
}

export interface Scenario {
  readonly name: MatrixScenarioName;
  /** The behaviour the scenario expects, in one line for the table. */
  readonly expected: string;
  /** The fault must end in a promotion (a dead or isolated primary) or must not (a blip, maintenance, a refusal). */
  readonly failoverExpected: boolean;
  readonly estate?: Partial<Omit<EstateOptions, 'name' | 'progress'>>;
  readonly run: (estate: LocalEstate, progress: ProgressSink) => Promise<ScenarioFacts>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 25): Promise<T | undefined> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > giveUpAt) return value;
    await sleep(intervalMs);
  }
}

export const FAILOVER_WAIT_MS = 30_000;

// ── Facts read from the databases ─────────────────────────────────────────────────────────────────────────────

/** True once the replica left recovery (promoted). Never throws: a replica that does not answer is not promoted. */
export async function replicaPromoted(estate: LocalEstate): Promise<boolean> {
  try {
    const [row] = await estate.cluster.replica.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
    return !row.in_recovery;
  } catch {
    return false;
  }
}

/**
 * The distinct timeline switches recorded in the data directories of `nodes` (running or not): each promotion writes
 * one `<timeline>.history` file, and a server cloned from a promoted one carries its history files, so the union is
 * the number of promotions the lineage went through.
 */
export function promotionsRecorded(nodes: readonly NodeHandle[]): number {
  const files = new Set<string>();
  for (const node of nodes) {
    try {
      for (const entry of fs.readdirSync(path.join(node.dataDir, 'pg_wal'))) if (entry.endsWith('.history')) files.add(entry);
    } catch {
      // a node whose directory is gone recorded nothing we can read
    }
  }
  return files.size;
}

/** Promotions the replica went through: each writes one timeline history file. */
export async function promotionsOf(node: NodeHandle): Promise<number> {
  const [row] = await node.query<{ promotions: string }>("SELECT count(*) AS promotions FROM pg_ls_waldir() WHERE name LIKE '%.history'");
  return Number(row.promotions);
}

/** The replica's rows once it has replayed all WAL it received (after the primary stopped committing). */
export async function replicaIdsOnceReplayed(replica: NodeHandle): Promise<Set<string>> {
  await waitFor(async () => {
    const [row] = await replica.query<{ done: boolean }>(
      'SELECT NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() AS done',
    );
    return row.done || undefined;
  }, 2000);
  return replica.session((client: Client) => readWrittenIds(client));
}

export function firstAckBy(estate: LocalEstate, server: string, since: number): AcknowledgedOperation | undefined {
  return estate.history.events
    .filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === server && event.completedAt >= since)
    .sort((a, b) => a.completedAt - b.completedAt)[0];
}

/** Waits until a client saw the new writer acknowledge a write after `since`. */
export function newWriterAck(estate: LocalEstate, since: number, timeoutMs = FAILOVER_WAIT_MS): Promise<AcknowledgedOperation | undefined> {
  return waitFor(() => firstAckBy(estate, estate.ids.replica, since), timeoutMs);
}

export function check(name: string, passed: boolean, detail: string): CheckResult {
  return { name, passed, detail, counterexample: [] };
}

// ── Faults ────────────────────────────────────────────────────────────────────────────────────────────────────

/** The whole primary region disappears: database, keeper, its paths to the quorum, its API, every network path. */
export async function losePrimaryRegion(estate: LocalEstate, signal: NodeJS.Signals): Promise<void> {
  estate.proxies.drToPrimary.blackhole();
  estate.proxies.walStream.blackhole();
  estate.proxies.directToPrimary.blackhole();
  estate.primaryLease.setRemoteLinks('blackhole');
  estate.controlPlane.answers = false;
  await estate.keeper.stop();
  await estate.cluster.primary.kill(signal);
}

/** The primary region keeps running but is cut off from the DR region and the lease witness. */
export function isolatePrimaryRegion(estate: LocalEstate): void {
  estate.proxies.drToPrimary.blackhole();
  estate.proxies.walStream.blackhole();
  estate.primaryLease.setRemoteLinks('blackhole');
  estate.drLease.setLink('primary', 'blackhole');
  estate.controlPlane.answers = false;
}


/**
 * The primary region comes back after `losePrimaryRegion`: its keeper first (a cold start that knows no renewal, so
 * with the database still down its first tick persists the read-only fence), then its paths, its quorum links and
 * its API, then the database restarts (read-only if the keeper fenced it). On AWS the keeper runs on a schedule while
 * RDS takes minutes to restart an instance, so it ticks before the database is back.
 */
export async function restorePrimaryRegion(estate: LocalEstate): Promise<void> {
  estate.primaryLease.setRemoteLinks('open');
  await estate.keeper.stop();
  await estate.restartKeeper();
  for (const proxy of Object.values(estate.proxies)) proxy.heal();
  estate.controlPlane.answers = true;
  await estate.cluster.primary.start();
}

// ── Looking inside the orchestrator's calls ───────────────────────────────────────────────────────────────────

/**
 * `target` with some methods replaced; every other method is the target's own (bound), so class instances such
 * as the local adapters keep working. For `LocalEstate.interceptPorts`.
 */
export function override<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (Object.prototype.hasOwnProperty.call(overrides, key)) return overrides[key as keyof T];
      const value = Reflect.get(object, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/**
 * The lease store with `then` run right after each successful conditional write that gives the lease to the DR side
 * (before the orchestrator sees the result): the moment a scenario thaws a primary or crashes the orchestrator.
 */
export function afterDrTakesLease(lease: WriteLeaseStore, then: () => Promise<unknown> | undefined): WriteLeaseStore {
  return override<WriteLeaseStore>(lease, {
    compareAndSet: async (expected, next) => {
      const written = await lease.compareAndSet(expected, next);
      if (next.holder === 'dr') await then();
      return written;
    },
  });
}

/** Acknowledgements by `server` completed at or after `since` (history clock), oldest first. */
export function acksBy(estate: LocalEstate, server: string, since = -Infinity): AcknowledgedOperation[] {
  return estate.history.events
    .filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === server && event.completedAt >= since)
    .sort((a, b) => a.completedAt - b.completedAt);
}

/** The monitor's cycles as recorded (one instant per cycle), with the value of each metric it published. */
export function monitorCycles(estate: LocalEstate, since = -Infinity): Array<{ readonly at: number; readonly values: ReadonlyMap<string, number> }> {
  const cycles = new Map<number, Map<string, number>>();
  for (const datum of estate.metrics.recorded) {
    if (datum.at < since || datum.dimensions !== undefined) continue;
    const values = cycles.get(datum.at) ?? new Map<string, number>();
    values.set(datum.name, datum.value);
    cycles.set(datum.at, values);
  }
  return [...cycles.entries()].filter(([, values]) => values.has(MonitorMetric.MonitorErrors)).map(([at, values]) => ({ at, values }));
}
