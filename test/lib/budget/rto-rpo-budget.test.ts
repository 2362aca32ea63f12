import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReadmeBlock, renderBudgetMarkdown, replaceReadmeBlock, README_BLOCK_END, README_BLOCK_START } from '../../../lib/budget/render-budget';
import {
  BUSINESS_TARGETS, computeRtoRpoBudget, scheduleRateSeconds, type BudgetResourceNames, type CfnTemplate, type RtoRpoBudget,
} from '../../../lib/budget/rto-rpo-budget';
import { budgetOf } from '../../../lib/budget/synthesized-budget';
import { loadConfig } from '../../../lib/config/dr-config';
import { BUDGET_BLOCK, BUDGET_SUMMARY_BLOCK, budgetSummary, readBlockFromFile } from '../../../scripts/doc-blocks';

const NAMES: BudgetResourceNames = {
  monitorScheduleRule: 'monitor-schedule',
  primaryUnreachableAlarm: 'primary-unreachable',
  primaryApiUnreachableAlarm: 'primary-api-unreachable',
  primaryFailedStateAlarm: 'primary-failed-state',
  primaryRegionFailedAlarm: 'primary-region-failed',
  failedOverAlarm: 'failed-over',
  notFailedOverAlarm: 'not-failed-over',
  replicationLagAlarm: 'replication-lag',
  failoverTriggerRule: 'orchestrator-trigger',
  orchestratorFunction: 'orchestrator',
  leaseKeeperFunction: 'keeper',
  writerRecordName: 'writer.db.internal',
};

const alarm = (name: string, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: { AlarmName: name, Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 1, ...extra },
});

const ORCHESTRATOR_ENV = {
  PROMOTION_TIMEOUT_SECONDS: '780', MAX_PROMOTION_LAG_SECONDS: '300', PROBE_INTERVAL_SECONDS: '60', LAG_LOOKBACK_SECONDS: '600',
  PRIMARY_PROBE_ATTEMPTS: '3', PRIMARY_PROBE_TIMEOUT_MS: '5000', PRIMARY_PROBE_INTERVAL_MS: '5000',
  FAILOVER_MODE: 'automatic', LEASE_TAKEOVER_MARGIN_SECONDS: '30',
};
const KEEPER_ENV = { LEASE_TTL_SECONDS: '45', LEASE_RENEW_INTERVAL_SECONDS: '10', LEASE_FENCE_BUDGET_SECONDS: '15' };

/** A minimal estate: primary stack (lease keeper) + monitoring stack + DNS stack + orchestration stack, every figure round. */
function templates(): Record<'Primary' | 'Monitoring' | 'Dns' | 'Orchestration', CfnTemplate & { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }> {
  return {
    Primary: {
      Resources: {
        Keeper: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'keeper', Timeout: 100, Environment: { Variables: { ...KEEPER_ENV } } } },
      },
    },
    Monitoring: {
      Resources: {
        Schedule: { Type: 'AWS::Events::Rule', Properties: { Name: 'monitor-schedule', ScheduleExpression: 'rate(1 minute)' } },
        Unreachable: alarm('primary-unreachable'),
        ApiUnreachable: alarm('primary-api-unreachable'),
        FailedState: alarm('primary-failed-state'),
        FailedOver: alarm('failed-over', { EvaluationPeriods: 1, DatapointsToAlarm: undefined }),
        NotFailedOver: alarm('not-failed-over', { EvaluationPeriods: 1, DatapointsToAlarm: undefined }),
        Lag: alarm('replication-lag', { EvaluationPeriods: 1, DatapointsToAlarm: undefined, Threshold: 300 }),
        Composite: {
          Type: 'AWS::CloudWatch::CompositeAlarm',
          Properties: {
            AlarmName: 'primary-region-failed',
            AlarmRule: { 'Fn::Join': ['', [
              'ALARM("', { 'Fn::GetAtt': ['Unreachable', 'Arn'] }, '") AND (ALARM("', { 'Fn::GetAtt': ['ApiUnreachable', 'Arn'] },
              '") OR ALARM("', { 'Fn::GetAtt': ['FailedState', 'Arn'] }, '"))',
            ]] },
          },
        },
      },
    },
    Dns: {
      Resources: {
        FailedOverCheck: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'failed-over' } } } },
        NotFailedOverCheck: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'not-failed-over' } } } },
        // A CALCULATED parent is followed to its children.
        SecondaryHealth: { Type: 'AWS::Route53::HealthCheck', Properties: { HealthCheckConfig: { Type: 'CALCULATED', ChildHealthChecks: [{ 'Fn::GetAtt': ['NotFailedOverCheck', 'HealthCheckId'] }] } } },
        Primary: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'writer.db.internal', Failover: 'PRIMARY', TTL: '30', HealthCheckId: { 'Fn::GetAtt': ['FailedOverCheck', 'HealthCheckId'] } } },
        Secondary: { Type: 'AWS::Route53::RecordSet', Properties: { Name: 'writer.db.internal', Failover: 'SECONDARY', TTL: '30', HealthCheckId: { 'Fn::GetAtt': ['SecondaryHealth', 'HealthCheckId'] } } },
      },
    },
    Orchestration: {
      Resources: {
        Trigger: { Type: 'AWS::Events::Rule', Properties: { Name: 'orchestrator-trigger' } },
        Orchestrator: {
          Type: 'AWS::Lambda::Function',
          Properties: { FunctionName: 'orchestrator', Timeout: 900, Environment: { Variables: { ...ORCHESTRATOR_ENV } } },
        },
      },
    },
  };
}

