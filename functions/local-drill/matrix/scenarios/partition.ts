import { LOCAL_LEASE_TIMINGS } from '../../estate';
import { formatSeconds } from '../../../core/format-seconds';
import { check, isolatePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, replicaPromoted, sleep, waitFor, type Scenario } from '../scenario';

export const partition: Scenario = {
  name: 'partition',
  expected: 'DR cut from the primary: no promotion while the keeper renews; once the primary region also loses the quorum, the keeper fences it before the DR side takes over',
  failoverExpected: true,
  estate: { directClients: 2 },
  async run(estate, progress) {
    const faultAt = Date.now();
    estate.proxies.drToPrimary.blackhole();
    estate.proxies.walStream.blackhole();
    progress('FAULT 1: DR region cut from the primary (probes, SQL and WAL stream black-holed); the primary region keeps its quorum path');
    // Twice the time after which an unrenewed lease could be taken: long enough for a wrong promotion to happen.
    await sleep(2 * (LOCAL_LEASE_TIMINGS.ttlMs + LOCAL_LEASE_TIMINGS.takeoverMarginMs));
    const promotedWhileHeld = await replicaPromoted(estate);
    const keeperStillHolds = estate.keeper.held;
    progress(`after ${formatSeconds((Date.now() - faultAt) / 1000)} of partition: promoted ${promotedWhileHeld}, keeper holds the lease ${keeperStillHolds}`);
    const isolatedAt = Date.now();
    isolatePrimaryRegion(estate);
    progress('FAULT 2: the primary region also loses the lease quorum and its API; its keeper must fence the primary before the lease runs out');
    const fenced = await waitFor(() => (estate.keeper.lastTick?.fenceVerified ? true : undefined), 10_000);
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    const ack = await newWriterAck(estate, isolatedAt);
    return {
      faultAt: isolatedAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('no promotion while the primary holds its lease', !promotedWhileHeld && keeperStillHolds,
          `after ${formatSeconds((isolatedAt - faultAt) / 1000)} of partition the replica was ${promotedWhileHeld ? 'PROMOTED' : 'not promoted'} and the keeper ${keeperStillHolds ? 'still held' : 'had lost'} the lease`),
        check('keeper fenced its isolated primary (verified)', fenced === true, fenced ? 'fence verified' : 'no verified fence within 10 s'),
      ],
      notes: [ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - isolatedAt) / 1000)} after the isolation` : 'no acknowledgement by the new writer'],
    };
  },
};
