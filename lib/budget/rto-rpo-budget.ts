/**
 * The RTO/RPO budget (docs/rto-rpo-budget.md, summary in the README), computed only from synthesized CloudFormation
 * templates, so the documented numbers follow the deployed configuration. Every figure names the resource and the
 * property it comes from; figures the templates cannot carry are documented constants below.
 */
import type { DrResourceNames } from '../config/resource-names';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
}
/** Synthesized templates by stack id (e.g. `DRMonitoringStack`). */
export type Templates = Readonly<Record<string, CfnTemplate>>;

/** Physical names that identify the budget's resources in the templates (see `lib/config/resource-names.ts`). */
export interface BudgetResourceNames {
  readonly monitorScheduleRule: string;
  readonly primaryUnreachableAlarm: string;
  /** The composite's control-plane evidence: either one completes it (with the primary unreachable). */
  readonly primaryApiUnreachableAlarm: string;
  readonly primaryFailedStateAlarm: string;
  readonly primaryRegionFailedAlarm: string;
  /** PRIMARY writer record healthy while this alarm is OK. */
  readonly failedOverAlarm: string;
  /** SECONDARY writer record healthy while this alarm is OK (only after a failover). */
  readonly notFailedOverAlarm: string;
  readonly replicationLagAlarm: string;
  readonly failoverTriggerRule: string;
  readonly orchestratorFunction: string;
  /** Primary-region function that renews the write lease (failoverMode automatic). */
  readonly leaseKeeperFunction: string;
  readonly writerRecordName: string;
}

export interface BudgetComponent {
  readonly phase: string;
  /** Where the figure comes from: `stack · resource · property`, or the documented assumption. */
  readonly source: string;
  readonly formula: string;
  readonly seconds: number;
}

export interface RtoRpoBudget {
  readonly rto: {
    readonly components: readonly BudgetComponent[];
    readonly worstCaseSeconds: number;
    /** Worst case from the failure to the orchestrator's lag check (end of its primary re-verification). */
    readonly secondsUntilLagCheck: number;
    /**
     * Worst-case age at that check of the last lag measured while the primary was reachable (one probe
     * interval before the failure at most): it must be inside the orchestrator's look-back.
     */
    readonly lagMeasurementAgeAtCheckSeconds: number;
    /** How far back the orchestrator reads the lag (its env `LAG_LOOKBACK_SECONDS`), and where that comes from. */
    readonly lagLookback: { readonly seconds: number; readonly source: string };
    readonly targetSeconds: number;
    readonly marginSeconds: number;
  };
  readonly rpo: {
    readonly components: readonly BudgetComponent[];
    readonly worstCaseSeconds: number;
    readonly earlyWarning: BudgetComponent;
    readonly targetSeconds: number;
    readonly marginSeconds: number;
  };
}

/** The business's targets: RPO < 1 h, RTO < 4 h. */
export const BUSINESS_TARGETS = { rpoSeconds: 3_600, rtoSeconds: 14_400 } as const;

/**
 * Figures that live outside the templates. Each is an assumption docs/rto-rpo-budget.md states next to its number.
 */
export const DOCUMENTED_CONSTANTS = {
  /**
   * CloudWatch evaluates standard-resolution metric alarms about once a minute; budgeted as one more
   * minute after the last breaching period closes.
   */
  metricAlarmEvaluationSeconds: 60,
  /** A composite alarm is re-evaluated when one of its child alarms changes state; budgeted as one minute. */
  compositeAlarmEvaluationSeconds: 60,
  /** CloudWatch sends every alarm state change to EventBridge; delivery to the Lambda target budgeted as one minute. */
  eventBridgeDeliverySeconds: 60,
  /**
   * Route53 health checks of type CLOUDWATCH_METRIC follow the state of their alarm, and CALCULATED checks
   * follow their children (docs: "How Amazon Route 53 determines whether a health check is healthy",
   * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html);
   * the docs give no figure, so one minute is budgeted.
   */
  route53HealthCheckReactionSeconds: 60,
} as const;

/** AWS on PromoteReadReplica duration (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html). */
export const RDS_PROMOTION_NOTE = 'AWS: "The promotion process can take several minutes or longer to complete, depending on the size of the read replica."';

interface Located {
  readonly stack: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly label: string;
}

