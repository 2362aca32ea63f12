/**
 * The fault matrix: each scenario starts a fresh local estate (estate.ts), puts writer clients on it, injects its
 * fault at the socket, process, lease or control-plane level, and lets the failover machinery do what it does on
 * AWS. The verdict is computed from what the CLIENTS saw (the history) and what the databases hold afterwards —
 * never from what the orchestrator reports about itself.
 */
import * as fs from 'node:fs';
import type { Client } from 'pg';
import { readWrittenIds } from '../client-load';
import { LocalEstate } from '../estate';
import {
  atMostOnePromotion, boundedLoss, exactlyPromotions, failedWritesNeverCommit, noFalseFailover, noMissedFailover, noStaleAcknowledgements, oneWriter,
  type CheckResult,
} from '../history/checks';
import type { AcknowledgedOperation } from '../history/history';
import type { FailoverResult } from '../../core/failover-orchestrator';
import { formatSeconds } from '../../core/format-seconds';
import { formatTimeline, roundSeconds } from '../../core/timeline';
import type { ProgressSink } from '../../adapters/local/recording-observability';
import { check, firstAckBy, promotionsOf, replicaPromoted, sleep, waitFor, type MatrixScenarioName, type Scenario, type ScenarioFacts } from './scenario';
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

/**
 * The run whose result describes the failover: the one that completed it, else the last one that acted on it (not a
 * run that only met another run's lock), else the last run.
 */
function decisiveResult(estate: LocalEstate): FailoverResult | undefined {
  const results = estate.runs.map((run) => run.result).filter((result): result is FailoverResult => result !== undefined);
  return results.find((result) => result.outcome === 'completed')
    ?? [...results].reverse().find((result) => result.outcome !== 'already_in_progress')
    ?? results[results.length - 1];
}

/** The scenarios implemented so far, in the order `all` runs them. */
export const MATRIX_SCENARIOS: readonly MatrixScenarioName[] = SCENARIOS.map((scenario) => scenario.name);

export interface MatrixOptions {
  readonly progress: ProgressSink;
  /** The clients write this long before the fault (time to attach your own client to the endpoint). Default 1 s. */
  readonly faultAfterMs?: number;
  /** Keep the estate running after the verdict; the caller ends it with `held.release()`. */
  readonly hold?: boolean;
}

export interface MatrixRun {
  readonly row: MatrixRow;
  /** The deciding orchestrator run's timeline, as the core records it. */
  readonly timeline: string;
  /** What the scenario started, so callers can verify that teardown removed it. */
  readonly resources: { readonly baseDir: string; readonly pids: readonly number[]; readonly endpoint: string };
  readonly held?: { readonly endpoint: string; release(): Promise<void> };
}

/** Runs one scenario on a fresh estate and computes its row from the history and the databases. */
export async function runMatrixScenario(name: MatrixScenarioName, options: MatrixOptions): Promise<MatrixRun> {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const startedAt = Date.now();
  const say: ProgressSink = (line) => options.progress(`[${name} ${((Date.now() - startedAt) / 1000).toFixed(3).padStart(7)} s] ${line}`);
  const estate = await LocalEstate.start({ name, progress: say, ...scenario.estate });
  const pids = new Set<number>();
  const notePids = () => estate.cluster.nodes.map((node) => node.pid).forEach((pid) => pid !== undefined && pids.add(pid));
  let holding = false;
  try {
    notePids();
    const { user, password, database } = estate.cluster.primary.connectionConfig;
    const endpointUrl = `postgresql://${user}:${password}@${estate.endpoint.host}:${estate.endpoint.port}/${database}`;
    say(`cluster up: primary 127.0.0.1:${estate.cluster.primary.port}, replica 127.0.0.1:${estate.cluster.replica.port}, data in ${estate.cluster.baseDir}`);
    say(`WRITER ENDPOINT ${endpointUrl}`);
    estate.startResumeSchedule();
    estate.startLoad();
    await waitFor(() => (estate.history.events.some((event) => event.outcome === 'ok') ? true : undefined), 10_000);
    say(`write load running; fault in ${formatSeconds((options.faultAfterMs ?? 1000) / 1000)}`);
    await sleep(options.faultAfterMs ?? 1000);
    const facts = await scenario.run(estate, say);
    await sleep(500);
    notePids();
    await estate.stopLoad();
    const row = await verdict(scenario, estate, facts, startedAt);
    say(`${row.passed ? 'PASS' : 'FAIL'}${row.failures.length ? `: ${row.failures.join('; ')}` : ''}`);
    const result = decisiveResult(estate);
    const run = {
      row,
      timeline: result?.timeline ? formatTimeline(result.timeline) : '(no orchestrator timeline)',
      resources: { baseDir: estate.cluster.baseDir, pids: [...pids], endpoint: `${estate.endpoint.host}:${estate.endpoint.port}` },
    };
    if (!options.hold) return run;
    holding = true;
    return { ...run, held: { endpoint: endpointUrl, release: () => estate.stop() } };
  } finally {
    if (!holding) await estate.stop();
  }
}

