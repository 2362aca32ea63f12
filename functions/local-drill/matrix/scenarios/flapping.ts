/**
 * flapping — the primary hangs and resumes over and over; first it recovers, then the flapping ends in the loss of
 * its region.
 *
 * Fault, phase 1 (recovery): four stalls of the primary's whole process tree (SIGSTOP 1.1 s, 1.7 s, 1.1 s, 1.7 s, each
 * followed by 0.9 s of SIGCONT). Every stall outlasts the DR side's probe timeout (1 s), so the monitor's cycles lose
 * their lag measurement, and the keeper's renewal: with less than its fence budget left it fences. A 1.1 s stall ends
 * before that fence's deadline (the fence completes once the server resumes, and the next renewal lifts it); a 1.7 s
 * stall outlasts it (the fence call fails at its 0.5 s deadline, but its reload runs when the server resumes). The
 * lease may lapse between renewals, yet nothing takes it. At the start of the second stall an operator, seeing
 * timeouts, sends `{"action":"failover","confirmPrimaryDead":true,...}`.
 * Phase 2 (loss): the cross-region link degrades first (the WAL stream is black-holed: the replica stops receiving
 * while the primary commits in its resumptions), the monitor misses its runs (stopped: a gap of several seconds in the
 * lag measurement), two more 1.1 s stall cycles, then the region is lost in a stall (keeper dead, quorum links and
 * API silent, primary SIGKILLed). The monitor comes back (it runs in the DR region) and the composite alarm triggers
 * the failover.
 *
 * AWS behaviour modelled: an instance with intermittent stalls (I/O freezes, a host under pressure) whose RDS status
 * stays `available`; the primary-region keeper renewing between stalls, fencing through parameter changes and SQL
 * whose calls can fail at their deadline yet take effect; a monitor Lambda that misses periods (missing CloudWatch
 * data); then a regional outage. What differs: the stall and renewal times follow the local lease timings (TTL 1.5 s,
 * renewal every 0.3 s, fence budget 0.5 s, takeover margin 0.5 s); on AWS the same happens with stalls of tens of
 * seconds (fence budget 15 s, TTL 45 s).
 *
 * Expected: phase 1 — no promotion while the primary holds its lease (the confirmed operator request closes as a false
 * alarm: a probe finds the primary answering) and, once the flapping stops, the primary serves writes again (any
 * self-fence lifted by the keeper that renews). Phase 2 — failover (so `failoverExpected` is true); the lag estimate is
 * at least the real span of the lost commits although the monitor's last measurement predates the loss by seconds;
 * loss ≤ what the replica lacked.
 */
import type { AcknowledgedOperation, HistoryEvent } from '../../history/history';
import type { FailoverResult } from '../../../core/failover-orchestrator';
import { formatSeconds } from '../../../core/format-seconds';
import { check, losePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, replicaPromoted, sleep, waitFor, type Scenario } from '../scenario';
import { acknowledgedBy, estimateCoversLoss, LeaseAndPromotionWatch, monitorCycleKinds, summarizeRuns } from './evidence';

/** Phase 1: a stall the keeper's fence fits in (it runs once the server resumes), then one it outlasts (its deadline passes mid-stall). */
const RECOVERY_STALLS_MS = [1100, 1700, 1100, 1700];
const STALL_MS = 1100;
const RESUMED_MS = 900;
const LOSS_CYCLES = 2;
/** After the flapping stops, the primary must acknowledge writes again within this time. */
const RECOVERY_TIMEOUT_MS = 5000;

