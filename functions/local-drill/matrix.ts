/**
 * The fault matrix: each scenario starts a fresh local estate (estate.ts), puts writer clients on it, injects its
 * fault at the socket, process, lease or control-plane level, and lets the failover machinery do what it does on
 * AWS. The verdict is computed from what the CLIENTS saw (the history) and what the databases hold afterwards —
 * never from what the orchestrator reports about itself.
 */
import type { Client } from 'pg';
import { readWrittenIds } from './client-load';
import { LOCAL_LEASE_TIMINGS, LocalEstate, type EstateOptions } from './estate';
import {
  atMostOnePromotion, boundedLoss, failedWritesNeverCommit, noFalseFailover, noMissedFailover, noStaleAcknowledgements, oneWriter,
  type CheckResult,
} from './history/checks';
import type { AcknowledgedOperation } from './history/history';
import type { FailoverResult } from '../core/failover-orchestrator';
import { roundSeconds } from '../core/timeline';
import type { NodeHandle } from '../adapters/local/postgres-cluster';
import type { ProgressSink } from '../adapters/local/recording-observability';

export type MatrixScenarioName =
  | 'partition' | 'region-loss' | 'primary-returns' | 'switchover-lagging' | 'blackhole-crash' | 'maintenance' | 'lag-over-gate'
  | 'duplicate-triggers' | 'replica-down' | 'monitor-dead' | 'orchestrator-crash' | 'flapping' | 'rotation';

/** What a scenario's fault phase observed; the verdict adds what the history and the databases show. */
interface ScenarioFacts {
  /** When the fault (or the operator's request) happened. */
  readonly faultAt: number;
  /**
   * Ids the replica held once the old primary could no longer commit (a crash, a fence) and the replica had
   * replayed everything it received: what a failover may lose is the old primary's acknowledgements outside it.
   * Absent when nothing may be lost (no failover, planned switchover).
   */
  readonly replicaIdsWhenPrimaryStopped?: ReadonlySet<string>;
  /** Scenario-specific invariants (e.g. no promotion while the primary held its lease). */
  readonly checks?: readonly CheckResult[];
  readonly notes?: readonly string[];
}

interface Scenario {
  readonly name: MatrixScenarioName;
  /** The behaviour the scenario expects, in one line for the table. */
  readonly expected: string;
  /** The fault must end in a promotion (a dead or isolated primary) or must not (a blip, maintenance, a refusal). */
  readonly failoverExpected: boolean;
  readonly estate?: Partial<Omit<EstateOptions, 'name' | 'progress'>>;
  readonly run: (estate: LocalEstate, progress: ProgressSink) => Promise<ScenarioFacts>;
}

export interface MatrixRow {
  readonly scenario: MatrixScenarioName;
  readonly expected: string;
  readonly observed: string;
  readonly invariants: readonly { readonly name: string; readonly passed: boolean; readonly detail: string }[];
  /** Fault → first write the new writer acknowledged to a client (null: none). */
  readonly rtoSeconds: number | null;
  /** Fault → local composite alarm (null: it did not fire). */
  readonly detectSeconds: number | null;
  readonly promoteSeconds: number | null;
  readonly switchSeconds: number | null;
  /** Span of the lost acknowledged writes; `unknown` when the survivor could not be read (never 0 for unknown). */
  readonly rpoSeconds: number | 'unknown';
  /** The orchestrator's own estimate of the commits at risk (its lag gate), for comparison with `rpoSeconds`. */
  readonly lagEstimateSeconds: number | null;
  readonly writesAcknowledged: number;
  readonly lostCommittedWrites: number | 'unknown';
  readonly expectedLostWrites: number;
  readonly promoted: boolean;
  readonly promotions: number;
  readonly orchestratorOutcome: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly notes: readonly string[];
  readonly durationSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 25): Promise<T | undefined> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > giveUpAt) return value;
    await sleep(intervalMs);
  }
}

const FAILOVER_WAIT_MS = 30_000;

// ── Facts read from the databases ─────────────────────────────────────────────────────────────────────────────

/** True once the replica left recovery (promoted). Never throws: a replica that does not answer is not promoted. */
async function replicaPromoted(estate: LocalEstate): Promise<boolean> {
  try {
    const [row] = await estate.cluster.replica.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
    return !row.in_recovery;
  } catch {
    return false;
  }
}

