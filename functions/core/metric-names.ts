/**
 * Names of the custom metrics the runtime publishes (namespace `PaymentsDR`, dimension `EnvironmentSuffix`),
 * shared by the functions that publish them and the alarms and health checks that read them.
 */
export const MonitorMetric = {
  /** Seconds of primary commits the replica may lack (heartbeat-based, right on an idle primary). */
  ReplicationLagSeconds: 'ReplicationLagSeconds',
  /** 1 when the primary's server answered from the DR VPC (even with its own SQL error), else 0. */
  PrimaryReachable: 'PrimaryReachable',
  ReplicaReachable: 'ReplicaReachable',
  /** 1 when RDS reports the primary `available` or in a routine serving state; 0 otherwise or when unknown. */
  PrimaryAvailable: 'PrimaryAvailable',
  ReplicaAvailable: 'ReplicaAvailable',
  /** 1 when RDS reports the primary in a failed state (stopped, failed, storage-full, …): evidence of an outage. */
  PrimaryFailedState: 'PrimaryFailedState',
  /** 1 when the primary region's RDS API did not answer within its deadline: no evidence about the database. */
  PrimaryApiUnreachable: 'PrimaryApiUnreachable',
  /** 1 while RDS reports a routine non-available state (maintenance, modifying, storage-optimization, …). */
  PrimaryRoutineState: 'PrimaryRoutineState',
  MonitorErrors: 'MonitorErrors',
  /** 1 once the failover signal was published (sticky until an operator fails back). */
  FailedOver: 'FailedOver',
} as const;

/** Metrics the failover orchestrator publishes. */
export const FailoverMetric = {
  FailoverStepSeconds: 'FailoverStepSeconds',
  FailoverDurationSeconds: 'FailoverDurationSeconds',
} as const;

/** Metrics the primary-region lease keeper publishes (in the primary region). */
export const KeeperMetric = {
  /** 1 when the keeper holds the write lease after this run, else 0. */
  WriteLeaseHeld: 'WriteLeaseHeld',
  /** 1 while the keeper's own fence is in place and verified. */
  PrimarySelfFenced: 'PrimarySelfFenced',
} as const;