/** For callers that verify teardown: true once no process of `pids` is alive and `baseDir` is gone. */
export function resourcesReleased(resources: MatrixRun['resources']): boolean {
  const alive = resources.pids.some((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  return !alive && !fs.existsSync(resources.baseDir);
}

async function verdict(scenario: Scenario, estate: LocalEstate, facts: ScenarioFacts, startedAt: number): Promise<MatrixRow> {
  const { history } = estate;
  const events = history.events;
  const chain = facts.writerChain;
  // A writer chain ends on its own final writer (the replica may be fenced and stopped by then).
  const promoted = chain ? chain.promotions > 0 : await replicaPromoted(estate);
  const promotions = chain ? chain.promotions : await promotionsOf(estate.cluster.replica).catch(() => Number.NaN);
  const survivor = chain?.finalWriter ?? (promoted ? estate.cluster.replica : estate.cluster.primary);
  const survivingIds = await survivor.session((client: Client) => readWrittenIds(client)).catch(() => undefined);
  const acksOf = (server: string) => events.filter((event): event is AcknowledgedOperation => event.outcome === 'ok' && event.server === server);
  const oldPrimaryAcks = acksOf(estate.ids.primary);
  const crashes = [
    ...(facts.replicaIdsWhenPrimaryStopped ? [{ writer: estate.ids.primary, replicaIds: facts.replicaIdsWhenPrimaryStopped }] : []),
    ...(facts.laterCrashes ?? []),
  ];
  const lossBound = crashes.reduce((bound, crash) => bound + acksOf(crash.writer).filter((ack) => !crash.replicaIds.has(ack.id)).length, 0);
  const loss = boundedLoss(events, { survivingIds, lossBound });
  const result = decisiveResult(estate);
  const lagEstimate = (await estate.store.read())?.lagSecondsAtDecision;
  const chainChecks = (writerChain: NonNullable<ScenarioFacts['writerChain']>): CheckResult[] => [
    ...writerChain.writers.slice(1).map((newWriter, index) => noStaleAcknowledgements(events, { oldPrimary: writerChain.writers[index], newWriter })),
    check('writer name stays on the final writer', estate.endpoint.target.port === writerChain.finalWriter.port, `endpoint → ${estate.endpoint.target.name}`),
    exactlyPromotions(writerChain.promotions, writerChain.expectedPromotions),
  ];
  const checks: CheckResult[] = [
    oneWriter(events),
    ...(chain ? chainChecks(chain) : promoted ? [
      noStaleAcknowledgements(events, { oldPrimary: estate.ids.primary, newWriter: estate.ids.replica }),
      check('writer name stays on the new writer', estate.endpoint.target.port === estate.cluster.replica.port, `endpoint → ${estate.endpoint.target.name}`),
    ] : []),
    loss,
    ...(survivingIds ? [failedWritesNeverCommit(events, survivingIds)] : []),
    ...(chain ? [] : [atMostOnePromotion(Number.isNaN(promotions) ? 2 : promotions)]),
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
    observed: chain
      ? `${promotions} promotion(s); writer back on ${chain.finalWriter.name}; orchestrator ${result?.outcome ?? 'not run'}; ${events.filter((event) => event.outcome === 'ok').length} acks by ${new Set(events.filter((event) => event.outcome === 'ok').map((event) => (event as AcknowledgedOperation).server)).size} writer(s)`
      : `${promoted ? 'promoted' : 'not promoted'}; orchestrator ${result?.outcome ?? 'not run'}; ${events.filter((event) => event.outcome === 'ok').length} acks by ${new Set(oldPrimaryAcks.length ? [estate.ids.primary] : []).size + (ack ? 1 : 0)} writer(s)`,
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
