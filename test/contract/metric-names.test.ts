import { Stack } from 'aws-cdk-lib';
import { ENVIRONMENT_DIMENSION, METRIC_NAMES, METRIC_NAMESPACE } from '../../functions/core/metric-names';
import { buildStage, testConfig } from '../lib/support/dr-stage';
import { deployedEntries, metricsPublishedBy, metricsReadBy, unpublishedReads, type ReadMetric } from './metric-names';

/**
 * The metric contract between the two wings: every metric an alarm or the dashboard reads (synthesized templates:
 * alarms' MetricName/Namespace and metric-math MetricStats, the dashboard body's widget metrics) is one that a deployed
 * function publishes (a `name:` of functions/core/metric-names.ts in the code its handler reaches), in our namespace
 * and with the environment dimension every datum carries. An alarm on a misspelt name would sit in
 * INSUFFICIENT_DATA (or, breaching on missing data, in ALARM) forever.
 */
const config = testConfig({ fullDrillEnabled: 'true' });
const stage = buildStage(config);
const assembly = stage.synth();
const templates = stage.node.children.filter(Stack.isStack).map((stack) => ({ name: stack.stackName, template: assembly.getStackArtifact(stack.artifactId).template }));
const read = metricsReadBy(templates);
const entries = deployedEntries();
const published = entries.flatMap((entry) => metricsPublishedBy(entry));
const publishedNames = new Set(published.map((metric) => metric.metricName));
const expected = { namespace: METRIC_NAMESPACE, environmentDimension: ENVIRONMENT_DIMENSION, environmentSuffix: config.environmentSuffix };
const ours = (metrics: readonly ReadMetric[]) => [...new Set(metrics.filter((metric) => metric.namespace === METRIC_NAMESPACE).map((metric) => metric.metricName))].sort();

describe('every metric an alarm or the dashboard reads is published by a function', () => {
  it('finds the five deployed handlers and what they publish', () => {
    expect(entries).toEqual([
      'functions/failover-orchestrator/handler.ts', 'functions/full-drill/handler.ts', 'functions/lease-keeper/handler.ts',
      'functions/replication-monitor/handler.ts', 'functions/synthetic-drill/handler.ts',
    ]);
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    // Every registered name is published by some function: the module lists no dead names.
    expect([...publishedNames].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('finds the alarms\' and the dashboard\'s metrics', () => {
    expect(read.some((metric) => metric.readBy.includes('widget'))).toBe(true);
    expect(read.some((metric) => metric.readBy.includes('(probeErrors)'))).toBe(true);
    expect(ours(read)).toEqual(expect.arrayContaining(['DrillReady', 'FailedOver', 'MonitorErrors', 'PrimaryReachable', 'ReplicationLagSeconds', 'WriteLeaseHeld']));
  });

  it('reads nothing that no function publishes', () => {
    expect(unpublishedReads(read, publishedNames, expected).map(({ readBy, metric, problem }) => `${readBy}: ${metric}: ${problem}`)).toEqual([]);
  });

  it('reads from AWS only the namespaces AWS publishes for the services used', () => {
    expect([...new Set(read.map((metric) => metric.namespace))].sort()).toEqual(['AWS/Lambda', METRIC_NAMESPACE]);
  });

  describe('fails on a misspelt read (the check can fail)', () => {
    const mutated = (mutate: (templates: Array<{ name: string; template: Record<string, any> }>) => void) => {
      const copy = JSON.parse(JSON.stringify(templates)) as Array<{ name: string; template: Record<string, any> }>;
      mutate(copy);
      return unpublishedReads(metricsReadBy(copy), publishedNames, expected).map(({ metric, problem }) => `${metric}: ${problem}`);
    };
    const resources = (copy: Array<{ template: Record<string, any> }>, type: string) => copy.flatMap(({ template }) => Object.values(template.Resources as Record<string, any>).filter((resource) => resource.Type === type));

    it('an alarm\'s MetricName', () => {
      expect(mutated((copy) => {
        const alarm = resources(copy, 'AWS::CloudWatch::Alarm').find((resource) => resource.Properties.MetricName === 'ReplicationLagSeconds');
        alarm.Properties.MetricName = 'ReplicationLagSecond';
      })).toEqual(['PaymentsDR/ReplicationLagSecond: no function publishes it']);
    });

    it('a metric of a metric-math alarm', () => {
      expect(mutated((copy) => {
        const alarm = resources(copy, 'AWS::CloudWatch::Alarm').find((resource) => resource.Properties.Metrics);
        alarm.Properties.Metrics.find((query: any) => query.Id === 'probeErrors').MetricStat.Metric.Namespace = 'PaymentDR';
      })).toEqual(['PaymentDR/MonitorErrors: namespace is neither PaymentsDR nor AWS/*']);
    });

    it('a dashboard widget\'s metric', () => {
      expect(mutated((copy) => {
        const dashboard = resources(copy, 'AWS::CloudWatch::Dashboard')[0];
        const join = dashboard.Properties.DashboardBody['Fn::Join'];
        join[1] = join[1].map((part: unknown) => (typeof part === 'string' ? part.replace('"DrillReady"', '"DrillRedy"') : part));
      })).toEqual(['PaymentsDR/DrillRedy: no function publishes it']);
    });
  });
});
