import { newWriterAck, sleep, type Scenario } from '../scenario';

export const switchoverLagging: Scenario = {
  name: 'switchover-lagging',
  expected: 'planned switchover under load with the replica seconds behind: freeze, catch up, promote — zero loss',
  failoverExpected: true,
  async run(estate, progress) {
    await estate.cluster.replica.configure({ recovery_min_apply_delay: '2s' });
    await sleep(2500);
    const faultAt = Date.now();
    progress('SWITCHOVER requested; the replica replays 2 s behind the primary');
    const result = await estate.failover({ trigger: 'operator', reason: 'planned switchover (fault matrix)', switchover: true });
    await estate.cluster.replica.configure({ recovery_min_apply_delay: '0' });
    await newWriterAck(estate, faultAt);
    return { faultAt, notes: [`orchestrator: ${result.outcome}`] };
  },
};