const phaseSeconds = (budget: RtoRpoBudget, phaseStart: string) => {
  const found = budget.rto.components.find((component) => component.phase.startsWith(phaseStart));
  if (!found) throw new Error(`no phase ${phaseStart}`);
  return found.seconds;
};

describe('computeRtoRpoBudget on hand-written templates', () => {
  test('worst case adds detection, delivery, orchestrator, lease (hidden behind detection), failed-over alarms, Route53 and TTL', () => {
    const budget = computeRtoRpoBudget(templates(), NAMES);
    expect(budget.rto.components.map((component) => component.seconds)).toEqual([60, 180, 60, 60, 60, 25, 0, 780, 95, 120, 60, 30]);
    expect(budget.rto.worstCaseSeconds).toBe(1530);
    expect(budget.rto.secondsUntilLagCheck).toBe(60 + 180 + 60 + 60 + 60 + 25);
    expect(budget.rto.lagMeasurementAgeAtCheckSeconds).toBe(445 + 60);
    expect(budget.rto.marginSeconds).toBe(BUSINESS_TARGETS.rtoSeconds - 1530);
    expect(budget.rpo.worstCaseSeconds).toBe(300 + 60);
    expect(budget.rpo.earlyWarning.seconds).toBe(300);
    expect(budget.rpo.marginSeconds).toBe(3_600 - 360);
  });

  test('detection follows the slowest of the three alarms (EvaluationPeriods without DatapointsToAlarm, or DatapointsToAlarm): either OR branch may be the only evidence', () => {
    const changed = templates();
    changed.Monitoring.Resources.FailedState.Properties = { ...changed.Monitoring.Resources.FailedState.Properties, EvaluationPeriods: 5, DatapointsToAlarm: undefined };
    const budget = computeRtoRpoBudget(changed, NAMES);
    expect(phaseSeconds(budget, 'Primary unreachable AND (its RDS API silent OR a failed state)')).toBe(300);
    expect(budget.rto.worstCaseSeconds).toBe(1530 + 120);

    changed.Monitoring.Resources.ApiUnreachable.Properties = { ...changed.Monitoring.Resources.ApiUnreachable.Properties, EvaluationPeriods: 10, DatapointsToAlarm: 7 };
    expect(phaseSeconds(computeRtoRpoBudget(changed, NAMES), 'Primary unreachable AND')).toBe(420);
    changed.Monitoring.Resources.Unreachable.Properties = { ...changed.Monitoring.Resources.Unreachable.Properties, EvaluationPeriods: 10, DatapointsToAlarm: 8 };
    expect(phaseSeconds(computeRtoRpoBudget(changed, NAMES), 'Primary unreachable AND')).toBe(480);
  });

  test('the write lease counts only beyond the orchestrator\'s check: TTL (keeper) + takeover margin (orchestrator) − rows 1–6', () => {
    const changed = templates();
    changed.Primary.Resources.Keeper.Properties.Environment = { Variables: { ...KEEPER_ENV, LEASE_TTL_SECONDS: '400' } };
    changed.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, LEASE_TAKEOVER_MARGIN_SECONDS: '100' } };
    const budget = computeRtoRpoBudget(changed, NAMES);
    const lease = budget.rto.components.find((component) => component.phase.startsWith('Write lease'))!;
    expect(lease).toMatchObject({
      seconds: 400 + 100 - 445, formula: 'max(0, 400 s + 100 s − 445 s)',
      source: 'Primary · Lambda::Function keeper · env LEASE_TTL_SECONDS; Orchestration · Lambda::Function orchestrator · env LEASE_TAKEOVER_MARGIN_SECONDS',
    });
    expect(budget.rto.worstCaseSeconds).toBe(1530 + 55);
    // The lease wait comes after the lag check, which stays where it was.
    expect(budget.rto.secondsUntilLagCheck).toBe(445);
  });

  test('a manual-confirm estate has no bounded RTO', () => {
    const manual = templates();
    manual.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, FAILOVER_MODE: 'manual-confirm' } };
    delete (manual.Primary.Resources as Record<string, unknown>).Keeper;
    expect(() => computeRtoRpoBudget(manual, NAMES)).toThrow('has FAILOVER_MODE "manual-confirm": only "automatic" has a bounded RTO');

    const withoutKeeper = templates();
    delete (withoutKeeper.Primary.Resources as Record<string, unknown>).Keeper;
    expect(() => computeRtoRpoBudget(withoutKeeper, NAMES)).toThrow('expected exactly one AWS::Lambda::Function with FunctionName "keeper", found 0');
  });

  test('the writer switch follows the slower of the failed-over and not-failed-over alarms', () => {
    const changed = templates();
    changed.Monitoring.Resources.NotFailedOver.Properties = { ...changed.Monitoring.Resources.NotFailedOver.Properties, EvaluationPeriods: 2, DatapointsToAlarm: 2 };
    expect(phaseSeconds(computeRtoRpoBudget(changed, NAMES), 'Failed-over and not-failed-over alarms')).toBe(120 + 60);
  });

  test('the longest TTL of the writer records counts', () => {
    const changed = templates();
    changed.Dns.Resources.Secondary.Properties.TTL = '90';
    expect(computeRtoRpoBudget(changed, NAMES).rto.worstCaseSeconds).toBe(1530 + 60);
  });

  test('orchestrator rows come from the function: promotion timeout and Lambda timeout', () => {
    const changed = templates();
    changed.Orchestration.Resources.Orchestrator.Properties = {
      FunctionName: 'orchestrator', Timeout: 600,
      Environment: { Variables: { ...ORCHESTRATOR_ENV, PROMOTION_TIMEOUT_SECONDS: '500', MAX_PROMOTION_LAG_SECONDS: '120', PRIMARY_PROBE_ATTEMPTS: '2', PRIMARY_PROBE_TIMEOUT_MS: '4000', PRIMARY_PROBE_INTERVAL_MS: '1000' } },
    };
    const budget = computeRtoRpoBudget(changed, NAMES);
    expect(phaseSeconds(budget, 'Orchestrator re-verifies')).toBe(2 * 4 + 1);
    expect(phaseSeconds(budget, 'Promotion')).toBe(500);
    expect(phaseSeconds(budget, 'Rest of the orchestrator run')).toBe(600 - 9 - 500);
    expect(budget.rpo.worstCaseSeconds).toBe(120 + 60);
  });

  test('RPO: lag limit + the probe interval from the orchestrator, which must match the monitor schedule', () => {
    const changed = templates();
    changed.Monitoring.Resources.Schedule.Properties.ScheduleExpression = 'rate(5 minutes)';
    changed.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, PROBE_INTERVAL_SECONDS: '300' } };
    const budget = computeRtoRpoBudget(changed, NAMES);
    expect(budget.rpo.components.map((component) => [component.source, component.seconds])).toEqual([
      ['Orchestration · Lambda::Function orchestrator · env MAX_PROMOTION_LAG_SECONDS', 300],
      ['Orchestration · Lambda::Function orchestrator · env PROBE_INTERVAL_SECONDS', 300],
    ]);
    expect(budget.rpo.worstCaseSeconds).toBe(600);

    changed.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, PROBE_INTERVAL_SECONDS: '60' } };
    expect(() => computeRtoRpoBudget(changed, NAMES))
      .toThrow('the orchestrator\'s PROBE_INTERVAL_SECONDS (60 s) differs from the monitor schedule Monitoring · Events::Rule monitor-schedule (300 s)');
  });

  test('missing or inconsistent resources fail with a message naming them', () => {
    const withoutAlarm = templates();
    delete (withoutAlarm.Monitoring.Resources as Record<string, unknown>).FailedState;
    expect(() => computeRtoRpoBudget(withoutAlarm, NAMES))
      .toThrow('expected exactly one AWS::CloudWatch::Alarm with AlarmName "primary-failed-state", found 0');

    const withoutEnv = templates();
    withoutEnv.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, MAX_PROMOTION_LAG_SECONDS: undefined } };
    expect(() => computeRtoRpoBudget(withoutEnv, NAMES)).toThrow('has no numeric environment variable MAX_PROMOTION_LAG_SECONDS');
    withoutEnv.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, PRIMARY_PROBE_TIMEOUT_MS: undefined } };
    expect(() => computeRtoRpoBudget(withoutEnv, NAMES)).toThrow('has no numeric environment variable PRIMARY_PROBE_TIMEOUT_MS');

    const unrelatedHealthCheck = templates();
    unrelatedHealthCheck.Dns.Resources.FailedOverCheck.Properties = { HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'something-else' } } };
    expect(() => computeRtoRpoBudget(unrelatedHealthCheck, NAMES)).toThrow('the PRIMARY record Primary has no CLOUDWATCH_METRIC health check on alarm "failed-over"');
    const secondaryWithoutCheck = templates();
    delete secondaryWithoutCheck.Dns.Resources.Secondary.Properties.HealthCheckId;
    expect(() => computeRtoRpoBudget(secondaryWithoutCheck, NAMES)).toThrow('the SECONDARY record Secondary has no CLOUDWATCH_METRIC health check on alarm "not-failed-over"');

    const compositeWithoutChild = templates();
    compositeWithoutChild.Monitoring.Resources.Composite.Properties.AlarmRule = {
      'Fn::Join': ['', ['ALARM("', { 'Fn::GetAtt': ['Unreachable', 'Arn'] }, '") AND ALARM("', { 'Fn::GetAtt': ['ApiUnreachable', 'Arn'] }, '")']],
    };
    expect(() => computeRtoRpoBudget(compositeWithoutChild, NAMES)).toThrow('does not reference alarm "primary-failed-state"');

    const tooShortLambda = templates();
    tooShortLambda.Orchestration.Resources.Orchestrator.Properties.Timeout = 700;
    expect(() => computeRtoRpoBudget(tooShortLambda, NAMES)).toThrow('exceed the orchestrator\'s Lambda Timeout (700 s)');
  });

  test('schedule rates in minutes, hours and days; anything else is refused', () => {
    expect(scheduleRateSeconds('rate(1 minute)')).toBe(60);
    expect(scheduleRateSeconds('rate(5 minutes)')).toBe(300);
    expect(scheduleRateSeconds('rate(2 hours)')).toBe(7_200);
    expect(scheduleRateSeconds('rate(1 day)')).toBe(86_400);
    expect(() => scheduleRateSeconds('cron(0 * * * ? *)')).toThrow('unsupported schedule expression');
  });
});

