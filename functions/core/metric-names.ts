/**
 * The names both wings share: the custom metrics the runtime publishes and the infrastructure's alarms, dashboard and
 * health checks read, and the EventBridge event the failover rule matches and the orchestrator parses. The runtime
 * publishes only names of this module (`MetricDatum.name` is a `MetricName`); test/contract/metric-names.test.ts
 * checks that every metric an alarm or the dashboard reads is one a function publishes.
 *
 * Pure constants: the infrastructure (lib/) imports this module, so it imports nothing.
 */

/** CloudWatch namespace of every custom metric (infra passes it to the functions as `METRIC_NAMESPACE`). */
export const METRIC_NAMESPACE = 'PaymentsDR';

/** Dimension every datum carries (value: the environment suffix); the adapters add it, the alarms filter on it. */
export const ENVIRONMENT_DIMENSION = 'EnvironmentSuffix';

/** Metrics the replication monitor publishes (DR region; `FailedOver` also by the orchestrator's DNS switch). */
export const MonitorMetric = {
  /** Seconds of primary commits the replica may lack (heartbeat-based, right on an idle primary). */
  ReplicationLagSeconds: 'ReplicationLagSeconds',
  /** 1 when the primary's server answered from the DR VPC (even with its own SQL error), else 0. */
  PrimaryReachable: 'PrimaryReachable',
  /**
   * 1 when the monitor's heartbeat committed on the writer this run, else 0 (unreachable, read-only, fenced). A commit
   * after the writer's lease expired proves its keeper was not fencing it (`lagAtPrimaryFailure`).
   */
  PrimaryWritable: 'PrimaryWritable',
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
  /** 1 while a replica in the other region protects the writer (as built, or after a re-protection); 0 after a failover until then. */
  WriterProtected: 'WriterProtected',
} as const;

/** Metrics the failover orchestrator publishes; `FailoverStepSeconds` has the extra dimension `Step`. */
export const FailoverMetric = {
  FailoverStepSeconds: 'FailoverStepSeconds',
  FailoverDurationSeconds: 'FailoverDurationSeconds',
} as const;

/** Extra dimension of `FailoverStepSeconds`: the step's name. */
export const FAILOVER_STEP_DIMENSION = 'Step';

/** Metrics the primary-region lease keeper publishes (in the primary region). */
export const KeeperMetric = {
  /** 1 when the keeper holds the write lease after this run, else 0. */
  WriteLeaseHeld: 'WriteLeaseHeld',
  /** 1 while the keeper's own fence is in place and verified. */
  PrimarySelfFenced: 'PrimarySelfFenced',
} as const;

/** Metrics the drills publish, each with the extra dimension `Drill` (`DRILL_KIND`). */
export const DrillMetric = {
  /** Synthetic drill: 1 when every readiness check passed, else 0. */
  DrillReady: 'DrillReady',
  /** Synthetic drill: how long the checks took. */
  DrillDurationSeconds: 'DrillDurationSeconds',
  /** Full drill: 1 when the disposable copy was promoted, written, read and cleaned up, else 0. */
  DrillSucceeded: 'DrillSucceeded',
  /** Full drill: promotion → first write and read on the copy. */
  DrillRtoSeconds: 'DrillRtoSeconds',
  /** Full drill: upper bound of the marker's replication delay. */
  DrillRpoSeconds: 'DrillRpoSeconds',
} as const;

/** Extra dimension of the drill metrics and its values. */
export const DRILL_DIMENSION = 'Drill';
export const DRILL_KIND = { synthetic: 'synthetic', full: 'full' } as const;

type ValueOf<T> = T[keyof T];

/** Every metric name the runtime may publish. */
export type MetricName = ValueOf<typeof MonitorMetric> | ValueOf<typeof FailoverMetric> | ValueOf<typeof KeeperMetric> | ValueOf<typeof DrillMetric>;

/** All of them, for checks that compare names. */
export const METRIC_NAMES: readonly MetricName[] = [
  ...Object.values(MonitorMetric), ...Object.values(FailoverMetric), ...Object.values(KeeperMetric), ...Object.values(DrillMetric),
];

/** The EventBridge event of a CloudWatch alarm's state change: the failover rule matches it, the orchestrator parses it. */
export const ALARM_STATE_CHANGE_EVENT = {
  source: 'aws.cloudwatch',
  detailType: 'CloudWatch Alarm State Change',
} as const;
