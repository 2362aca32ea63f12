/**
 * Invariants of a failover, checked over a recorded history plus what the scenario observed on the databases.
 * Pure functions: no I/O, no clock. Each returns whether the invariant held and, when it did not, the
 * operations that prove it (the counterexample), so a failing drill shows the evidence, not just a verdict.
 *
 * Times in `detail` are seconds relative to the first invocation in the history, to the millisecond at every size
 * (`+12.345 s`: points on one timeline, which the order of two servers' acknowledgements needs); durations go
 * through `formatSeconds`, like every duration in a report.
 */
import { formatSeconds } from '../../core/format-seconds';
import type { AcknowledgedOperation, History, HistoryEvent, ServerId } from './history';

export interface CheckResult {
  /** The invariant, e.g. `one writer`. */
  readonly name: string;
  readonly passed: boolean;
  /** What was measured; on failure, the counterexample in words. */
  readonly detail: string;
  /** The operations that violate the invariant; empty when it holds or when it is not about operations. */
  readonly counterexample: readonly HistoryEvent[];
}

/** The span during which one server acknowledged writes: its first to its last ok. */
export interface WriterTenure {
  readonly server: ServerId;
  readonly firstAck: number;
  readonly lastAck: number;
  readonly acknowledgements: readonly AcknowledgedOperation[];
}

const acknowledged = (history: History): AcknowledgedOperation[] =>
  history.filter((event): event is AcknowledgedOperation => event.outcome === 'ok');

/** Formats epoch ms as seconds since the history's first invocation, so details read as a timeline. */
function timeline(history: History): (at: number) => string {
  const origin = history.reduce((earliest, event) => Math.min(earliest, event.invokedAt), Infinity);
  return (at) => `+${((at - (Number.isFinite(origin) ? origin : at)) / 1000).toFixed(3)} s`;
}

/** Each server that acknowledged writes, in order of its first acknowledgement. */
export function writerTenures(history: History): WriterTenure[] {
  const byServer = new Map<ServerId, AcknowledgedOperation[]>();
  for (const ack of acknowledged(history)) {
    // Appended in place: copying the array per acknowledgement made the verdict quadratic (minutes on 70k writes).
    const acks = byServer.get(ack.server);
    if (acks) acks.push(ack);
    else byServer.set(ack.server, [ack]);
  }
  return [...byServer.entries()]
    .map(([server, acks]) => {
      const sorted = [...acks].sort((a, b) => a.completedAt - b.completedAt);
      return { server, firstAck: sorted[0].completedAt, lastAck: sorted[sorted.length - 1].completedAt, acknowledgements: sorted };
    })
    .sort((a, b) => a.firstAck - b.firstAck);
}

/**
 * One writer: at no instant did two servers both hold a write tenure. A server's tenure is the closed interval
 * [its first ok completion, its last ok completion]; two servers overlap when one's first acknowledgement falls
 * inside the other's tenure, i.e. the earlier writer still acknowledged writes at or after the later one's
 * first. Completion (acknowledgement) times are what clients observe, so this is the client-visible promise:
 * once any client has been told "committed" by the new writer, no client is told "committed" by another.
 * The maximum number of tenures covering one instant is reported; it must be 1 (0 for a history without acks).
 *
 * Limitation: a planned fail-back (A, then B, then A again) makes A's tenure span B's and is flagged; check each
 * writer epoch's slice of the history separately in such a scenario.
 */