/** Promotions the replica went through: each writes one timeline history file. */
async function promotionsOf(node: NodeHandle): Promise<number> {
  const [row] = await node.query<{ promotions: string }>("SELECT count(*) AS promotions FROM pg_ls_waldir() WHERE name LIKE '%.history'");
  return Number(row.promotions);
}

/** The replica's rows once it has replayed all WAL it received (after the primary stopped committing). */
async function replicaIdsOnceReplayed(replica: NodeHandle): Promise<Set<string>> {
  await waitFor(async () => {
    const [row] = await replica.query<{ done: boolean }>(
      'SELECT NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() AS done',
    );
    return row.done || undefined;
  }, 2000);
  return replica.session((client: Client) => readWrittenIds(client));
}

function firstAckBy(estate: LocalEstate, server: string, since: number): AcknowledgedOperation | undefined {
  return estate.history.events
    .filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === server && event.completedAt >= since)
    .sort((a, b) => a.completedAt - b.completedAt)[0];
}

/** Waits until a client saw the new writer acknowledge a write after `since`. */
function newWriterAck(estate: LocalEstate, since: number, timeoutMs = FAILOVER_WAIT_MS): Promise<AcknowledgedOperation | undefined> {
  return waitFor(() => firstAckBy(estate, estate.ids.replica, since), timeoutMs);
}

function check(name: string, passed: boolean, detail: string): CheckResult {
  return { name, passed, detail, counterexample: [] };
}

// ── Faults ────────────────────────────────────────────────────────────────────────────────────────────────────

/** The whole primary region disappears: database, keeper, its paths to the quorum, its API, every network path. */
async function losePrimaryRegion(estate: LocalEstate, signal: NodeJS.Signals): Promise<void> {
  estate.proxies.drToPrimary.blackhole();
  estate.proxies.walStream.blackhole();
  estate.proxies.directToPrimary.blackhole();
  estate.primaryLease.setRemoteLinks('blackhole');
  estate.controlPlane.answers = false;
  await estate.keeper.stop();
  await estate.cluster.primary.kill(signal);
}

/** The primary region keeps running but is cut off from the DR region and the lease witness. */
function isolatePrimaryRegion(estate: LocalEstate): void {
  estate.proxies.drToPrimary.blackhole();
  estate.proxies.walStream.blackhole();
  estate.primaryLease.setRemoteLinks('blackhole');
  estate.drLease.setLink('primary', 'blackhole');
  estate.controlPlane.answers = false;
}

/** The run that acted (promoted or finished), else the last one that did not just meet another run's lock. */
function decisiveResult(estate: LocalEstate): FailoverResult | undefined {
  const results = estate.runs.map((run) => run.result).filter((result): result is FailoverResult => result !== undefined);
  return results.find((result) => result.promoted) ?? [...results].reverse().find((result) => result.outcome !== 'already_in_progress') ?? results[results.length - 1];
}

