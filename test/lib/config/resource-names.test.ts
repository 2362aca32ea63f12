import { drResourceNames, METRIC_NAMESPACE } from '../../../lib/config/resource-names';

describe('drResourceNames', () => {
  const names = drResourceNames({ serviceName: 'paydb', environmentSuffix: 'dev' });

  it('names the databases and the shared runtime resources {service}-{purpose}-{environmentSuffix}', () => {
    expect(names).toMatchObject({
      primaryDbInstance: 'paydb-primary-db-dev',
      replicaDbInstance: 'paydb-dr-replica-db-dev',
      dbSecret: 'paydb-db-credentials-dev',
      failoverStateTable: 'paydb-failover-state-dev',
      replicationMonitorFunction: 'paydb-replication-monitor-dev',
      failoverOrchestratorFunction: 'paydb-failover-orchestrator-dev',
    });
  });

  it('puts the suffix into the private zone and the writer record', () => {
    expect(names.hostedZoneName).toBe('db.paydb-dev.internal');
    expect(names.writerRecordName).toBe('writer.db.paydb-dev.internal');
  });

  it('ends every alarm name with the suffix', () => {
    const custom = drResourceNames({ serviceName: 'cards', environmentSuffix: 'pr-7' });
    for (const alarmName of Object.values(custom.alarms)) expect(alarmName).toMatch(/^cards-[a-z-]+-pr-7$/);
  });

  it('publishes metrics under the namespace of the runtime contract', () => {
    expect(METRIC_NAMESPACE).toBe('PaymentsDR');
  });
});
