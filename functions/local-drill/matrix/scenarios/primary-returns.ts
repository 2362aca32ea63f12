/**
 * primary-returns — the primary freezes long enough to be failed over, and comes back while the promotion runs.
 *
 * Fault: the primary database is SIGSTOPped (its whole process tree: TCP still connects, nothing answers) and the
 * primary region's API stops answering the DR region, which gives the composite alarm its control-plane term; the
 * rest of the primary region keeps running: its keeper (which reaches the quorum but not its frozen primary, so it
 * stops renewing and keeps trying to fence: the read-only setting is written, its reload cannot run), the WAL path
 * and three applications connected DIRECTLY to the primary with pooled sessions and driver defaults (no statement
 * timeout: a session blocked by the frozen server waits, and carries on when the server does). The moment the DR
 * orchestrator's conditional write takes the lease, the primary is SIGCONTed — during the promotion. Once the keeper
 * has fenced its returned primary, the API answers again so the orchestrator can finish (fence through the API).
 *
 * AWS behaviour modelled: the keeper renews only a lease its primary answers for, so a frozen primary's lease runs
 * out; the DR side takes it ttl + margin later; the keeper fences at its next tick once the DR side holds the
 * lease (read-only default, older sessions terminated, verified from a new session). What differs: locally the
 * keeper's read-only default is applied by a SQL reload on the primary (the reloads it attempted while the server was
 * frozen are still queued as connections when it thaws); on AWS it is a parameter-group change applied by RDS, and
 * the keeper also moves the instance into a deny-all security group — through the API, so even while the database is
 * frozen — which stops NEW sessions, but established (tracked) connections survive a security-group change, as the
 * pooled sessions here do. The keeper ticks every 0.3 s here (10 s on AWS).
 *
 * Expected (the design's claims): one writer and no stale acknowledgements (the old primary acknowledges nothing
 * after the new writer's first acknowledgement), the keeper's verified fence cuts the direct sessions (nothing
 * acknowledged by the old primary after it), and — the write lease's own claim (write-lease.ts: only the side that
 * holds it may have a writable database; the lag gate counts the primary's commits only up to its lease expiry) —
 * the deposed primary acknowledges nothing once the DR side holds the lease. Without more, a pooled session that
 * was idle when the primary froze would send its next write into the frozen server and have it committed the instant
 * the server thaws, before any fence can act (this scenario measured 39–114 such acknowledgements per run, some
 * after the new writer's first). What closes it is the primary's silent-session timeout (`silentSessionTimeoutMs`,
 * set in the primary's parameter group on AWS and on the local primary alike): the freeze outlasts it, so the server
 * ends those sessions as it resumes, before reading what was queued. A statement already executing at the freeze
 * still completes; only the client's own statement timeout bounds that residue.
 */
import { readWrittenIds } from '../../client-load';
import type { AcknowledgedOperation, HistoryEvent } from '../../history/history';
import { formatSeconds } from '../../../core/format-seconds';
import {
  acksBy, afterDrTakesLease, check, FAILOVER_WAIT_MS, newWriterAck, replicaIdsOnceReplayed, sleep, waitFor, type Scenario,
} from '../scenario';

/** Driver defaults: longer than the freeze, so the direct sessions stay open through it. */
const PATIENT_MS = 60_000;

