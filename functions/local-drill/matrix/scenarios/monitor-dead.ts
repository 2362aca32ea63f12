/**
 * monitor-dead — the replication monitor is dead when the primary crashes: there is no composite alarm.
 *
 * Fault: the monitor stops (its Lambda failing or throttled: no more cycles), 1.5 s later the primary hangs for good
 * (SIGSTOP of its whole process tree: TCP still connects, nothing answers). Its region lives: the keeper keeps
 * running (it can neither renew nor fence a frozen server, so the lease runs out) and the region's API answers,
 * still reporting the instance `available`.
 *
 * AWS behaviour modelled: without monitor data the composite alarm cannot fire (its terms need `PrimaryReachable=0`
 * and `ReplicaReachable=1`; missing data is no evidence), and the resume schedule only continues a recorded failover,
 * so NOTHING starts a failover by itself: the lease is the authority for a promotion, not a trigger. On AWS the dead
 * monitor pages through its own health alarms (PrimaryUnreachable/ReplicaUnreachable breach on missing data,
 * MonitorErrors on invocation errors); the documented path is then the operator's `failover` request. An operator who
 * sends it without `confirmPrimaryDead` is refused (RDS reports the primary serving although the probes fail), and
 * repeats with it. The operator reacts 0.1 s after the fault here — as early as possible, so the write lease (not the
 * operator's timing) is what must hold the promotion back. What differs: the orchestrator's primary probes and the
 * takeover margin are scaled to AWS's ratios to the lease TTL (AWS: 3 probes × 5 s timeout, 5 s apart, margin 30 s,
 * TTL 45 s; locally 3 × 150 ms, 150 ms apart, margin 1 s, TTL 1.5 s); with the estate's 1 s probes the decision would
 * only look at the lease after it had run out, and the lease would never be put to the test.
 *
 * Expected: no alarm; the unconfirmed request is refused; the confirmed one waits until the primary's write lease has
 * run out (+ margin), then promotes (`failoverExpected`: the manual failover is the expected outcome); the time from
 * the fault to the first write on the new writer (RTO) is reported with the operator's part in it; zero loss beyond
 * what the replica had received when the primary froze.
 */
import type { FailoverResult } from '../../../core/failover-orchestrator';
import { formatSeconds } from '../../../core/format-seconds';
import { check, newWriterAck, replicaIdsOnceReplayed, sleep, type Scenario } from '../scenario';
import { DecisionLog, estimateCoversLoss, LeaseAndPromotionWatch, summarizeRuns } from './evidence';

const MONITOR_DEAD_BEFORE_FAULT_MS = 1500;
const OPERATOR_REACTION_MS = 100;
const TAKEOVER_MARGIN_MS = 1000;

export const monitorDead: Scenario = {
  name: 'monitor-dead',
  expected: 'monitor dead, then the primary hangs: no alarm; an operator\'s failover (refused until confirmPrimaryDead) waits for the primary\'s lease to run out, then promotes',
  failoverExpected: true,
  estate: { settings: { primaryProbeAttempts: 3, primaryProbeTimeoutMs: 150, primaryProbeIntervalMs: 150, takeoverMarginMs: TAKEOVER_MARGIN_MS } },
  async run(estate, progress) {
    const watch = new LeaseAndPromotionWatch(estate);
    const decisions = new DecisionLog(estate, 20);
    const monitorStoppedAt = Date.now();
    await estate.monitor.stop();
    const cyclesAtDeath = estate.monitor.cycles;
    progress('FAULT 1: the replication monitor is dead');
    await sleep(MONITOR_DEAD_BEFORE_FAULT_MS);

    const faultAt = Date.now();
    await estate.cluster.primary.kill('SIGSTOP');
    progress('FAULT 2: the primary hangs (SIGSTOP); its keeper and its region\'s API live');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    await sleep(OPERATOR_REACTION_MS);

    const unconfirmedAt = Date.now();
    const unconfirmed = await estate.failover({ trigger: 'operator', reason: 'INC monitor-dead: primary not answering' });
    progress(`operator failover without confirmation → ${unconfirmed.outcome}`);
    const confirmedAt = Date.now();
    const leaseAtRequest = watch.primaryLease;
    const confirmed: FailoverResult = await estate.failover({ trigger: 'operator', confirmPrimaryDead: true, reason: 'INC monitor-dead: primary confirmed dead' });
    progress(`operator failover with confirmPrimaryDead → ${confirmed.outcome}`);
    const ack = await newWriterAck(estate, faultAt);
    await watch.stop();
    await decisions.stop();
    const estimate = await estimateCoversLoss(estate);
    const lease = watch.primaryLease;
    const waitedOnLease = decisions.some(/write lease held by the primary/);
    const since = (ms: number | undefined) => (ms === undefined ? 'never' : `${ms >= faultAt ? '+' : ''}${formatSeconds((ms - faultAt) / 1000)}`);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('no alarm without a monitor', estate.alarmAt === undefined && estate.monitor.cycles === cyclesAtDeath,
          `alarm ${estate.alarmAt === undefined ? 'silent' : `fired at ${since(estate.alarmAt)}`}; monitor cycles after its death: ${estate.monitor.cycles - cyclesAtDeath}`),
        check('unconfirmed operator failover refused (RDS reports the primary serving)', unconfirmed.outcome === 'refused' && !unconfirmed.promoted,
          `${unconfirmed.outcome}: ${unconfirmed.message.split('\n')[0].slice(0, 220)}`),
        watch.noPromotionWhileLeaseHeld(faultAt),
        check('confirmed operator failover promoted', confirmed.promoted && ack !== undefined,
          `${confirmed.outcome}; new writer's first acknowledgement ${ack ? `${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'never'}`),
        estimate.check,
      ],
      notes: [
        `timed from the fault: monitor dead at ${since(monitorStoppedAt)}; unconfirmed request at ${since(unconfirmedAt)} → ${unconfirmed.outcome}; confirmed request at ${since(confirmedAt)}`
          + ` (primary's lease then ran until ${since(leaseAtRequest?.expiresAt)}); last primary lease expired ${since(lease?.expiresAt)}, takeover allowed ${since(lease ? lease.expiresAt + TAKEOVER_MARGIN_MS : undefined)};`
          + ` replica first seen promoted ${since(watch.firstPromotedAt)}; first write on the new writer ${ack ? `+${formatSeconds((ack.completedAt - faultAt) / 1000)}` : 'never'}`,
        `the confirmed decision ${waitedOnLease ? 'WAITED on the primary\'s write lease' : 'did not have to wait on the lease (it had run out by the time the decision looked)'}; decisions seen: ${decisions.seen.map((decision) => decision.slice(0, 120)).join(' | ') || 'none'}`,
        summarizeRuns(estate, faultAt),
        estimate.note,
      ],
    };
  },
};
