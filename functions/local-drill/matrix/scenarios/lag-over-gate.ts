/**
 * lag-over-gate — the replica is further behind than the RPO budget when the primary region is lost.
 *
 * Fault: the WAL stream proxy is black-holed (the replica receives nothing, the primary keeps committing: async
 * replication) until the monitor has measured a lag well over `maxPromotionLagSeconds` (set to 3 s here); then the
 * primary region is lost (primary SIGKILLed, keeper dead, quorum links and API silent). The composite alarm fires;
 * an operator then sends `{"action":"failover","force":true,"reason":"..."}`.
 *
 * AWS behaviour modelled: a cross-region replication stall (network, a long-running replay conflict) growing
 * `ReplicationLagSeconds` while the primary is healthy, then a regional outage. The orchestrator's lag gate is the RPO
 * budget: unknown or over-budget lag waits for an operator's force. What differs: locally the orchestrator's run budget
 * is 60 s (AWS: 15 min) and the resume schedule ticks every second (AWS: 5 min); an operator whose request is bounced with
 * `already_in_progress` watches the read-only status every 100 ms (the resume schedule's compression) and repeats the
 * force as soon as the run lock is free, racing the resume schedule for it.
 *
 * Expected: no automatic promotion — the decision waits on the lag gate (its reason names the RPO budget), never a
 * promotion before the operator's force was accepted; the forced failover promotes (so `failoverExpected` is true:
 * the promotion this scenario expects is the FORCED one, and "no promotion before the force" is its own invariant);
 * the loss is at most what the replica lacked at the fault, and the orchestrator's estimate of the commits at risk
 * (`lagSecondsAtDecision`, and the figure its gate used) is at least the real span of the lost writes.
 */
import type { FailoverResult } from '../../../core/failover-orchestrator';
import { formatSeconds } from '../../../core/format-seconds';
import { MonitorMetric } from '../../../core/metric-names';
import {
  check, losePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, replicaPromoted, sleep, waitFor, type Scenario,
} from '../scenario';
import { estimateCoversLoss, LeaseAndPromotionWatch, monitorCycleKinds, summarizeRuns } from './evidence';

/** The RPO budget for this scenario (the product's default is minutes; the local one 60 s). */
const LAG_BUDGET_SECONDS = 3;
/** The monitor must have measured this much lag (primary reachable) before the region is lost. */
const LAG_AT_FAULT_SECONDS = LAG_BUDGET_SECONDS + 2;
/** The operator polls the status this often (the resume schedule's compression: AWS 5 min ↔ 1 s locally). */
const OPERATOR_RETRY_MS = 100;
/** Longer than one orchestrator run budget (60 s): the waiting alarm run holds the run lock that long. */
const OPERATOR_PATIENCE_MS = 150_000;

