import { losePrimaryRegion, newWriterAck, replicaIdsOnceReplayed, type Scenario } from '../scenario';

export const regionLoss: Scenario = {
  name: 'region-loss',
  expected: 'primary, its keeper and its paths die together: automatic failover after the lease runs out; loss = what the replica lacked',
  failoverExpected: true,
  async run(estate, progress) {
    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT: primary region lost (primary SIGKILLed, keeper dead, quorum links and API silent)');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    await newWriterAck(estate, faultAt);
    return { faultAt, replicaIdsWhenPrimaryStopped: replicaIds };
  },
};