export function oneWriter(history: History): CheckResult & { readonly maxConcurrentWriters: number } {
  const at = timeline(history);
  const tenures = writerTenures(history);
  // Intervals on a line: the largest set covering one instant always covers some interval's start.
  const maxConcurrentWriters = Math.max(0, ...tenures.map((tenure) => tenures.filter((other) => other.firstAck <= tenure.firstAck && tenure.firstAck <= other.lastAck).length));
  const overlaps = tenures.flatMap((earlier, index) =>
    tenures.slice(index + 1).filter((later) => later.firstAck <= earlier.lastAck).map((later) => ({ earlier, later })));
  const describe = (tenure: WriterTenure) => `${tenure.server} [${at(tenure.firstAck)}, ${at(tenure.lastAck)}] (${tenure.acknowledgements.length} acks)`;
  if (overlaps.length === 0) {
    return {
      name: 'one writer',
      passed: true,
      detail: `${tenures.length} server(s) acknowledged writes, never two at once: ${tenures.map(describe).join(', ') || 'none'}`,
      counterexample: [],
      maxConcurrentWriters,
    };
  }
  const counterexample = overlaps.flatMap(({ earlier, later }) => [
    later.acknowledgements[0],
    ...earlier.acknowledgements.filter((ack) => ack.completedAt >= later.firstAck),
  ]);
  const conflicts = overlaps.map(({ earlier, later }) => {
    const late = earlier.acknowledgements.filter((ack) => ack.completedAt >= later.firstAck);
    return `${earlier.server} acknowledged ${late.length} write(s) from ${at(late[0].completedAt)} to ${at(late[late.length - 1].completedAt)}, `
      + `at or after ${later.server}'s first acknowledgement at ${at(later.firstAck)} (e.g. ${late[0].id} by ${late[0].client})`;
  });
  return {
    name: 'one writer',
    passed: false,
    detail: `${maxConcurrentWriters} servers acknowledged writes at the same time: ${conflicts.join('; ')}`,
    counterexample,
    maxConcurrentWriters,
  };
}

/**
 * No stale acknowledgements: the old primary acknowledged no write at or after the new writer's first
 * acknowledgement (the split-brain symptom a client sees). Reports how many and over what span. Holds trivially
 * when the new writer never acknowledged anything; a missing failover is `noMissedFailover`'s concern.
 */
export function noStaleAcknowledgements(
  history: History, servers: { readonly oldPrimary: ServerId; readonly newWriter: ServerId },
): CheckResult & { readonly staleAcknowledgements: number } {
  const at = timeline(history);
  const acks = acknowledged(history);
  const newWriterAcks = acks.filter((ack) => ack.server === servers.newWriter);
  if (newWriterAcks.length === 0) {
    return { name: 'no stale acknowledgements', passed: true, detail: `the new writer ${servers.newWriter} acknowledged no write`, counterexample: [], staleAcknowledgements: 0 };
  }
  // A loop, not Math.min(...acks): spreading a long history (a minute of load) overflows the call stack.
  const takeover = newWriterAcks.reduce((earliest, ack) => Math.min(earliest, ack.completedAt), Infinity);
  const stale = acks.filter((ack) => ack.server === servers.oldPrimary && ack.completedAt >= takeover).sort((a, b) => a.completedAt - b.completedAt);
  const detail = stale.length === 0
    ? `the old primary ${servers.oldPrimary} acknowledged nothing after the new writer's first acknowledgement at ${at(takeover)}`
    : `the old primary ${servers.oldPrimary} acknowledged ${stale.length} write(s) from ${at(stale[0].completedAt)} to ${at(stale[stale.length - 1].completedAt)}`
      + ` (up to ${formatSeconds((stale[stale.length - 1].completedAt - takeover) / 1000)} after the new writer's first acknowledgement at ${at(takeover)}), e.g. ${stale[0].id} by ${stale[0].client}`;
  return { name: 'no stale acknowledgements', passed: stale.length === 0, detail, counterexample: stale, staleAcknowledgements: stale.length };
}

/**
 * Bounded loss: acknowledged writes missing on the surviving writer at the end number at most `lossBound`
 * (the scenario's count of commits the replica lacked at the fault; 0 for a switchover). `survivingIds`
 * undefined means the survivor could not be read: the loss is then unknown and the check fails rather than
 * pass on no evidence.
 *
 * RPO is the span from the first lost write's acknowledgement to the last one's: how much acknowledged
 * history the failover erased (0 when nothing was lost, and also for a single lost write, which erased one
 * instant). `unknown` when the loss itself is, never 0.
 */