// ── Scenarios ─────────────────────────────────────────────────────────────────────────────────────────────────

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'partition',
    expected: 'DR cut from the primary: no promotion while the keeper renews; once the primary region also loses the quorum, the keeper fences it before the DR side takes over',
    failoverExpected: true,
    estate: { directClients: 2 },
    async run(estate, progress) {
      const faultAt = Date.now();
      estate.proxies.drToPrimary.blackhole();
      estate.proxies.walStream.blackhole();
      progress('FAULT 1: DR region cut from the primary (probes, SQL and WAL stream black-holed); the primary region keeps its quorum path');
      // Twice the time after which an unrenewed lease could be taken: long enough for a wrong promotion to happen.
      await sleep(2 * (LOCAL_LEASE_TIMINGS.ttlMs + LOCAL_LEASE_TIMINGS.takeoverMarginMs));
      const promotedWhileHeld = await replicaPromoted(estate);
      const keeperStillHolds = estate.keeper.held;
      progress(`after ${roundSeconds((Date.now() - faultAt) / 1000)} s of partition: promoted ${promotedWhileHeld}, keeper holds the lease ${keeperStillHolds}`);
      const isolatedAt = Date.now();
      isolatePrimaryRegion(estate);
      progress('FAULT 2: the primary region also loses the lease quorum and its API; its keeper must fence the primary before the lease runs out');
      const fenced = await waitFor(() => (estate.keeper.lastTick?.fenceVerified ? true : undefined), 10_000);
      const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
      const ack = await newWriterAck(estate, isolatedAt);
      return {
        faultAt: isolatedAt,
        replicaIdsWhenPrimaryStopped: replicaIds,
        checks: [
          check('no promotion while the primary holds its lease', !promotedWhileHeld && keeperStillHolds,
            `after ${roundSeconds((isolatedAt - faultAt) / 1000)} s of partition the replica was ${promotedWhileHeld ? 'PROMOTED' : 'not promoted'} and the keeper ${keeperStillHolds ? 'still held' : 'had lost'} the lease`),
          check('keeper fenced its isolated primary (verified)', fenced === true, fenced ? 'fence verified' : 'no verified fence within 10 s'),
        ],
        notes: [ack ? `new writer's first acknowledgement ${roundSeconds((ack.completedAt - isolatedAt) / 1000)} s after the isolation` : 'no acknowledgement by the new writer'],
      };
    },
  },
  {
    name: 'region-loss',
    expected: 'primary, its keeper and its paths die together: automatic failover after the lease runs out; loss = what the replica lacked',
    failoverExpected: true,
    async run(estate, progress) {
      const faultAt = Date.now();
      await losePrimaryRegion(estate, 'SIGKILL');
      progress('FAULT: primary region lost (primary SIGKILLed, keeper dead, quorum links and API silent)');
      const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
      await newWriterAck(estate, faultAt);
      return { faultAt, replicaIdsWhenPrimaryStopped: replicaIds };
    },
  },
  {
    name: 'blackhole-crash',
    expected: 'primary frozen (SIGSTOP, never resumed) with its region: failover happens although TCP still connects',
    failoverExpected: true,
    async run(estate, progress) {
      const faultAt = Date.now();
      await losePrimaryRegion(estate, 'SIGSTOP');
      progress('FAULT: primary SIGSTOPped (accepts TCP, never answers) with its keeper, quorum links and API');
      const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
      await newWriterAck(estate, faultAt);
      return { faultAt, replicaIdsWhenPrimaryStopped: replicaIds };
    },
  },
  {
    name: 'switchover-lagging',
    expected: 'planned switchover under load with the replica seconds behind: freeze, catch up, promote — zero loss',
    failoverExpected: true,
    async run(estate, progress) {
      await estate.cluster.replica.configure({ recovery_min_apply_delay: '2s' });
      await sleep(2500);
      const faultAt = Date.now();
      progress('SWITCHOVER requested; the replica replays 2 s behind the primary');
      const result = await estate.failover({ trigger: 'operator', reason: 'planned switchover (fault matrix)', switchover: true });
      await estate.cluster.replica.configure({ recovery_min_apply_delay: '0' });
      await newWriterAck(estate, faultAt);
      return { faultAt, notes: [`orchestrator: ${result.outcome}`] };
    },
  },
  {
    name: 'maintenance',
    expected: 'RDS reports storage-optimization, then modifying, while the primary serves: no promotion, the writer name stays',
    failoverExpected: false,
    async run(estate, progress) {
      const faultAt = Date.now();
      for (const status of ['storage-optimization', 'modifying']) {
        estate.controlPlane.reportedStatus = status;
        progress(`FAULT: control plane reports the primary ${status} while it serves`);
        await estate.monitor.waitForCycles((estate.options.badCyclesToAlarm ?? 3) * 2);
      }
      estate.controlPlane.reportedStatus = undefined;
      return {
        faultAt,
        checks: [check('writer name stays on the primary', estate.endpoint.target.port === estate.cluster.primary.port, `endpoint → ${estate.endpoint.target.name}`)],
      };
    },
  },
];

/** The scenarios implemented so far, in the order `all` runs them. */
export const MATRIX_SCENARIOS: readonly MatrixScenarioName[] = SCENARIOS.map((scenario) => scenario.name);

