import { CloudWatchClient, PutMetricDataCommand, type Dimension } from '@aws-sdk/client-cloudwatch';
import { ENVIRONMENT_DIMENSION } from '../../core/metric-names';
import type { MetricDatum, Metrics } from '../../core/ports';

export interface CloudWatchMetricsOptions {
  readonly client: CloudWatchClient;
  /** env `METRIC_NAMESPACE` (infra sets `PaymentsDR`). */
  readonly namespace: string;
  /** env `ENVIRONMENT_SUFFIX`. */
  readonly environmentSuffix: string;
}

/** PutMetricData accepts at most 1000 data per call. */
const MAX_DATA_PER_CALL = 1000;

/** `Metrics` over CloudWatch PutMetricData; IAM: `cloudwatch:PutMetricData` on `*` (condition `cloudwatch:namespace`). */
export class CloudWatchMetrics implements Metrics {
  constructor(private readonly options: CloudWatchMetricsOptions) {}

  async record(data: readonly MetricDatum[]): Promise<void> {
    const timestamp = new Date();
    for (let start = 0; start < data.length; start += MAX_DATA_PER_CALL) {
      await this.options.client.send(new PutMetricDataCommand({
        Namespace: this.options.namespace,
        MetricData: data.slice(start, start + MAX_DATA_PER_CALL).map((datum) => ({
          MetricName: datum.name,
          Value: datum.value,
          Unit: datum.unit,
          Timestamp: datum.at ?? timestamp,
          Dimensions: this.dimensionsOf(datum),
        })),
      }));
    }
  }

  private dimensionsOf(datum: MetricDatum): Dimension[] {
    const extra = Object.entries(datum.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value }));
    return [{ Name: ENVIRONMENT_DIMENSION, Value: this.options.environmentSuffix }, ...extra];
  }
}