/** THROWS unless exactly one resource of `type` has `nameProperty` equal to `name` across all templates. */
function findByName(templates: Templates, type: string, nameProperty: string, name: string): Located {
  const found: Located[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === type && resource.Properties?.[nameProperty] === name) {
        found.push({ stack, logicalId, resource, label: `${stack} · ${type.replace(/^AWS::/, '')} ${name}` });
      }
    }
  }
  if (found.length !== 1) {
    throw new Error(`RTO/RPO budget: expected exactly one ${type} with ${nameProperty} "${name}", found ${found.length}`
      + (found.length ? ` (${found.map((f) => `${f.stack}/${f.logicalId}`).join(', ')})` : ''));
  }
  return found[0];
}

function numberProperty(located: Located, property: string): number {
  const raw = located.resource.Properties?.[property];
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`RTO/RPO budget: ${located.stack}/${located.logicalId} has no numeric ${property} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** `rate(N unit)` of an EventBridge schedule, in seconds. */
export function scheduleRateSeconds(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) throw new Error(`RTO/RPO budget: unsupported schedule expression "${expression}" (expected rate(N minutes|hours|days))`);
  const unitSeconds = { minute: 60, hour: 3_600, day: 86_400 }[match[2].replace(/s$/, '') as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * unitSeconds;
}

interface MetricAlarm { readonly located: Located; readonly period: number; readonly datapoints: number; readonly seconds: number; readonly formula: string }

/** Time a persistently breaching metric needs to put the alarm in ALARM: DatapointsToAlarm (default EvaluationPeriods) × Period. */
function metricAlarm(templates: Templates, name: string): MetricAlarm {
  const located = findByName(templates, 'AWS::CloudWatch::Alarm', 'AlarmName', name);
  const period = numberProperty(located, 'Period');
  const evaluationPeriods = numberProperty(located, 'EvaluationPeriods');
  const datapoints = located.resource.Properties?.DatapointsToAlarm === undefined ? evaluationPeriods : numberProperty(located, 'DatapointsToAlarm');
  return { located, period, datapoints, seconds: datapoints * period, formula: `${datapoints} of ${evaluationPeriods} × ${period} s` };
}

function lambdaEnvironment(located: Located): Record<string, unknown> {
  const environment = located.resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

function envNumber(located: Located, variable: string): number {
  const raw = lambdaEnvironment(located)[variable];
  const value = typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new Error(`RTO/RPO budget: ${located.stack}/${located.logicalId} has no numeric environment variable ${variable} (got ${JSON.stringify(raw)})`);
  return value;
}

/** The logical ids an intrinsic value refers to through `Fn::GetAtt` / `Ref`, at any depth. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record['Fn::GetAtt'])) return [String(record['Fn::GetAtt'][0])];
    if (typeof record.Ref === 'string') return [record.Ref];
    return Object.values(record).flatMap(referencedIds);
  }
  return [];
}

/** THROWS unless the writer record's health check (directly or through CALCULATED parents) follows `alarmName`. */
function healthCheckFollowingAlarm(templates: Templates, record: Located, alarmName: string): Located {
  const resources = templates[record.stack].Resources ?? {};
  const pending = referencedIds(record.resource.Properties?.HealthCheckId);
  const seen = new Set<string>();
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const check = resources[id];
    if (check?.Type !== 'AWS::Route53::HealthCheck') continue;
    const config = check.Properties?.HealthCheckConfig as { Type?: string; AlarmIdentifier?: { Name?: string }; ChildHealthChecks?: unknown } | undefined;
    if (config?.Type === 'CLOUDWATCH_METRIC' && config.AlarmIdentifier?.Name === alarmName) {
      return { stack: record.stack, logicalId: id, resource: check, label: `${record.stack} · Route53::HealthCheck on ${alarmName}` };
    }
    if (config?.Type === 'CALCULATED') pending.push(...referencedIds(config.ChildHealthChecks));
  }
  throw new Error(`RTO/RPO budget: the ${String(record.resource.Properties?.Failover)} record ${record.logicalId} has no CLOUDWATCH_METRIC health check on alarm "${alarmName}"`);
}

function writerRecord(templates: Templates, name: string, failover: 'PRIMARY' | 'SECONDARY'): Located {
  const matches = Object.entries(templates).flatMap(([stack, template]) => Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::Route53::RecordSet' && r.Properties?.Name === name && r.Properties?.Failover === failover)
    .map(([logicalId, resource]) => ({ stack, logicalId, resource, label: `${stack} · Route53::RecordSet ${name} (${failover})` })));
  if (matches.length !== 1) throw new Error(`RTO/RPO budget: expected exactly one ${failover} AWS::Route53::RecordSet named "${name}", found ${matches.length}`);
  return matches[0];
}

/** THROWS unless the composite alarm's rule requires ALARM of each given child alarm. */
function requireCompositeChildren(composite: Located, children: readonly Located[]): void {
  const rule = JSON.stringify(composite.resource.Properties?.AlarmRule ?? '');
  const ruleIds = new Set(referencedIds(composite.resource.Properties?.AlarmRule));
  for (const child of children) {
    const name = String(child.resource.Properties?.AlarmName);
    if (!ruleIds.has(child.logicalId) && !rule.includes(name)) {
      throw new Error(`RTO/RPO budget: composite alarm ${composite.logicalId} does not reference alarm "${name}"`);
    }
  }
}

/** THROWS when a budgeted resource is missing or inconsistent; every figure names its source. */
export function computeRtoRpoBudget(templates: Templates, names: BudgetResourceNames): RtoRpoBudget {
  const constants = DOCUMENTED_CONSTANTS;
  const schedule = findByName(templates, 'AWS::Events::Rule', 'Name', names.monitorScheduleRule);
  const scheduleSeconds = scheduleRateSeconds(String(schedule.resource.Properties?.ScheduleExpression));
  const unreachable = metricAlarm(templates, names.primaryUnreachableAlarm);
  const apiUnreachable = metricAlarm(templates, names.primaryApiUnreachableAlarm);
  const failedState = metricAlarm(templates, names.primaryFailedStateAlarm);
  const composite = findByName(templates, 'AWS::CloudWatch::CompositeAlarm', 'AlarmName', names.primaryRegionFailedAlarm);
  requireCompositeChildren(composite, [unreachable.located, apiUnreachable.located, failedState.located]);
  findByName(templates, 'AWS::Events::Rule', 'Name', names.failoverTriggerRule);
  const orchestrator = findByName(templates, 'AWS::Lambda::Function', 'FunctionName', names.orchestratorFunction);
  const failoverMode = lambdaEnvironment(orchestrator).FAILOVER_MODE;
  if (failoverMode !== 'automatic') {
    throw new Error(`RTO/RPO budget: ${orchestrator.label} has FAILOVER_MODE ${JSON.stringify(failoverMode)}: only "automatic" has a bounded RTO `
      + '(manual-confirm waits for an operator, which no template bounds)');
  }
  const keeper = findByName(templates, 'AWS::Lambda::Function', 'FunctionName', names.leaseKeeperFunction);
  const leaseTtl = envNumber(keeper, 'LEASE_TTL_SECONDS');
  const takeoverMargin = envNumber(orchestrator, 'LEASE_TAKEOVER_MARGIN_SECONDS');
  const lambdaTimeout = numberProperty(orchestrator, 'Timeout');
  const promotionTimeout = envNumber(orchestrator, 'PROMOTION_TIMEOUT_SECONDS');
  const maxPromotionLag = envNumber(orchestrator, 'MAX_PROMOTION_LAG_SECONDS');
  const probeInterval = envNumber(orchestrator, 'PROBE_INTERVAL_SECONDS');
  const lagLookbackSeconds = envNumber(orchestrator, 'LAG_LOOKBACK_SECONDS');
  if (probeInterval !== scheduleSeconds) {
    throw new Error(`RTO/RPO budget: the orchestrator's PROBE_INTERVAL_SECONDS (${probeInterval} s) differs from the monitor schedule ${schedule.label} (${scheduleSeconds} s)`);
  }
  const probe = {
    attempts: envNumber(orchestrator, 'PRIMARY_PROBE_ATTEMPTS'),
    timeoutMs: envNumber(orchestrator, 'PRIMARY_PROBE_TIMEOUT_MS'),
    intervalMs: envNumber(orchestrator, 'PRIMARY_PROBE_INTERVAL_MS'),
  };
  const failedOver = metricAlarm(templates, names.failedOverAlarm);
  const notFailedOver = metricAlarm(templates, names.notFailedOverAlarm);
  const primaryRecord = writerRecord(templates, names.writerRecordName, 'PRIMARY');
  const secondaryRecord = writerRecord(templates, names.writerRecordName, 'SECONDARY');
  const failedOverCheck = healthCheckFollowingAlarm(templates, primaryRecord, names.failedOverAlarm);
  const notFailedOverCheck = healthCheckFollowingAlarm(templates, secondaryRecord, names.notFailedOverAlarm);
  const lagAlarm = metricAlarm(templates, names.replicationLagAlarm);

  const reverifySeconds = (probe.attempts * probe.timeoutMs + (probe.attempts - 1) * probe.intervalMs) / 1000;
  const orchestratorOtherSeconds = lambdaTimeout - reverifySeconds - promotionTimeout;
  if (orchestratorOtherSeconds < 0) {
    throw new Error(`RTO/RPO budget: re-verification (${reverifySeconds} s) + PROMOTION_TIMEOUT_SECONDS (${promotionTimeout} s) exceed the orchestrator's Lambda Timeout (${lambdaTimeout} s)`);
  }
  // Detection needs the primary unreachable AND one of two pieces of control-plane evidence; either may be the only
  // one there is (a regional outage silences the API, an instance failure reports a failed state): the slowest counts.
  const detectionAlarms = [unreachable, apiUnreachable, failedState];
  const slowestDetection = detectionAlarms.reduce((slowest, candidate) => (candidate.seconds > slowest.seconds ? candidate : slowest));
  const switchAlarms = [failedOver, notFailedOver];
  const slowerSwitch = switchAlarms.reduce((slower, candidate) => (candidate.seconds > slower.seconds ? candidate : slower));
  const ttls = [primaryRecord, secondaryRecord].map((record) => numberProperty(record, 'TTL'));
  const ttl = Math.max(...ttls);

  // Rows 1–6: from the failure to the end of the orchestrator's re-verification, where it checks the lag.
  const untilLagCheck: BudgetComponent[] = [
    {
      phase: 'Last healthy probe period (its Maximum is still 1)',
      source: `${schedule.label} · ScheduleExpression; alarm Period`,
      formula: `max(${scheduleSeconds} s, ${Math.max(...detectionAlarms.map((candidate) => candidate.period))} s)`,
      seconds: Math.max(scheduleSeconds, ...detectionAlarms.map((candidate) => candidate.period)),
    },
    {
      phase: 'Primary unreachable AND (its RDS API silent OR a failed state): sustained breach (in parallel; either piece of evidence may be the only one, so the slowest counts)',
      source: `${detectionAlarms.map((candidate) => candidate.located.label).join(', ')} · DatapointsToAlarm × Period`,
      formula: `max(${detectionAlarms.map((candidate) => candidate.formula).join(', ')})`,
      seconds: slowestDetection.seconds,
    },
    { phase: 'Metric alarm evaluation', source: 'assumption (CloudWatch evaluates alarms every minute)', formula: 'constant', seconds: constants.metricAlarmEvaluationSeconds },
    { phase: 'Composite "primary region failed" evaluation', source: `${composite.label} · AlarmRule; assumption`, formula: 'constant', seconds: constants.compositeAlarmEvaluationSeconds },
    { phase: 'EventBridge delivery to the orchestrator', source: `rule ${names.failoverTriggerRule}; assumption`, formula: 'constant', seconds: constants.eventBridgeDeliverySeconds },
    {
      phase: 'Orchestrator re-verifies the primary is down',
      source: `${orchestrator.label} · env PRIMARY_PROBE_ATTEMPTS, PRIMARY_PROBE_TIMEOUT_MS, PRIMARY_PROBE_INTERVAL_MS`,
      formula: `${probe.attempts} × ${probe.timeoutMs / 1000} s + ${probe.attempts - 1} × ${probe.intervalMs / 1000} s`,
      seconds: reverifySeconds,
    },
  ];
  const secondsUntilLagCheck = sum(untilLagCheck);
  // The primary's last renewal is at worst the moment of the failure, so the DR side may take the lease TTL + margin
  // later. That wait runs in parallel with detection: only what is left of it at the orchestrator's check counts.
  const leaseTakeover = leaseTtl + takeoverMargin;
  const rtoComponents: BudgetComponent[] = [
    ...untilLagCheck,
    {
      phase: 'Write lease: the DR side may take it TTL + takeover margin after the primary\'s last renewal (at worst the failure); runs in parallel with rows 1–6, only the rest counts',
      source: `${keeper.label} · env LEASE_TTL_SECONDS; ${orchestrator.label} · env LEASE_TAKEOVER_MARGIN_SECONDS`,
      formula: `max(0, ${leaseTtl} s + ${takeoverMargin} s − ${secondsUntilLagCheck} s)`,
      seconds: Math.max(0, leaseTakeover - secondsUntilLagCheck),
    },
    {
      phase: 'Promotion until the DR database is an available writer',
      source: `${orchestrator.label} · env PROMOTION_TIMEOUT_SECONDS`,
      formula: 'bound (RDS documents "several minutes or longer")',
      seconds: promotionTimeout,
    },
    {
      phase: 'Rest of the orchestrator run (cold start, checks, lock, lease write, retries, FailedOver=1)',
      source: `${orchestrator.label} · Timeout`,
      formula: `${lambdaTimeout} s − ${reverifySeconds} s − ${promotionTimeout} s`,
      seconds: orchestratorOtherSeconds,
    },
    {
      phase: 'Failed-over and not-failed-over alarms flip on FailedOver=1 (PRIMARY unhealthy, SECONDARY healthy; in parallel, slower counts)',
      source: `${failedOver.located.label}, ${notFailedOver.located.label} · DatapointsToAlarm × Period; + evaluation`,
      formula: `max(${switchAlarms.map((candidate) => candidate.formula).join(', ')}) + ${constants.metricAlarmEvaluationSeconds} s`,
      seconds: slowerSwitch.seconds + constants.metricAlarmEvaluationSeconds,
    },
    {
      phase: 'Route53 health checks follow the alarms',
      source: `${failedOverCheck.label}, ${notFailedOverCheck.label}; assumption`,
      formula: 'constant',
      seconds: constants.route53HealthCheckReactionSeconds,
    },
    { phase: 'Clients drop the cached writer CNAME', source: `${primaryRecord.label.replace(/ \(PRIMARY\)$/, '')} · TTL`, formula: `max TTL of ${ttls.length} records`, seconds: ttl },
  ];
  const worstCaseRto = sum(rtoComponents);

  const rpoComponents: BudgetComponent[] = [
    {
      phase: 'Lag at the primary\'s failure above which the orchestrator refuses to promote (unless forced): the last lag measured while the primary was reachable + one probe interval',
      source: `${orchestrator.label} · env MAX_PROMOTION_LAG_SECONDS`,
      formula: 'refusal threshold',
      seconds: maxPromotionLag,
    },
    {
      phase: 'Commits after the newest measurement when the decision comes before the monitor has seen the failure (the primary may die up to one probe interval after it)',
      source: `${orchestrator.label} · env PROBE_INTERVAL_SECONDS`,
      formula: 'one probe interval',
      seconds: probeInterval,
    },
  ];
  const worstCaseRpo = sum(rpoComponents);
  return {
    rto: {
      components: rtoComponents,
      worstCaseSeconds: worstCaseRto,
      secondsUntilLagCheck,
      lagMeasurementAgeAtCheckSeconds: secondsUntilLagCheck + probeInterval,
      lagLookback: { seconds: lagLookbackSeconds, source: `${orchestrator.label} · env LAG_LOOKBACK_SECONDS` },
      targetSeconds: BUSINESS_TARGETS.rtoSeconds,
      marginSeconds: BUSINESS_TARGETS.rtoSeconds - worstCaseRto,
    },
    rpo: {
      components: rpoComponents,
      worstCaseSeconds: worstCaseRpo,
      earlyWarning: {
        phase: 'Replication-lag alarm (SNS early warning)',
        source: `${lagAlarm.located.label} · Threshold; DatapointsToAlarm × Period`,
        formula: `lag > ${numberProperty(lagAlarm.located, 'Threshold')} s for ${lagAlarm.formula}`,
        seconds: numberProperty(lagAlarm.located, 'Threshold'),
      },
      targetSeconds: BUSINESS_TARGETS.rpoSeconds,
      marginSeconds: BUSINESS_TARGETS.rpoSeconds - worstCaseRpo,
    },
  };
}

function sum(components: readonly BudgetComponent[]): number {
  return components.reduce((total, component) => total + component.seconds, 0);
}

/** The budget's resource names as the estate names them. */
export function budgetResourceNames(names: DrResourceNames): BudgetResourceNames {
  return {
    monitorScheduleRule: `${names.replicationMonitorFunction}-schedule`,
    primaryUnreachableAlarm: names.alarms.primaryUnreachable,
    primaryApiUnreachableAlarm: names.alarms.primaryApiUnreachable,
    primaryFailedStateAlarm: names.alarms.primaryFailedState,
    primaryRegionFailedAlarm: names.alarms.primaryRegionFailed,
    failedOverAlarm: names.alarms.failedOver,
    notFailedOverAlarm: names.alarms.notFailedOver,
    replicationLagAlarm: names.alarms.replicationLag,
    failoverTriggerRule: names.failoverTriggerRule,
    orchestratorFunction: names.failoverOrchestratorFunction,
    leaseKeeperFunction: names.leaseKeeperFunction,
    writerRecordName: names.writerRecordName,
  };
}
