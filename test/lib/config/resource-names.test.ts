import { DatabaseConfig } from '../../../lib/config/dr-config';
import { drResourceNames, estateHealthAlarmNames, METRIC_NAMESPACE, parameterGroupNames } from '../../../lib/config/resource-names';

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
      writeLeaseTable: 'paydb-write-lease-dev',
      leaseKeeperFunction: 'paydb-lease-keeper-dev',
    });
  });

  it.each([
    ['14.22', 'paydb-primary-db-dev-params', 'paydb-dr-replica-db-dev-params'],
    ['15.13', 'paydb-primary-db-dev-params-postgres15', 'paydb-dr-replica-db-dev-params-postgres15'],
    ['17.5', 'paydb-primary-db-dev-params-postgres17', 'paydb-dr-replica-db-dev-params-postgres17'],
  ])('names the parameter groups of PostgreSQL %s %s and %s: 14 keeps the names the groups were created with, a later major gets groups of its own', (engineVersion, primary, replica) => {
    expect(parameterGroupNames({ serviceName: 'paydb', environmentSuffix: 'dev', database: { engineVersion } as DatabaseConfig })).toEqual({ primary, replica });
  });

  it('names the failover evidence and the two writer-switch alarms', () => {
    expect(names.alarms).toMatchObject({
      primaryFailedState: 'paydb-primary-failed-state-dev',
      primaryApiUnreachable: 'paydb-primary-api-unreachable-dev',
      failedOver: 'paydb-failed-over-dev',
      notFailedOver: 'paydb-not-failed-over-dev',
    });
  });

  it('leaves not-failed-over (in ALARM on every estate that has not failed over) out of the estate health alarms, and nothing else', () => {
    expect(estateHealthAlarmNames(names)).not.toContain('paydb-not-failed-over-dev');
    expect(estateHealthAlarmNames(names).sort()).toEqual(Object.values(names.alarms).filter((alarmName) => alarmName !== 'paydb-not-failed-over-dev').sort());
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
