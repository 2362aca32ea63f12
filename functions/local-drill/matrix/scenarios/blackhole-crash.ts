import { losePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, type Scenario } from '../scenario';

export const blackholeCrash: Scenario = {
  name: 'blackhole-crash',
  expected: 'primary frozen (SIGSTOP, never resumed) with its region: failover happens although TCP still connects',
  failoverExpected: true,
  async run(estate, progress) {
    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGSTOP');
    progress('FAULT: primary SIGSTOPped (accepts TCP, never answers) with its keeper, quorum links and API');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    await newWriterAck(estate, faultAt);
    return { faultAt, replicaIdsWhenPrimaryStopped: replicaIds };
  },
};
