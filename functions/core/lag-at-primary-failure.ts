import { formatSeconds } from './format-seconds';

/** One monitor observation (AWS: one metric period; local drill: one monitor cycle). */
export interface LagSample {
  readonly at: Date;
  /** `ReplicationLagSeconds`; absent when the monitor could not measure it. */
  readonly lagSeconds?: number;
  /** `PrimaryReachable`; absent when the monitor published no reachability for this time. */
  readonly primaryReachable?: boolean;
  /** `PrimaryWritable`: the monitor's heartbeat committed on the primary (at `at` or, for a metric period, within it). */
  readonly primaryWritable?: boolean;
}

/** What the caller knows about the primary's end beyond the monitor's samples. */
export interface PrimaryEndEvidence {
  /** The caller's own first failed probe: bounds a failure the monitor has not seen yet. */
  readonly firstFailedProbeAt?: Date;
  /**
   * When the primary's write lease ran out: its keeper fences it before then, so it bounds how long an unreachable
   * but living primary (a partition) could commit.
   */
  readonly primaryLeaseExpiresAt?: Date;
}

export interface LagAtPrimaryFailure {
  /** Seconds of primary commits the replica may lack; `undefined` = unknown (never within budget). */
  readonly lagSeconds: number | undefined;
  /** How the figure was obtained, for logs and reports. */
  readonly basis: string;
}

/**
 * The replication lag that bounds the data at risk, for the promotion gate.
 *
 * While the primary is unreachable the monitor's lag is the AGE of the newest primary evidence on the
 * replica, which keeps growing after the primary died; a dead primary takes no writes, so that growth is
 * not data at risk. What is at risk is what the primary committed after the replica's newest replayed
 * commit, up to its death. The death came after the last successful probe (lag L measured then) and no
 * later than the first failed probe after it, so at most L + (first failed − last success) seconds of
 * commits can be missing. That window is one probe interval on a healthy schedule; when monitor runs
 * went missing between the two samples it is the (longer) gap between them, never less than one interval.
 * When the primary answered again after the last measurement (without a lag figure: flapping), the window
 * runs to the first failure after its last answer.
 *
 * - the newest reachability sample says reachable and nobody saw the primary fail since: it is alive and the
 *   newest lag is real lag;
 * - the newest sample says reachable but the caller's own probe found it down since (`firstFailedProbeAt`: the
 *   failure came after the monitor's last run): the newest lag plus the time from its measurement to that probe;
 * - it says unreachable: the newest lag measured at a time the primary was reachable, plus that window — which runs
 *   to the primary's lease expiry when that is later: unreachable is not dead (a partition), and only the keeper's
 *   fence, before the expiry, surely stopped its commits;
 * - no such measurement (or no reachability at all): unknown;
 * - the primary committed after its write lease expired (its keeper had stopped; nothing fenced it): unknown.
 */
export function lagAtPrimaryFailure(samples: readonly LagSample[], probeIntervalSeconds: number, evidence: PrimaryEndEvidence = {}): LagAtPrimaryFailure {
  const { firstFailedProbeAt, primaryLeaseExpiresAt } = evidence;
  const ordered = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
  // Every bound below rests on the keeper: it renews the lease while the primary lives and fences it (read-only, sessions
  // cut) before the lease runs out. A primary that committed the monitor's heartbeat after its lease had expired was
  // not fenced: its keeper had stopped (crashed, throttled) while the database kept serving, so nothing bounds what it
  // committed, or still commits behind a partition. Unknown: no automatic promotion; an operator who has made sure it
  // is fenced or gone may force one.
  const committedAfterExpiry = primaryLeaseExpiresAt
    ? findLast(ordered, (sample) => sample.primaryWritable === true && sample.at.getTime() >= primaryLeaseExpiresAt.getTime())
    : undefined;
  if (committedAfterExpiry && primaryLeaseExpiresAt) {
    return {
      lagSeconds: undefined,
      basis: `the primary committed a heartbeat at ${committedAfterExpiry.at.toISOString()}, after its write lease expired at `
        + `${primaryLeaseExpiresAt.toISOString()}: its keeper was not fencing it, so nothing bounds what it committed`,
    };
  }
  const newestReachability = findLast(ordered, (sample) => sample.primaryReachable !== undefined);
  if (!newestReachability) return { lagSeconds: undefined, basis: 'no primary reachability data' };

  if (newestReachability.primaryReachable) {
    const newestLag = findLast(ordered, (sample) => sample.lagSeconds !== undefined);
    if (!newestLag) return { lagSeconds: undefined, basis: 'primary reachable; no lag measurement' };
    if (firstFailedProbeAt && firstFailedProbeAt.getTime() > newestReachability.at.getTime()) {
      const windowSeconds = (firstFailedProbeAt.getTime() - newestLag.at.getTime()) / 1000;
      return {
        lagSeconds: newestLag.lagSeconds! + windowSeconds,
        basis: `primary reachable at the monitor's last run (${newestReachability.at.toISOString()}) but found down at ${firstFailedProbeAt.toISOString()}; `
          + `lag ${formatSeconds(newestLag.lagSeconds!)} measured at ${newestLag.at.toISOString()} + ${formatSeconds(windowSeconds)} until then`,
      };
    }
    return { lagSeconds: newestLag.lagSeconds, basis: `primary reachable; newest lag measurement (${newestLag.at.toISOString()})` };
  }

  const lastGoodIndex = findLastIndex(ordered, (sample) => sample.primaryReachable === true && sample.lagSeconds !== undefined);
  const lastGood = ordered[lastGoodIndex];
  if (lastGood?.lagSeconds === undefined) return { lagSeconds: undefined, basis: 'primary unreachable; no lag measured while it was reachable' };
  const measured = lastGood.lagSeconds;
  // A flapping primary may have answered (and committed) after the last measurement: the window ends at the first
  // failure after the LAST reachable sample, measured or not.
  const lastReachableIndex = findLastIndex(ordered, (sample) => sample.primaryReachable === true);
  const firstFailure = ordered.slice(lastReachableIndex + 1).find((sample) => sample.primaryReachable === false) ?? newestReachability;
  // Unreachable is not dead (a partition): the primary may have committed until its lease ran out.
  const windowEnd = primaryLeaseExpiresAt && primaryLeaseExpiresAt.getTime() > firstFailure.at.getTime() ? primaryLeaseExpiresAt : firstFailure.at;
  const windowSeconds = Math.max(probeIntervalSeconds, (windowEnd.getTime() - lastGood.at.getTime()) / 1000);
  return {
    lagSeconds: measured + windowSeconds,
    basis: `primary unreachable since ${firstFailure.at.toISOString()}; lag ${formatSeconds(measured)} measured at ${lastGood.at.toISOString()} `
      + `while it was reachable + ${formatSeconds(windowSeconds)} until ${windowEnd === firstFailure.at ? 'the first failed probe' : `its write lease expired (${windowEnd.toISOString()})`}`,
  };
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (predicate(items[index])) return index;
  return -1;
}

function findLast<T>(items: readonly T[], predicate: (item: T) => boolean): T | undefined {
  const index = findLastIndex(items, predicate);
  return index < 0 ? undefined : items[index];
}
