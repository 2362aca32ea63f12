import { DrConfig, engineMajor, ORIGINAL_ENGINE_MAJOR, resourceName } from './dr-config';

/** CloudWatch namespace of the product's custom metrics (dimension `EnvironmentSuffix`): defined with the metric names. */
export { METRIC_NAMESPACE } from '../../functions/core/metric-names';

/**
 * Every physical name of the estate in one place, so that stacks, the pipeline's post-deploy step
 * and the drills agree without passing tokens across regions.
 */
export function drResourceNames(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix'>) {
  const name = (purpose: string) => resourceName(config, purpose);
  const hostedZoneName = `db.${config.serviceName}-${config.environmentSuffix}.internal`;
  const primaryDbInstance = name('primary-db');
  const replicaDbInstance = name('dr-replica-db');
  return {
    primaryDbInstance,
    replicaDbInstance,
    /**
     * The DB subnet group a re-protection creates the primary-region replica in (under `primaryDbInstance`, the old
     * primary renamed away first): the primary VPC's database subnets. Its own, with a name the orchestrator can be told
     * (the primary instance's subnet group is CDK's, with a generated name). The name is the one it was created with,
     * when the replica had an identifier of its own: a new name would replace the group, which fails while an instance
     * is in it.
     */
    reprotectSubnetGroup: subnetGroupNameOf(name('primary-reprotect-db')),
    /** The DR instance's DB subnet group: the template's, and the one a re-protection back creates its successor in. */
    replicaSubnetGroup: subnetGroupNameOf(replicaDbInstance),
    dbSecret: name('db-credentials'),
    failoverStateTable: name('failover-state'),
    /** The write lease: a DynamoDB MRSC global table with replicas in both database regions (failoverMode automatic). */
    writeLeaseTable: name('write-lease'),
    /** Primary-region function that renews the write lease and fences the primary itself when it cannot. */
    leaseKeeperFunction: name('lease-keeper'),
    replicationMonitorFunction: name('replication-monitor'),
    failoverOrchestratorFunction: name('failover-orchestrator'),
    failoverTriggerRule: name('failover-trigger'),
    syntheticDrillFunction: name('synthetic-drill'),
    fullDrillStateMachine: name('full-drill'),
    dashboard: name('dr-dashboard'),
    hostedZoneName,
    writerRecordName: `writer.${hostedZoneName}`,
    /** SSM parameter (in both regions) that names the host applications connect to: the writer name, never an instance. */
    writerHostParameter: `/${config.serviceName}/${config.environmentSuffix}/database/writer-host`,
    alarms: {
      replicationLag: name('replication-lag'),
      primaryUnreachable: name('primary-unreachable'),
      replicaUnreachable: name('replica-unreachable'),
      /** RDS does not report the primary available (failed state or its API silent): an alert, no longer a failover signal. */
      primaryNotAvailable: name('primary-not-available'),
      /** RDS reports the primary in a failed state: evidence of an outage (composite child). */
      primaryFailedState: name('primary-failed-state'),
      /** The primary region's RDS API does not answer: evidence of a regional outage (composite child). */
      primaryApiUnreachable: name('primary-api-unreachable'),
      replicaNotAvailable: name('replica-not-available'),
      monitorErrors: name('monitor-errors'),
      /** Composite: several independent signals that the primary region failed; triggers the orchestrator. */
      primaryRegionFailed: name('primary-region-failed'),
      /** Sticky DNS signal: ALARM once the DR replica was promoted; keeps the PRIMARY record unhealthy. */
      failedOver: name('failed-over'),
      /**
       * Its mirror image: ALARM while NOT failed over (its normal state), OK once the orchestrator published FailedOver=1;
       * the SECONDARY record is healthy only then. Not an estate health alarm: see `estateHealthAlarmNames`.
       */
      notFailedOver: name('not-failed-over'),
      /** After a failover, until a re-protection completes (and again after a fail-back): nothing protects the writer. */
      writerUnprotected: name('writer-unprotected'),
    },
    /** The lease keeper's alarms, in the PRIMARY region (the others are all in the DR region). */
    keeperAlarms: {
      /** The keeper did not hold the write lease (or did not run) for several minutes. */
      notHoldingLease: name('lease-keeper-not-holding'),
      /** The keeper fenced its primary (it could not renew, or the DR side took the lease). */
      primarySelfFenced: name('primary-self-fenced'),
    },
  };
}

export type DrResourceNames = ReturnType<typeof drResourceNames>;

/** `<instance>-subnets`: the DB subnet group with a fixed name that an instance of the estate is (re)created in. */
export function subnetGroupNameOf(instanceName: string): string {
  return `${instanceName}-subnets`;
}

/**
 * What tells the estate's DB parameter groups of one PostgreSQL major from those of another, in their names and construct
 * IDs: nothing for the original major (the groups keep the names and logical IDs they were created with), the family
 * (`postgres15`) for the others. A group's family cannot change ("The DB parameter group family can't be changed when
 * updating a DB parameter group", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbparametergroup.html),
 * and CloudFormation cannot replace a resource with a custom name ("You can't perform an update that causes a
 * custom-named resource to be replaced", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html):
 * a major version upgrade gets new groups next to the old ones, which CloudFormation deletes once the instances moved.
 */
export function parameterGroupFamilyQualifier(config: Pick<DrConfig, 'database'>): string {
  const major = engineMajor(config);
  return major === ORIGINAL_ENGINE_MAJOR ? '' : `postgres${major}`;
}

/** The DB parameter group of the instance `instanceName` for the configured major: `<instance>-params`, `<instance>-params-postgres15` … */
export function parameterGroupNameOf(instanceName: string, config: Pick<DrConfig, 'database'>): string {
  const qualifier = parameterGroupFamilyQualifier(config);
  return qualifier === '' ? `${instanceName}-params` : `${instanceName}-params-${qualifier}`;
}

/** The DB parameter groups of the two instances. The lease keeper and a planned switchover set the read-only default in the primary's. */
export function parameterGroupNames(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix' | 'database'>): { primary: string; replica: string } {
  const names = drResourceNames(config);
  return { primary: parameterGroupNameOf(names.primaryDbInstance, config), replica: parameterGroupNameOf(names.replicaDbInstance, config) };
}

/**
 * The alarms that are OK on a healthy estate, for checks that require none in ALARM (the synthetic drill): every
 * alarm but `notFailedOver`, which is in ALARM whenever the estate has not failed over, by design.
 */
export function estateHealthAlarmNames(names: DrResourceNames): string[] {
  const { notFailedOver: _routingSignal, ...healthAlarms } = names.alarms;
  return Object.values(healthAlarms);
}
