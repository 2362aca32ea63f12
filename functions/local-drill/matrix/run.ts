/**
 * The fault matrix: each scenario starts a fresh local estate (estate.ts), puts writer clients on it, injects its
 * fault at the socket, process, lease or control-plane level, and lets the failover machinery do what it does on
 * AWS. The verdict is computed from what the CLIENTS saw (the history) and what the databases hold afterwards —
 * never from what the orchestrator reports about itself.
 */
import type { Client } from 'pg';
import { readWrittenIds } from '../client-load';
import { LocalEstate } from '../estate';
import {
  atMostOnePromotion, boundedLoss, failedWritesNeverCommit, noFalseFailover, noMissedFailover, noStaleAcknowledgements, oneWriter,
  type CheckResult,
} from '../history/checks';
import type { AcknowledgedOperation } from '../history/history';
import type { FailoverResult } from '../../core/failover-orchestrator';
import { roundSeconds } from '../../core/timeline';
import type { ProgressSink } from '../../adapters/local/recording-observability';
import { firstAckBy, promotionsOf, replicaPromoted, sleep, waitFor, type MatrixScenarioName, type Scenario, type ScenarioFacts } from './scenario';
import { SCENARIOS } from './scenarios';

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

/** The run that acted (promoted or finished), else the last one that did not just meet another run's lock. */
function decisiveResult(estate: LocalEstate): FailoverResult | undefined {
  const results = estate.runs.map((run) => run.result).filter((result): result is FailoverResult => result !== undefined);
  return results.find((result) => result.promoted) ?? [...results].reverse().find((result) => result.outcome !== 'already_in_progress') ?? results[results.length - 1];
}

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