export const flapping: Scenario = {
  name: 'flapping',
  expected: 'primary stalls 1.1–1.7 s, resumes 0.9 s: no promotion while it holds its lease, it serves again afterwards; when the flapping ends in a region loss: failover, estimate ≥ the real loss span',
  failoverExpected: true,
  estate: { directClients: 2 },
  async run(estate, progress) {
    const watch = new LeaseAndPromotionWatch(estate);
    const { primary } = estate.cluster;
    const keeperStates = new Map<string, number>();
    let watchingKeeper = true;
    const keeperWatch = (async () => {
      let last: unknown;
      while (watchingKeeper) {
        const tick = estate.keeper.lastTick;
        if (tick && tick !== last) keeperStates.set(tick.state, (keeperStates.get(tick.state) ?? 0) + 1);
        last = tick;
        await sleep(20);
      }
    })();

    // Phase 1: flapping the primary survives.
    const flapAt = Date.now();
    const flapStartedSince = estate.history.now();
    let operatorRun: Promise<FailoverResult | undefined> | undefined;
    for (const [cycle, stallMs] of RECOVERY_STALLS_MS.entries()) {
      await primary.kill('SIGSTOP');
      if (cycle === 1) {
        progress('operator: "the primary does not answer" → failover with confirmPrimaryDead');
        operatorRun = estate.failover({ trigger: 'operator', confirmPrimaryDead: true, reason: 'INC flapping: primary times out' }).catch(() => undefined);
      }
      await sleep(stallMs);
      await primary.kill('SIGCONT');
      await sleep(RESUMED_MS);
    }
    const flapEndedAt = Date.now();
    const resumedSince = estate.history.now();
    progress(`phase 1: ${RECOVERY_STALLS_MS.length} stall cycles done; keeper ticks ${[...keeperStates].map(([state, count]) => `${state}×${count}`).join(', ')}`);
    const recoveredAck = await waitFor(() => acknowledgedBy(estate, estate.ids.primary, resumedSince)[0], RECOVERY_TIMEOUT_MS);
    const recoveredAfter = recoveredAck ? formatSeconds((recoveredAck.completedAt - resumedSince) / 1000) : undefined;
    const operatorResult = await operatorRun;
    const promotedInPhase1 = await replicaPromoted(estate);
    const phase1Lease = watch.noPromotionWhileLeaseHeld(flapAt);
    const keeperHolds = estate.keeper.held;
    const keeperPhase1 = [...keeperStates].map(([state, count]) => `${state}×${count}`).join(', ');
    const phase1Cycles = monitorCycleKinds(estate, flapAt, flapEndedAt);
    const phase1Failures = estate.history.events
      .filter((event): event is Exclude<HistoryEvent, AcknowledgedOperation> => event.outcome !== 'ok')
      .filter((event) => event.completedAt >= flapStartedSince && event.completedAt <= resumedSince);
    const readOnlyRefusals = phase1Failures.filter((event) => /read-only/.test(event.error)).length;
    progress(`phase 1 over: promoted ${promotedInPhase1}, keeper holds ${keeperHolds}, primary acknowledged writes again: ${recoveredAck !== undefined}; operator's request → ${operatorResult?.outcome ?? 'no result'}`);

    // Phase 2: the flapping ends in the loss of the region.
    const cutAt = Date.now();
    estate.proxies.walStream.blackhole();
    await estate.monitor.stop();
    progress('FAULT (phase 2): WAL stream black-holed and the monitor misses its runs; the primary keeps flapping');
    for (let cycle = 0; cycle < LOSS_CYCLES; cycle += 1) {
      await sleep(RESUMED_MS);
      await primary.kill('SIGSTOP');
      await sleep(STALL_MS);
      await primary.kill('SIGCONT');
    }
    await sleep(RESUMED_MS);
    await primary.kill('SIGSTOP');
    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT: the primary region is lost in a stall (keeper dead, quorum links and API silent, primary SIGKILLed)');
    estate.monitor.start();
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    const ack = await newWriterAck(estate, faultAt);
    watchingKeeper = false;
    await keeperWatch;
    await watch.stop();
    const estimate = await estimateCoversLoss(estate);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('phase 1: no promotion during the flapping', !promotedInPhase1 && phase1Lease.passed,
          `promoted after phase 1: ${promotedInPhase1}; ${phase1Lease.detail}; operator's confirmed request → ${operatorResult?.outcome ?? 'no result'} (${operatorResult?.message.split('\n')[0].slice(0, 200) ?? ''})`),
        check('phase 1: the primary serves writes again after the flapping', recoveredAck !== undefined,
          recoveredAck !== undefined ? `primary acknowledged writes ${recoveredAfter} after the flapping stopped; keeper holds the lease: ${keeperHolds}`
            : `no acknowledgement by the primary within ${RECOVERY_TIMEOUT_MS / 1000} s after the flapping stopped; keeper holds the lease: ${keeperHolds}; keeper: ${estate.keeper.lastTick?.detail ?? '-'}`),
        estimate.check,
        watch.noPromotionWhileLeaseHeld(faultAt),
      ],
      notes: [
        `phase 1 keeper ticks: ${keeperPhase1}; ${phase1Failures.length} writes failed or uncertain during the flapping (${readOnlyRefusals} refused read-only by the keeper's self-fence); ${phase1Cycles}`,
        `phase 2: WAL cut and monitor stopped ${formatSeconds((faultAt - cutAt) / 1000)} before the fault; ${monitorCycleKinds(estate, cutAt - 3000)}`,
        summarizeRuns(estate, flapAt),
        estimate.note,
        ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'no acknowledgement by the new writer',
      ],
    };
  },
};
