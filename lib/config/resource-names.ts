import { DrConfig, resourceName } from './dr-config';

/** CloudWatch namespace of the product's custom metrics (dimension `EnvironmentSuffix`). */
export const METRIC_NAMESPACE = 'PaymentsDR';

/**
 * Every physical name of the estate in one place, so that stacks, the pipeline's post-deploy step
 * and the drills agree without passing tokens across regions.
 */
export function drResourceNames(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix'>) {
  const name = (purpose: string) => resourceName(config, purpose);
  const hostedZoneName = `db.${config.serviceName}-${config.environmentSuffix}.internal`;
  return {
    primaryDbInstance: name('primary-db'),
    replicaDbInstance: name('dr-replica-db'),
    dbSecret: name('db-credentials'),
    failoverStateTable: name('failover-state'),
    replicationMonitorFunction: name('replication-monitor'),
    failoverOrchestratorFunction: name('failover-orchestrator'),
    failoverTriggerRule: name('failover-trigger'),
    syntheticDrillFunction: name('synthetic-drill'),
    fullDrillStateMachine: name('full-drill'),
    dashboard: name('dr-dashboard'),
    hostedZoneName,
    writerRecordName: `writer.${hostedZoneName}`,
    alarms: {
      replicationLag: name('replication-lag'),
      primaryUnreachable: name('primary-unreachable'),
      replicaUnreachable: name('replica-unreachable'),
      primaryNotAvailable: name('primary-not-available'),
      replicaNotAvailable: name('replica-not-available'),
      monitorErrors: name('monitor-errors'),
      /** Composite: several independent signals that the primary region failed; triggers the orchestrator. */
      primaryRegionFailed: name('primary-region-failed'),
      /** Sticky DNS signal: ALARM once the DR replica was promoted; keeps the PRIMARY record unhealthy. */
      failedOver: name('failed-over'),
    },
  };
}

export type DrResourceNames = ReturnType<typeof drResourceNames>;