describe('generated budget block', () => {
  test('the text says when the last reachable lag measurement is older than the orchestrator\'s look-back at the check', () => {
    expect(renderBudgetMarkdown(computeRtoRpoBudget(templates(), NAMES))).toContain('at worst 505 s old at the check, inside the orchestrator\'s 600 s look-back.');
    const slow = templates();
    slow.Monitoring.Resources.Schedule.Properties.ScheduleExpression = 'rate(5 minutes)';
    slow.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, PROBE_INTERVAL_SECONDS: '300' } };
    expect(renderBudgetMarkdown(computeRtoRpoBudget(slow, NAMES)))
      .toContain('at worst 985 s old at the check, **outside the orchestrator\'s 600 s look-back**: the lag is then unknown');
  });

  test('the look-back is the orchestrator\'s LAG_LOOKBACK_SECONDS, named as the source; without it the budget fails', () => {
    const short = templates();
    short.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, LAG_LOOKBACK_SECONDS: '480' } };
    const budget = computeRtoRpoBudget(short, NAMES);
    expect(budget.rto.lagLookback).toEqual({ seconds: 480, source: 'Orchestration · Lambda::Function orchestrator · env LAG_LOOKBACK_SECONDS' });
    expect(renderBudgetMarkdown(budget)).toContain('at worst 505 s old at the check, **outside the orchestrator\'s 480 s look-back**: the lag is then unknown');

    short.Orchestration.Resources.Orchestrator.Properties.Environment = { Variables: { ...ORCHESTRATOR_ENV, LAG_LOOKBACK_SECONDS: undefined } };
    expect(() => computeRtoRpoBudget(short, NAMES)).toThrow('has no numeric environment variable LAG_LOOKBACK_SECONDS');
  });

  test('replaceReadmeBlock changes only the text between the markers and round-trips', () => {
    const readme = `# Title\nbefore\n${README_BLOCK_START}\nold\n${README_BLOCK_END}\nafter\n`;
    const replaced = replaceReadmeBlock(readme, 'new | table');
    expect(replaced).toBe(`# Title\nbefore\n${README_BLOCK_START}\nnew | table\n${README_BLOCK_END}\nafter\n`);
    expect(readReadmeBlock(replaced)).toBe('new | table');
    expect(() => replaceReadmeBlock('no markers', 'x')).toThrow('exactly once');
    expect(() => replaceReadmeBlock(`${README_BLOCK_START}${README_BLOCK_END}${README_BLOCK_START}`, 'x')).toThrow('exactly once');
  });
});