export const primaryReturns: Scenario = {
  name: 'primary-returns',
  expected: 'frozen primary (SIGSTOP, pooled direct sessions open) thaws the moment the DR side takes the lease: one writer, no stale acks, the keeper\'s fence cuts the direct sessions, nothing acknowledged by the deposed primary',
  failoverExpected: true,
  estate: { directClients: 3, directStepTimeoutMs: PATIENT_MS },
  async run(estate, progress) {
    const { history } = estate;
    let leaseTakenAt: number | undefined;
    let thawedAt: number | undefined;
    estate.interceptPorts = (ports) => {
      const lease = ports.lease!;
      return {
        ...ports,
        lease: afterDrTakesLease(lease, async () => {
          if (thawedAt !== undefined) return;
          leaseTakenAt = history.now();
          await estate.cluster.primary.kill('SIGCONT');
          thawedAt = history.now();
          progress('the DR side holds the write lease: primary SIGCONTed (it comes back during the promotion)');
        }),
      };
    };

    const faultAt = Date.now();
    estate.controlPlane.answers = false;
    await estate.cluster.primary.kill('SIGSTOP');
    progress('FAULT: primary SIGSTOPped, the primary region\'s API silent for the DR region; keeper, WAL path and direct sessions stay');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    await waitFor(() => thawedAt, FAILOVER_WAIT_MS);
    const fencedAt = thawedAt === undefined ? undefined
      : await waitFor(() => (estate.keeper.lastTick?.state === 'fenced_lost' && estate.keeper.lastTick.fenceVerified ? history.now() : undefined), 10_000, 5);
    progress(fencedAt ? `keeper fenced its returned primary (verified) ${formatSeconds((fencedAt - thawedAt!) / 1000)} after the thaw` : 'keeper did NOT verify a fence');
    const ack = await newWriterAck(estate, faultAt);
    await sleep(1000); // the direct clients keep trying against the fenced primary
    estate.controlPlane.answers = true;
    await waitFor(async () => ((await estate.store.read())?.status === 'completed' ? true : undefined), 10_000, 100);
    const survivors = await estate.cluster.replica.session(readWrittenIds).catch(() => undefined);

    const oldPrimary = estate.ids.primary;
    const at = (time: number | undefined) => (time === undefined || thawedAt === undefined ? '?' : `${time >= thawedAt ? '+' : ''}${formatSeconds((time - thawedAt) / 1000)}`);
    const afterLease = leaseTakenAt === undefined ? [] : acksBy(estate, oldPrimary, leaseTakenAt);
    const afterFence = fencedAt === undefined ? [] : acksBy(estate, oldPrimary, fencedAt);
    const lostAfterLease = survivors ? afterLease.filter((late) => !survivors.has(late.id)) : afterLease;
    const directAfterThaw = thawedAt === undefined ? [] : history.events.filter((event) => event.path === 'direct' && event.completedAt >= thawedAt!);
    const firstReadOnly = directAfterThaw.find((event) => event.outcome === 'fail' && event.error.startsWith('25006'));
    const describe = (acks: readonly AcknowledgedOperation[]) => (acks.length === 0 ? 'none'
      : `${acks.length} (${acks.filter((late) => late.path === 'direct').length} direct) from ${at(acks[0].completedAt)} to ${at(acks[acks.length - 1].completedAt)} after the thaw`);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('keeper fenced the returned primary (verified)', fencedAt !== undefined,
          fencedAt ? `verified ${at(fencedAt)} after the thaw (lease taken ${at(leaseTakenAt)}): ${estate.keeper.lastTick?.detail}` : `no verified fence within 10 s of the thaw (${thawedAt ? 'thawed' : 'NEVER thawed: the lease was not taken'})`),
        check('the fence cut the direct sessions', fencedAt !== undefined && afterFence.length === 0,
          `old primary's acknowledgements after the verified fence: ${describe(afterFence)}; the direct clients' operations after the thaw: ${tally(directAfterThaw)}`),
        check('deposed primary acknowledges nothing once the DR side holds the lease', leaseTakenAt !== undefined && afterLease.length === 0,
          `acknowledged by the old primary at or after the lease take: ${describe(afterLease)}; ${lostAfterLease.length} of them missing on the new writer`
          + `${ack ? `; the new writer's first acknowledgement ${at(ack.completedAt)}` : ''}`),
      ],
      notes: [
        `relative to the thaw: lease taken ${at(leaseTakenAt)}; new writer's first ack ${at(ack?.completedAt)}; a direct client first refused read-only ${at(firstReadOnly?.completedAt)}; `
        + `keeper fence verified ${at(fencedAt)}; the old primary's last ack ${at(afterLease[afterLease.length - 1]?.completedAt)}`,
      ],
    };
  },
};

/** "N ok, M fail (SQLSTATE or message: count, …)" for a set of operations. */
function tally(events: readonly HistoryEvent[]): string {
  const counts = new Map<string, number>();
  for (const event of events) {
    const key = event.outcome === 'ok' ? 'ok' : `${event.outcome} ${event.error.slice(0, 48)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([key, count]) => `${count}× ${key}`).join('; ') || 'none';
}
