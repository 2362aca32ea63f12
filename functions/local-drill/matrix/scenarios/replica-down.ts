/**
 * replica-down — the DR replica is not there when the primary region is lost, and again when the failover starts.
 *
 * Fault: (1) the replica is SIGSTOPped (its whole process tree: no WAL received, no query answered — a hung instance
 * or a DR-side network hole), and 1 s later the primary region is lost (primary SIGKILLed, keeper dead, quorum links
 * and API silent); the replica stays frozen 5 s, then resumes. (2) The moment the composite alarm fires, the replica
 * goes down again — a fast shutdown, as RDS reports an instance `rebooting`/`stopped` — for 5 s, then starts again.
 *
 * AWS behaviour modelled: the composite alarm requires `ReplicaReachable` (an unreachable replica blocks it; the
 * monitor publishes no lag for it), so nothing is triggered while the replica is frozen; once it answers, the alarm
 * fires. The orchestrator's decision then finds the replica not available — a blocker no `force` overrides — and
 * waits, re-evaluating with backoff inside the run and through the resume schedule, until the replica is back.
 * What differs: locally a stopped replica's role is read from its data directory (standby.signal), as RDS would keep
 * reporting it a read replica while rebooting; the monitor's probes of the frozen replica time out after 1 s.
 *
 * Expected: no alarm and no promotion while the replica is frozen; no promotion while it is down (nothing is promoted
 * that is not there); the failover completes on its own once the replica is back (decision retry / resume, no
 * operator); loss ≤ what the replica had received when the primary died, and the lag estimate (the replica stopped
 * receiving 1 s before the primary died: the monitor's last lag is older than that) covers the real span of the loss.
 */
import { formatSeconds } from '../../../core/format-seconds';
import { check, losePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, sleep, waitFor, type Scenario } from '../scenario';
import { DecisionLog, estimateCoversLoss, LeaseAndPromotionWatch, monitorCycleKinds, summarizeRuns } from './evidence';

const FROZEN_BEFORE_FAULT_MS = 1000;
const FROZEN_AFTER_FAULT_MS = 5000;
const DOWN_MS = 5000;

export const replicaDown: Scenario = {
  name: 'replica-down',
  expected: 'replica frozen when the primary region is lost, then down when the failover starts: no alarm and no promotion while it is not there; the failover completes by itself once it is back',
  failoverExpected: true,
  async run(estate, progress) {
    const watch = new LeaseAndPromotionWatch(estate);
    const decisions = new DecisionLog(estate);
    const { replica } = estate.cluster;

    const frozenAt = Date.now();
    await replica.kill('SIGSTOP');
    progress('FAULT 1: replica SIGSTOPped (receives no WAL, answers nothing)');
    await sleep(FROZEN_BEFORE_FAULT_MS);
    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT 2: primary region lost while the replica is frozen');
    await sleep(FROZEN_AFTER_FAULT_MS);
    const alarmWhileFrozen = estate.alarmAt;
    const recordWhileFrozen = await estate.store.read();
    await replica.kill('SIGCONT');
    const thawedAt = Date.now();
    progress('replica resumes (SIGCONT)');
    const replicaIds = await replicaIdsOnceReplayed(replica);

    const alarmAt = await waitFor(() => estate.alarmAt, 30_000);
    await replica.stop();
    const downAt = Date.now();
    progress(`FAULT 3: the composite alarm fired (${alarmAt ? `+${formatSeconds((alarmAt - faultAt) / 1000)}` : 'time unknown'}): replica shut down as the failover starts`);
    await sleep(DOWN_MS);
    const recordWhileDown = await estate.store.read();
    const restartAt = Date.now();
    await replica.start();
    const upAt = Date.now();
    progress(`replica started again (${formatSeconds((upAt - restartAt) / 1000)})`);

    const ack = await newWriterAck(estate, faultAt);
    await watch.stop();
    await decisions.stop();
    const estimate = await estimateCoversLoss(estate);
    const promotedAt = watch.firstPromotedAt;
    const waitedForReplica = decisions.some(/not available|not promotable|describe replica/);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('no alarm and no failover record while the replica is frozen', alarmWhileFrozen === undefined && recordWhileFrozen === undefined,
          `alarm ${alarmWhileFrozen === undefined ? 'silent' : `fired at +${formatSeconds((alarmWhileFrozen - faultAt) / 1000)}`}; failover record ${recordWhileFrozen ? `${recordWhileFrozen.status}/${recordWhileFrozen.phase} (${recordWhileFrozen.lastDecision ?? '-'})` : 'none'}`),
        check('no promotion of a replica that is not there', recordWhileDown?.promoteRequestedAt === undefined && (promotedAt === undefined || promotedAt >= upAt),
          `promotion requested while the replica was down: ${recordWhileDown?.promoteRequestedAt ?? 'no'}; replica first seen promoted ${promotedAt ? `${formatSeconds((promotedAt - upAt) / 1000)} after it was up again` : 'never'}`),
        check('failover completed by itself once the replica was back', ack !== undefined && estate.runs.every((run) => (run.request as { trigger?: string }).trigger !== 'operator'),
          `${ack ? `new writer acknowledged ${formatSeconds((ack.completedAt - upAt) / 1000)} after the replica was up` : 'no new writer acknowledgement'}; decision waited for the replica: ${waitedForReplica}`),
        estimate.check,
        watch.noPromotionWhileLeaseHeld(faultAt),
      ],
      notes: [
        `replica frozen ${formatSeconds((faultAt - frozenAt) / 1000)} before the fault until +${formatSeconds((thawedAt - faultAt) / 1000)}; alarm at ${alarmAt ? `+${formatSeconds((alarmAt - faultAt) / 1000)}` : 'never'}; replica down +${formatSeconds((downAt - faultAt) / 1000)} to +${formatSeconds((upAt - faultAt) / 1000)}`,
        `decisions seen: ${decisions.seen.map((decision) => decision.slice(0, 140)).join(' | ') || 'none'}`,
        summarizeRuns(estate, faultAt),
        estimate.note,
        monitorCycleKinds(estate, frozenAt - 2000),
        ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'no acknowledgement by the new writer',
      ],
    };
  },
};
