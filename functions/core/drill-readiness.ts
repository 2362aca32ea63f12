/**
 * Synthetic drill: proves the DR side could take over now, without touching anything (read-only calls and
 * IAM policy simulation only). Each check runs on its own: one failing AWS API fails that check with the
 * error in its detail and never hides the results of the others.
 */
import { whyNotOnConfiguredPair } from './estate-roles';
import { formatSeconds } from './format-seconds';
import { DRILL_DIMENSION, DRILL_KIND, DrillMetric } from './metric-names';
import type { Alerts, DatabaseControl, FailoverStateStore, Logger, MetricDatum, Metrics } from './ports';
import { evaluatePromotionReadiness } from './promotion-readiness';
import { describeError } from './retry';

export interface DrillCheck {
  readonly name: DrillCheckName;
  readonly ok: boolean;
  readonly detail: string;
}

export type DrillCheckName =
  | 'no-alarm-in-alarm' | 'no-failover-in-progress' | 'replica-available' | 'replication-lag' | 'replica-backups'
  | 'failover-records' | 'orchestrator-permissions' | 'alarm-rule-target-wiring';

export interface DrillMeasurements {
  replicationLagSeconds?: number;
  backupRetentionDays?: number;
  /** Hours since the replica's latest automated backup (snapshot). */
  backupAgeHours?: number;
  durationSeconds?: number;
}

export interface SyntheticDrillResult {
  readonly ready: boolean;
  readonly trigger: string;
  readonly checks: readonly DrillCheck[];
  readonly measured: DrillMeasurements;
}

export interface AlarmState {
  readonly name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly state: string;
}

/**
 * What RDS reports about a PostgreSQL read replica's own automated backups. Not a latest restorable time: point-in-time
 * recovery is not supported for read replicas, and LatestRestorableTime is defined by point-in-time restore
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.html, limitations;
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html, LatestRestorableTime).
 */
export interface ReplicaBackups {
  readonly retentionDays: number;
  /** When the replica was created (its first automated backup follows within a backup window). */
  readonly instanceCreatedAt?: Date;
  /** Creation time of the replica's newest automated snapshot; absent when it has none yet. */
  readonly latestAutomatedBackupAt?: Date;
}

export interface FailoverRecordView {
  readonly failover: 'PRIMARY' | 'SECONDARY';
  readonly target?: string;
  readonly healthCheckId?: string;
}

export interface PermissionProbe {
  readonly action: string;
  readonly resource: string;
  /** IAM condition context (e.g. `cloudwatch:namespace`) the real call carries. */
  readonly context?: Readonly<Record<string, string>>;
}

export interface PermissionVerdict extends PermissionProbe {
  /** IAM's `EvalDecision`: `allowed`, `explicitDeny` or `implicitDeny`. */
  readonly decision: string;
}

export interface RuleView {
  readonly enabled: boolean;
  readonly eventPattern: string;
  readonly targetArns: readonly string[];
}

/** Read-only views of the estate the drill inspects (adapters implement them; every method THROWS on API failure). */
export interface DrillInspection {
  /** States of the named alarms; a name with no alarm is absent from the result. */
  alarmStates(names: readonly string[]): Promise<readonly AlarmState[]>;
  replicaBackups(): Promise<ReplicaBackups>;
  /** Failover records of the writer name. */
  failoverRecords(): Promise<readonly FailoverRecordView[]>;
  /** False when the health check does not exist. */
  healthCheckExists(id: string): Promise<boolean>;
  simulateOrchestrator(probes: readonly PermissionProbe[]): Promise<readonly PermissionVerdict[]>;
  /** `undefined` when the rule does not exist. */
  failoverRule(): Promise<RuleView | undefined>;
}

export interface SyntheticDrillPorts {
  readonly inspection: DrillInspection;
  readonly database: Pick<DatabaseControl, 'describeReplica' | 'replicationLagSeconds'>;
  readonly failoverState: Pick<FailoverStateStore, 'read'>;
  readonly metrics: Metrics;
  readonly alerts: Alerts;
  readonly logger: Logger;
  readonly now: () => number;
}

