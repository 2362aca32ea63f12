import { check, type Scenario } from '../scenario';

export const maintenance: Scenario = {
  name: 'maintenance',
  expected: 'RDS reports storage-optimization, then modifying, while the primary serves: no promotion, the writer name stays',
  failoverExpected: false,
  async run(estate, progress) {
    const faultAt = Date.now();
    for (const status of ['storage-optimization', 'modifying']) {
      estate.controlPlane.reportedStatus = status;
      progress(`FAULT: control plane reports the primary ${status} while it serves`);
      await estate.monitor.waitForCycles((estate.options.badCyclesToAlarm ?? 3) * 2);
    }
    estate.controlPlane.reportedStatus = undefined;
    return {
      faultAt,
      checks: [check('writer name stays on the primary', estate.endpoint.target.port === estate.cluster.primary.port, `endpoint → ${estate.endpoint.target.name}`)],
    };
  },
};