export function boundedLoss(
  history: History, observed: { readonly survivingIds: ReadonlySet<string> | undefined; readonly lossBound: number },
): CheckResult & { readonly lost: number | 'unknown'; readonly rpoSeconds: number | 'unknown' } {
  const acks = acknowledged(history);
  const { survivingIds, lossBound } = observed;
  if (survivingIds === undefined) {
    return {
      name: 'bounded loss', passed: false, counterexample: [], lost: 'unknown', rpoSeconds: 'unknown',
      detail: `the surviving writer's rows are unknown, so the loss among ${acks.length} acknowledged writes cannot be bounded by ${lossBound}`,
    };
  }
  const at = timeline(history);
  const lost = acks.filter((ack) => !survivingIds.has(ack.id)).sort((a, b) => a.completedAt - b.completedAt);
  const rpoMs = lost.length === 0 ? 0 : lost[lost.length - 1].completedAt - lost[0].completedAt;
  const span = lost.length === 0 ? '' : `, acknowledged from ${at(lost[0].completedAt)} to ${at(lost[lost.length - 1].completedAt)}`;
  return {
    name: 'bounded loss',
    passed: lost.length <= lossBound,
    detail: `${lost.length} of ${acks.length} acknowledged writes missing on the surviving writer (bound ${lossBound})${span}; RPO ${formatSeconds(rpoMs / 1000)}`,
    counterexample: lost.length <= lossBound ? [] : lost,
    lost: lost.length,
    rpoSeconds: rpoMs / 1000,
  };
}

/**
 * Failed writes never commit: no operation recorded as `fail` has its row on the database. A violation means
 * the client misclassified an uncertain outcome (it should have been `info`), which would make every other
 * loss count untrustworthy.
 */
export function failedWritesNeverCommit(history: History, presentIds: ReadonlySet<string>): CheckResult {
  const failed = history.filter((event) => event.outcome === 'fail');
  const committed = failed.filter((event) => presentIds.has(event.id));
  return {
    name: 'failed writes never commit',
    passed: committed.length === 0,
    detail: committed.length === 0
      ? `none of ${failed.length} failed writes is on the database`
      : `${committed.length} of ${failed.length} writes recorded as failed are on the database, e.g. ${committed[0].id} by ${committed[0].client}: ${committed[0].error}`,
    counterexample: committed,
  };
}

/**
 * At most one promotion (`promotions` as observed on the databases, e.g. timeline switches). Zero passes: whether
 * a promotion was due is `noMissedFailover`'s concern, so no-failover scenarios can use this check too.
 */
export function atMostOnePromotion(promotions: number): CheckResult {
  return {
    name: 'at most one promotion',
    passed: promotions <= 1,
    detail: `${promotions} promotion(s) observed`,
    counterexample: [],
  };
}

/**
 * Exactly `expected` promotions (a lifecycle that fails over and later fails back promotes twice): `promotions` as
 * observed on the databases (the distinct timeline switches their history files record).
 */
export function exactlyPromotions(promotions: number, expected: number): CheckResult {
  return {
    name: `exactly ${expected} promotion(s)`,
    passed: promotions === expected,
    detail: `${promotions} promotion(s) observed`,
    counterexample: [],
  };
}

export interface FailoverObservation {
  /** A replica was promoted during the scenario. */
  readonly promoted: boolean;
  /** The scenario's fault should lead to a failover (a dead primary), as opposed to one that must not (a blip). */
  readonly failoverExpected: boolean;
}

/** No false failover: nothing was promoted when the fault did not warrant a failover. */
export function noFalseFailover(observation: FailoverObservation): CheckResult {
  return {
    name: 'no false failover',
    passed: observation.failoverExpected || !observation.promoted,
    detail: `promoted: ${observation.promoted}; failover expected: ${observation.failoverExpected}`,
    counterexample: [],
  };
}

/** No missed failover: a promotion happened when the fault warranted one. */
export function noMissedFailover(observation: FailoverObservation): CheckResult {
  return {
    name: 'no missed failover',
    passed: !observation.failoverExpected || observation.promoted,
    detail: `promoted: ${observation.promoted}; failover expected: ${observation.failoverExpected}`,
    counterexample: [],
  };
}