export interface SyntheticDrillSettings {
  /** Every alarm of the estate: none may be in ALARM, and every one must exist. */
  readonly estateAlarmNames: readonly string[];
  /** The composite alarm the failover rule listens to. */
  readonly compositeAlarmName: string;
  readonly orchestratorFunctionArn: string;
  readonly replicaEndpoint: string;
  readonly maxLagSeconds: number;
  /** The replica's newest automated backup may be at most this old (one daily backup, plus its window). */
  readonly maxBackupAgeHours: number;
  /** The orchestrator's key actions on their real resources. */
  readonly orchestratorPermissions: readonly PermissionProbe[];
}

export async function runSyntheticDrill(trigger: string, ports: SyntheticDrillPorts, settings: SyntheticDrillSettings): Promise<SyntheticDrillResult> {
  const startedAt = ports.now();
  const measured: DrillMeasurements = {};
  const checks = (await Promise.all([
    guarded('no-alarm-in-alarm', () => checkAlarms(ports.inspection, settings)),
    guarded('no-failover-in-progress', () => checkFailoverState(ports.failoverState)),
    replicaChecks(ports, settings, measured),
    guarded('replica-backups', () => checkBackups(ports, settings, measured)),
    guarded('failover-records', () => checkFailoverRecords(ports.inspection, settings)),
    guarded('orchestrator-permissions', () => checkPermissions(ports.inspection, settings)),
    guarded('alarm-rule-target-wiring', () => checkWiring(ports.inspection, settings)),
  ])).flat();
  measured.durationSeconds = (ports.now() - startedAt) / 1000;
  const result: SyntheticDrillResult = { ready: checks.every((check) => check.ok), trigger, checks, measured };
  await report(result, ports);
  return result;
}

/** Publishes `DrillReady` + `DrillDurationSeconds` and the SNS report; a failed publication is logged, never fatal. */
async function report(result: SyntheticDrillResult, ports: SyntheticDrillPorts): Promise<void> {
  const data: MetricDatum[] = [
    { name: DrillMetric.DrillReady, value: result.ready ? 1 : 0, unit: 'Count', dimensions: { [DRILL_DIMENSION]: DRILL_KIND.synthetic } },
    { name: DrillMetric.DrillDurationSeconds, value: result.measured.durationSeconds ?? 0, unit: 'Seconds', dimensions: { [DRILL_DIMENSION]: DRILL_KIND.synthetic } },
  ];
  await ports.metrics.record(data).catch((error: unknown) => ports.logger.error('drill metrics not published', { error: describeError(error) }));
  await ports.alerts.notify(`Synthetic DR drill: ${result.ready ? 'READY' : 'NOT READY'}`, formatSyntheticReport(result))
    .catch((error: unknown) => ports.logger.error('drill report not sent', { error: describeError(error) }));
  ports.logger.info('synthetic drill finished', { ...result });
}