describe('budget of the synthesized default stage', () => {
  let budget: RtoRpoBudget;
  beforeAll(() => {
    const config = loadConfig({ context: () => undefined, env: {} });
    budget = budgetOf(config);
  });

  test('the block of docs/rto-rpo-budget.md is exactly the rendered budget (regenerate: npm run budget -- --write)', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', BUDGET_BLOCK.file), 'utf8');
    expect(readReadmeBlock(doc)).toBe(renderBudgetMarkdown(budget));
    expect(readBlockFromFile(BUDGET_BLOCK)).toBe(renderBudgetMarkdown(budget));
  });

  test('the README summary is the rendered budget\'s headline (regenerate: npm run budget -- --write)', () => {
    const summary = readBlockFromFile(BUDGET_SUMMARY_BLOCK);
    expect(summary).toBe(budgetSummary(renderBudgetMarkdown(budget)));
    expect(summary).toContain(`**Worst-case RTO ${budget.rto.worstCaseSeconds} s`);
    expect(summary).toContain(`**Worst-case RPO ${budget.rpo.worstCaseSeconds} s`);
  });

  test('worst-case RTO is under 4 h and RPO under 1 h', () => {
    expect(budget.rto.worstCaseSeconds).toBeLessThan(4 * 3_600);
    expect(budget.rpo.worstCaseSeconds).toBeLessThan(3_600);
    expect(budget.rto.worstCaseSeconds).toBeGreaterThan(0);
  });
});