export const lagOverGate: Scenario = {
  name: 'lag-over-gate',
  expected: `replica ${LAG_AT_FAULT_SECONDS}+ s behind (budget ${LAG_BUDGET_SECONDS} s) when the primary region is lost: the automatic failover waits on the lag gate; an operator's force promotes; estimate ≥ real loss span`,
  failoverExpected: true,
  estate: { settings: { maxPromotionLagSeconds: LAG_BUDGET_SECONDS } },
  async run(estate, progress) {
    const watch = new LeaseAndPromotionWatch(estate);
    const cutAt = Date.now();
    estate.proxies.walStream.blackhole();
    progress(`FAULT 1: WAL stream black-holed; the primary keeps committing (lag budget ${LAG_BUDGET_SECONDS} s)`);
    const lagSeen = await waitFor(() => {
      const lag = estate.metrics.recorded.filter((datum) => datum.at > cutAt && datum.name === MonitorMetric.ReplicationLagSeconds).pop();
      return lag && lag.value >= LAG_AT_FAULT_SECONDS ? lag.value : undefined;
    }, 30_000, 100);
    progress(`monitor measured ${lagSeen === undefined ? 'no lag' : `${formatSeconds(lagSeen)} of lag`}`);

    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT 2: primary region lost (primary SIGKILLed, keeper dead, quorum links and API silent)');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);

    // The automatic path: the composite alarm's run must wait on the lag gate, not promote.
    const gated = await waitFor(async () => {
      const state = await estate.store.read();
      return state?.lastDecision?.includes('more than the RPO budget') ? state : undefined;
    }, 30_000, 50);
    const gatedAt = Date.now();
    const promotedBeforeForce = await replicaPromoted(estate);
    progress(`automatic decision: ${gated ? `waits — ${gated.lastDecision}` : 'did NOT wait on the lag gate within 30 s'}`);

    // The operator accepts the loss. A run waiting on the gate holds the run lock until its own deadline: the operator
    // watches the read-only status ({"action":"status"}) and sends the force whenever the lock is free.
    const firstAttemptAt = Date.now();
    let attempts = 0;
    let forced: { readonly startedAt: number; readonly result: FailoverResult } | undefined;
    let promotedAtAcceptance = false;
    while (!forced && Date.now() - firstAttemptAt < OPERATOR_PATIENCE_MS) {
      const status = await estate.store.read();
      if (attempts > 0 && status?.status === 'in_progress' && status.leaseExpiresAt > Date.now()) {
        await sleep(OPERATOR_RETRY_MS);
        continue;
      }
      attempts += 1;
      const startedAt = Date.now();
      promotedAtAcceptance = await replicaPromoted(estate);
      const result = await estate.failover({ trigger: 'operator', force: true, reason: 'INC lag-over-gate: accept the loss, fail over' }).catch(() => undefined);
      if (result && result.outcome !== 'already_in_progress') forced = { startedAt, result };
      else await sleep(OPERATOR_RETRY_MS);
    }
    progress(`operator force: ${forced ? `${forced.result.outcome} after ${attempts} attempt(s), ${formatSeconds((forced.startedAt - firstAttemptAt) / 1000)} after the first` : `never accepted in ${attempts} attempts`}`);

    const ack = await newWriterAck(estate, faultAt);
    await watch.stop();
    const estimate = await estimateCoversLoss(estate);
    const firstPromotedAt = watch.firstPromotedAt;
    const promotedBeforeForceAccepted = firstPromotedAt !== undefined && (!forced || firstPromotedAt < forced.startedAt);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('automatic failover waits on the lag gate', gated !== undefined && !promotedBeforeForce,
          gated ? `${formatSeconds((gatedAt - faultAt) / 1000)} after the fault: "${gated.lastDecision}"; promoted then: ${promotedBeforeForce}` : 'the record never showed a lag-gate wait within 30 s of the fault'),
        check('no promotion before the operator forced it', !promotedBeforeForceAccepted && !promotedAtAcceptance,
          forced
            ? `force accepted at +${formatSeconds((forced.startedAt - faultAt) / 1000)}; replica first seen promoted at ${firstPromotedAt ? `+${formatSeconds((firstPromotedAt - faultAt) / 1000)}` : 'never'}`
            : `the operator's force was never accepted; replica first seen promoted at ${firstPromotedAt ? `+${formatSeconds((firstPromotedAt - faultAt) / 1000)}` : 'never'}`),
        estimate.check,
        watch.noPromotionWhileLeaseHeld(faultAt),
      ],
      notes: [
        `lag measured before the fault: ${lagSeen === undefined ? 'none' : formatSeconds(lagSeen)} (budget ${formatSeconds(LAG_BUDGET_SECONDS)}); WAL cut ${formatSeconds((faultAt - cutAt) / 1000)} before the fault`,
        `operator: first force at +${formatSeconds((firstAttemptAt - faultAt) / 1000)}, ${attempts} attempt(s) (already_in_progress while a waiting run held the lock), accepted at ${forced ? `+${formatSeconds((forced.startedAt - faultAt) / 1000)} → ${forced.result.outcome}` : 'never'}`,
        summarizeRuns(estate, faultAt),
        estimate.note,
        monitorCycleKinds(estate, cutAt),
        ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'no acknowledgement by the new writer',
      ],
    };
  },
};