export function formatSyntheticReport(result: SyntheticDrillResult): string {
  const lines = result.checks.map((check) => `${check.ok ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
  return [
    `DR side ${result.ready ? 'is ready to take over' : 'is NOT ready to take over'} (trigger: ${result.trigger}).`,
    '',
    ...lines,
    '',
    `Measured: ${formatMeasurements(result.measured)}`,
  ].join('\n');
}

/** The measurements in words, seconds through `formatSeconds` (no floating-point noise in the report). */
function formatMeasurements(measured: DrillMeasurements): string {
  const parts = [
    measured.replicationLagSeconds !== undefined ? `replication lag ${formatSeconds(measured.replicationLagSeconds)}` : 'replication lag unknown',
    ...(measured.backupRetentionDays !== undefined ? [`backup retention ${measured.backupRetentionDays} d`] : []),
    ...(measured.backupAgeHours !== undefined ? [`latest automated backup ${measured.backupAgeHours} h ago`] : []),
    ...(measured.durationSeconds !== undefined ? [`drill took ${formatSeconds(measured.durationSeconds)}`] : []),
  ];
  return parts.join(', ');
}

async function guarded(name: DrillCheckName, check: () => Promise<Omit<DrillCheck, 'name'>>): Promise<DrillCheck> {
  try {
    return { name, ...(await check()) };
  } catch (error) {
    return { name, ok: false, detail: `could not be checked: ${describeError(error)}` };
  }
}

async function checkAlarms(inspection: DrillInspection, settings: SyntheticDrillSettings) {
  const states = await inspection.alarmStates(settings.estateAlarmNames);
  const found = new Set(states.map((alarm) => alarm.name));
  const missing = settings.estateAlarmNames.filter((name) => !found.has(name));
  const firing = states.filter((alarm) => alarm.state === 'ALARM').map((alarm) => alarm.name);
  const problems = [
    ...(firing.length > 0 ? [`in ALARM: ${firing.join(', ')}`] : []),
    ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
  ];
  return problems.length === 0
    ? { ok: true, detail: `${states.length} estate alarms exist, none in ALARM` }
    : { ok: false, detail: problems.join('; ') };
}

async function checkFailoverState(store: Pick<FailoverStateStore, 'read'>) {
  const state = await store.read();
  const reason = whyNotOnConfiguredPair(state);
  if (reason) return { ok: false, detail: reason };
  return { ok: true, detail: state ? `last failover ${state.runId} was aborted before promotion` : 'no failover on record' };
}

/** Replica state and lag come from the same evaluation the orchestrator runs before it promotes. */
async function replicaChecks(ports: SyntheticDrillPorts, settings: SyntheticDrillSettings, measured: DrillMeasurements): Promise<DrillCheck[]> {
  const [replica, lag] = await Promise.allSettled([ports.database.describeReplica(), ports.database.replicationLagSeconds()]);
  const lagSeconds = lag.status === 'fulfilled' ? lag.value : undefined;
  if (lagSeconds !== undefined) measured.replicationLagSeconds = lagSeconds;
  const replicaCheck = guarded('replica-available', async () => {
    if (replica.status === 'rejected') throw replica.reason;
    const { blockers } = evaluatePromotionReadiness({ replica: replica.value, lagSeconds, maxLagSeconds: settings.maxLagSeconds, requireReplicating: true });
    return blockers.length === 0
      ? { ok: true, detail: `replica ${replica.value.status}, replication ${replica.value.replicationState}` }
      : { ok: false, detail: blockers.join('; ') };
  });
  const lagCheck = guarded('replication-lag', async () => {
    if (lag.status === 'rejected') throw lag.reason;
    const readiness = evaluatePromotionReadiness({
      replica: { role: 'replica', status: 'available', available: true }, lagSeconds, maxLagSeconds: settings.maxLagSeconds, requireReplicating: false,
    });
    return { ok: readiness.lagWithinBudget, detail: readiness.lagVerdict };
  });
  return Promise.all([replicaCheck, lagCheck]);
}

async function checkBackups(ports: SyntheticDrillPorts, settings: SyntheticDrillSettings, measured: DrillMeasurements) {
  const backups = await ports.inspection.replicaBackups();
  measured.backupRetentionDays = backups.retentionDays;
  if (backups.retentionDays <= 0) return { ok: false, detail: 'automated backups are off on the replica (retention 0): no PITR after promotion' };
  const hoursSince = (at: Date) => Math.round((ports.now() - at.getTime()) / 360_000) / 10;
  if (!backups.latestAutomatedBackupAt) {
    // A new replica gets its first automated backup within a backup window; until then "none yet" is expected.
    const age = backups.instanceCreatedAt ? hoursSince(backups.instanceCreatedAt) : undefined;
    return age !== undefined && age <= settings.maxBackupAgeHours
      ? { ok: true, detail: `retention ${backups.retentionDays} d; first automated backup pending (replica created ${age} h ago)` }
      : { ok: false, detail: `retention ${backups.retentionDays} d but no automated backup of the replica${age !== undefined ? ` in the ${age} h since it was created` : ''}` };
  }
  const ageHours = hoursSince(backups.latestAutomatedBackupAt);
  measured.backupAgeHours = ageHours;
  return ageHours <= settings.maxBackupAgeHours
    ? { ok: true, detail: `retention ${backups.retentionDays} d, latest automated backup ${ageHours} h ago` }
    : { ok: false, detail: `latest automated backup is ${ageHours} h old (limit ${settings.maxBackupAgeHours} h)` };
}

async function checkFailoverRecords(inspection: DrillInspection, settings: SyntheticDrillSettings) {
  const records = await inspection.failoverRecords();
  const primary = records.find((record) => record.failover === 'PRIMARY');
  const secondary = records.find((record) => record.failover === 'SECONDARY');
  const problems: string[] = [];
  if (!primary) problems.push('PRIMARY failover record missing');
  else if (!primary.healthCheckId) problems.push('PRIMARY failover record has no health check');
  else if (!(await inspection.healthCheckExists(primary.healthCheckId))) problems.push(`health check ${primary.healthCheckId} of the PRIMARY record does not exist`);
  if (!secondary) problems.push('SECONDARY failover record missing');
  else if (secondary.target === undefined || !sameDnsName(secondary.target, settings.replicaEndpoint)) {
    problems.push(`SECONDARY record points at ${secondary.target ?? 'nothing'}, not the DR replica ${settings.replicaEndpoint}`);
  }
  return problems.length === 0
    ? { ok: true, detail: `PRIMARY (health check ${primary?.healthCheckId}) and SECONDARY (${secondary?.target}) present` }
    : { ok: false, detail: problems.join('; ') };
}

async function checkPermissions(inspection: DrillInspection, settings: SyntheticDrillSettings) {
  const verdicts = await inspection.simulateOrchestrator(settings.orchestratorPermissions);
  const denied = settings.orchestratorPermissions.filter((probe) =>
    verdicts.find((verdict) => verdict.action === probe.action && verdict.resource === probe.resource)?.decision !== 'allowed');
  return denied.length === 0
    ? { ok: true, detail: `policy simulation allows ${verdicts.length} key actions: ${settings.orchestratorPermissions.map((probe) => probe.action).join(', ')}` }
    : {
      ok: false,
      detail: `denied in policy simulation: ${denied.map((probe) => {
        const decision = verdicts.find((verdict) => verdict.action === probe.action && verdict.resource === probe.resource)?.decision ?? 'not evaluated';
        return `${probe.action} on ${probe.resource} (${decision})`;
      }).join('; ')}`,
    };
}

async function checkWiring(inspection: DrillInspection, settings: SyntheticDrillSettings) {
  const composite = (await inspection.alarmStates([settings.compositeAlarmName])).find((alarm) => alarm.name === settings.compositeAlarmName);
  const rule = await inspection.failoverRule();
  const problems: string[] = [];
  if (!composite) problems.push(`composite alarm ${settings.compositeAlarmName} missing`);
  if (!rule) problems.push('failover rule missing');
  else {
    if (!rule.enabled) problems.push('failover rule is disabled');
    if (!rule.eventPattern.includes(settings.compositeAlarmName)) problems.push(`failover rule does not match alarm ${settings.compositeAlarmName}`);
    if (!rule.targetArns.includes(settings.orchestratorFunctionArn)) problems.push(`failover rule does not target the orchestrator ${settings.orchestratorFunctionArn}`);
  }
  return problems.length === 0
    ? { ok: true, detail: `${settings.compositeAlarmName} → enabled rule → orchestrator` }
    : { ok: false, detail: problems.join('; ') };
}

/** DNS names compare case-insensitively, with or without the trailing dot. */
export function sameDnsName(a: string, b: string): boolean {
  const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');
  return normal(a) === normal(b);
}

export interface OrchestratorResources {
  readonly primaryInstanceArn: string;
  readonly replicaInstanceArn: string;
  readonly hostedZoneId: string;
  readonly alertTopicArn: string;
  readonly failoverStateTableArn: string;
  readonly metricNamespace: string;
  /** `aws`, `aws-cn`, …: the partition of the hosted zone ARN. */
  readonly partition: string;
}

/**
 * The calls a failover cannot do without, on the resources it makes them on: the "dry run" of the orchestrator's
 * permissions, since RDS and Route53 offer no DryRun flag.
 */
export function orchestratorPermissionProbes(resources: OrchestratorResources): PermissionProbe[] {
  return [
    { action: 'rds:DescribeDBInstances', resource: resources.replicaInstanceArn },
    { action: 'rds:PromoteReadReplica', resource: resources.replicaInstanceArn },
    { action: 'rds:ModifyDBInstance', resource: resources.primaryInstanceArn },
    { action: 'route53:ChangeResourceRecordSets', resource: `arn:${resources.partition}:route53:::hostedzone/${resources.hostedZoneId}` },
    { action: 'sns:Publish', resource: resources.alertTopicArn },
    { action: 'dynamodb:PutItem', resource: resources.failoverStateTableArn },
    { action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': resources.metricNamespace } },
  ];
}