/** Runs one scenario on a fresh estate and computes its row from the history and the databases. */
export async function runMatrixScenario(name: MatrixScenarioName, progress: ProgressSink): Promise<MatrixRow> {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`scenario ${name} is not implemented yet`);
  const startedAt = Date.now();
  const say: ProgressSink = (line) => progress(`[${name} ${((Date.now() - startedAt) / 1000).toFixed(3).padStart(7)} s] ${line}`);
  const estate = await LocalEstate.start({ name, progress: say, ...scenario.estate });
  try {
    estate.startResumeSchedule();
    estate.startLoad();
    await waitFor(() => (estate.history.events.some((event) => event.outcome === 'ok') ? true : undefined), 10_000);
    await sleep(1000);
    const facts = await scenario.run(estate, say);
    await sleep(500);
    await estate.stopLoad();
    return await verdict(scenario, estate, facts, startedAt);
  } finally {
    await estate.stop();
  }
}

async function verdict(scenario: Scenario, estate: LocalEstate, facts: ScenarioFacts, startedAt: number): Promise<MatrixRow> {
  const { history } = estate;
  const events = history.events;
  const promoted = await replicaPromoted(estate);
  const promotions = await promotionsOf(estate.cluster.replica).catch(() => Number.NaN);
  const survivor = promoted ? estate.cluster.replica : estate.cluster.primary;
  const survivingIds = await survivor.session((client: Client) => readWrittenIds(client)).catch(() => undefined);
  const oldPrimaryAcks = events.filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === estate.ids.primary);
  const lossBound = facts.replicaIdsWhenPrimaryStopped
    ? oldPrimaryAcks.filter((ack) => !facts.replicaIdsWhenPrimaryStopped!.has(ack.id)).length
    : 0;
  const loss = boundedLoss(events, { survivingIds, lossBound });
  const result = decisiveResult(estate);
  const lagEstimate = (await estate.store.read())?.lagSecondsAtDecision;
  const checks: CheckResult[] = [
    oneWriter(events),
    ...(promoted ? [noStaleAcknowledgements(events, { oldPrimary: estate.ids.primary, newWriter: estate.ids.replica })] : []),
    loss,
    ...(survivingIds ? [failedWritesNeverCommit(events, survivingIds)] : []),
    atMostOnePromotion(Number.isNaN(promotions) ? 2 : promotions),
    noFalseFailover({ promoted, failoverExpected: scenario.failoverExpected }),
    noMissedFailover({ promoted, failoverExpected: scenario.failoverExpected }),
    ...(facts.checks ?? []),
  ];
  const ack = promoted ? firstAckBy(estate, estate.ids.replica, facts.faultAt) : undefined;
  const step = (stepName: string) => result?.timeline?.steps.find((entry) => entry.step === stepName)?.seconds;
  const sumOf = (...names: string[]) => {
    const values = names.map(step).filter((value): value is number => value !== undefined);
    return values.length > 0 ? roundSeconds(values.reduce((a, b) => a + b, 0)) : null;
  };
  const failures = checks.filter((entry) => !entry.passed).map((entry) => `${entry.name}: ${entry.detail}`);
  return {
    scenario: scenario.name,
    expected: scenario.expected,
    observed: `${promoted ? 'promoted' : 'not promoted'}; orchestrator ${result?.outcome ?? 'not run'}; ${events.filter((event) => event.outcome === 'ok').length} acks by ${new Set(oldPrimaryAcks.length ? [estate.ids.primary] : []).size + (ack ? 1 : 0)} writer(s)`,
    invariants: checks.map(({ name, passed, detail }) => ({ name, passed, detail })),
    rtoSeconds: ack ? roundSeconds((ack.completedAt - facts.faultAt) / 1000) : null,
    detectSeconds: estate.alarmAt !== undefined && estate.alarmAt >= facts.faultAt ? roundSeconds((estate.alarmAt - facts.faultAt) / 1000) : null,
    promoteSeconds: sumOf('promoteReplica', 'waitForWriter'),
    switchSeconds: sumOf('publishDnsSignal', 'pinDnsRecord'),
    rpoSeconds: loss.rpoSeconds,
    lagEstimateSeconds: lagEstimate ?? null,
    writesAcknowledged: events.filter((event) => event.outcome === 'ok').length,
    lostCommittedWrites: loss.lost,
    expectedLostWrites: lossBound,
    promoted,
    promotions: Number.isNaN(promotions) ? -1 : promotions,
    orchestratorOutcome: result?.outcome ?? 'not run',
    passed: failures.length === 0,
    failures,
    notes: [...(facts.notes ?? [])],
    durationSeconds: roundSeconds((Date.now() - startedAt) / 1000),
  };
}
