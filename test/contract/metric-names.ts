import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { DrillMetric, FailoverMetric, KeeperMetric, METRIC_NAMES, MonitorMetric } from '../../functions/core/metric-names';
import { reachableSources, REPOSITORY_ROOT } from './sdk-commands';

/** One CloudWatch metric a resource of a template reads. */
export interface ReadMetric {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value (a CloudFormation expression stands in as `<token>`). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Where it is read: `<stack>/<logical id>` (and the widget for a dashboard). */
  readonly readBy: string;
}

/** One metric a function publishes, with the file that publishes it. */
export interface PublishedMetric {
  readonly metricName: string;
  readonly file: string;
}

type Json = Record<string, any>;

/**
 * Every metric the alarms and dashboards of `templates` read: an alarm's `MetricName`/`Namespace`, each `MetricStat`
 * of its `Metrics` (metric math), and each metric of each dashboard widget (the `DashboardBody` JSON, with the
 * CloudFormation expressions CDK joins into it standing in as `<token>`).
 */
export function metricsReadBy(templates: ReadonlyArray<{ readonly name: string; readonly template: Json }>): ReadMetric[] {
  const read: ReadMetric[] = [];
  for (const { name, template } of templates) {
    for (const [logicalId, resource] of Object.entries((template.Resources ?? {}) as Record<string, Json>)) {
      const readBy = `${name}/${logicalId}`;
      const properties = resource.Properties ?? {};
      if (resource.Type === 'AWS::CloudWatch::Alarm') {
        if (properties.MetricName !== undefined) {
          read.push({ namespace: properties.Namespace, metricName: properties.MetricName, dimensions: dimensionsOf(properties.Dimensions), readBy });
        }
        for (const query of (properties.Metrics ?? []) as Json[]) {
          const metric = query.MetricStat?.Metric;
          if (metric) read.push({ namespace: metric.Namespace, metricName: metric.MetricName, dimensions: dimensionsOf(metric.Dimensions), readBy: `${readBy} (${query.Id})` });
        }
      }
      if (resource.Type === 'AWS::CloudWatch::Dashboard') {
        const body = JSON.parse(renderJoin(properties.DashboardBody)) as { widgets: Json[] };
        body.widgets.forEach((widget, index) => {
          for (const entry of (widget.properties?.metrics ?? []) as unknown[][]) {
            // [namespace, metricName, dimension name, dimension value, …, { options }?]; an expression is `[{ expression, … }]`.
            const parts = entry.filter((part) => typeof part === 'string') as string[];
            if (parts.length < 2) continue;
            if (parts.includes('.') || parts.includes('...')) throw new Error(`${readBy}: dashboard metric shorthand is not supported here: ${JSON.stringify(entry)}`);
            const [namespace, metricName, ...pairs] = parts;
            const dimensions: Record<string, string> = {};
            for (let at = 0; at + 1 < pairs.length; at += 2) dimensions[pairs[at]] = pairs[at + 1];
            read.push({ namespace, metricName, dimensions, readBy: `${readBy} widget ${index} "${widget.properties?.title ?? ''}"` });
          }
        });
      }
    }
  }
  return read;
}

function dimensionsOf(dimensions: unknown): Record<string, string> {
  return Object.fromEntries(((dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map(({ Name, Value }) => [Name, typeof Value === 'string' ? Value : '<token>']));
}

/** A `DashboardBody` as text: a plain string, or CDK's `Fn::Join` of strings and CloudFormation expressions. */
function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`unexpected DashboardBody: ${JSON.stringify(value).slice(0, 200)}`);
  // The expressions sit inside JSON strings (ARNs, regions): a bare placeholder keeps the JSON valid.
  return join[1].map((part) => (typeof part === 'string' ? part : '<token>')).join(join[0]);
}

/** The name groups of metric-names.ts a datum's `name:` may be taken from. */
const METRIC_GROUPS: Readonly<Record<string, Readonly<Record<string, string>>>> = { MonitorMetric, FailoverMetric, KeeperMetric, DrillMetric };

/**
 * Every metric the code reachable from `entry` publishes: each `name: <Group>.<Name>` of a metric datum (the groups
 * of functions/core/metric-names.ts; `MetricDatum.name` accepts nothing else) and each `name: '<literal>'` that is a
 * published metric name, outside comments.
 */
export function metricsPublishedBy(entry: string): PublishedMetric[] {
  const published: PublishedMetric[] = [];
  for (const { file, source: text } of reachableSources(entry)) {
    const where = relative(REPOSITORY_ROOT, file);
    // Comments publish nothing (a `//` after a colon, as in a URL, is no comment).
    const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
    for (const [, group, key] of source.matchAll(/\bname:\s*([A-Za-z]+Metric)\.([A-Za-z0-9]+)/g)) {
      const metricName = METRIC_GROUPS[group]?.[key];
      if (!metricName) throw new Error(`${where}: name: ${group}.${key} is not a metric of functions/core/metric-names.ts`);
      published.push({ metricName, file: where });
    }
    for (const [, literal] of source.matchAll(/\bname:\s*'([A-Za-z0-9]+)'/g)) {
      if ((METRIC_NAMES as readonly string[]).includes(literal)) published.push({ metricName: literal, file: where });
    }
  }
  return published;
}

/** The handler entry points the infrastructure deploys (`entry: 'functions/…'` in lib/constructs). */
export function deployedEntries(): string[] {
  const entries = new Set<string>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.endsWith('.ts')) for (const [, entry] of readFileSync(path, 'utf8').matchAll(/\bentry:\s*'(functions\/[^']+\.ts)'/g)) entries.add(entry);
    }
  };
  visit(join(REPOSITORY_ROOT, 'lib'));
  return [...entries].sort();
}

/** A read metric the runtime does not publish, as one line naming the reader. */
export interface UnpublishedRead {
  readonly readBy: string;
  readonly metric: string;
  readonly problem: string;
}

/**
 * The reads no function satisfies: a metric of `namespace` nobody publishes, or read without the environment
 * dimension every datum carries; a namespace that is neither ours nor AWS's (`AWS/…`, which AWS publishes).
 */
export function unpublishedReads(read: readonly ReadMetric[], published: ReadonlySet<string>, expected: { namespace: string; environmentDimension: string; environmentSuffix: string }): UnpublishedRead[] {
  const problems: UnpublishedRead[] = [];
  for (const metric of read) {
    const label = `${metric.namespace}/${metric.metricName}`;
    if (metric.namespace === expected.namespace) {
      if (!published.has(metric.metricName)) problems.push({ readBy: metric.readBy, metric: label, problem: 'no function publishes it' });
      if (metric.dimensions[expected.environmentDimension] !== expected.environmentSuffix) {
        problems.push({ readBy: metric.readBy, metric: label, problem: `read without ${expected.environmentDimension}=${expected.environmentSuffix}` });
      }
    } else if (!metric.namespace?.startsWith('AWS/')) {
      problems.push({ readBy: metric.readBy, metric: label, problem: `namespace is neither ${expected.namespace} nor AWS/*` });
    }
  }
  return problems;
}
