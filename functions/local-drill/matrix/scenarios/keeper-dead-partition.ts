/**
 * keeper-dead-partition — the lease keeper crashes (its function failing: no more renewals) while the primary keeps
 * serving its region's clients; minutes later the DR region is cut off from the primary (data paths and the primary
 * region's API).
 *
 * Expected: no automatic promotion. The lease ran out because the keeper stopped, not because the primary did: the
 * monitor's heartbeat kept committing on the primary long after its lease had expired, and nothing fenced it.
 * Promoting would make a second writer for as long as the partition lasts (before the fix: two writers, 56,780
 * acknowledged writes lost). The orchestrator waits ("replication lag unknown"); an operator who has made sure the
 * primary is fenced or gone may force the failover.
 */
import { formatSeconds } from '../../../core/format-seconds';
import { LOCAL_LEASE_TIMINGS } from '../../estate';
import { check, replicaPromoted, sleep, type Scenario } from '../scenario';

export const keeperDeadPartition: Scenario = {
  name: 'keeper-dead-partition',
  expected: 'the keeper crashes while the primary keeps serving; later the DR side is cut off: no automatic promotion (nothing fenced the primary)',
  failoverExpected: false,
  estate: { directClients: 2 },
  async run(estate, progress) {
    await estate.keeper.stop();
    progress('FAULT 1: the lease keeper crashes; the primary keeps serving its region\'s clients');
    await sleep(3 * (LOCAL_LEASE_TIMINGS.ttlMs + LOCAL_LEASE_TIMINGS.takeoverMarginMs));
    const faultAt = Date.now();
    estate.proxies.drToPrimary.blackhole();
    estate.proxies.walStream.blackhole();
    estate.controlPlane.answers = false;
    progress('FAULT 2: the DR region is cut from the primary (probes, SQL, WAL stream and the primary region\'s API)');
    // A wrong promotion comes ~7 s after the cut (detection + the orchestrator's probes): 10 s shows it.
    await sleep(10_000);
    const promoted = await replicaPromoted(estate);
    progress(`after ${formatSeconds((Date.now() - faultAt) / 1000)} of partition: promoted ${promoted}`);
    return {
      faultAt,
      checks: [check('no automatic promotion while nothing fenced the primary', !promoted, promoted ? 'the replica was PROMOTED: two writers' : 'not promoted')],
      notes: [],
    };
  },
};
