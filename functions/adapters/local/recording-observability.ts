/**
 * `Alerts` and `Metrics` for the local drill: what SNS and CloudWatch receive on AWS is printed as progress
 * lines and kept for the report (and, for metrics, read back like the orchestrator reads CloudWatch).
 */
import type { Alerts, MetricDatum, Metrics } from '../../core/ports';

/** Receives one human-readable line; the CLI prints it, tests may collect or drop it. */
export type ProgressSink = (line: string) => void;

export interface RecordedAlert {
  readonly at: number;
  readonly subject: string;
  readonly message: string;
}

export class RecordingAlerts implements Alerts {
  readonly sent: RecordedAlert[] = [];

  constructor(private readonly progress: ProgressSink, private readonly now: () => number = Date.now) {}

  async notify(subject: string, message: string): Promise<void> {
    this.sent.push({ at: this.now(), subject, message });
    // The first line carries the gist; multi-line timelines go to the report.
    this.progress(`ALERT ${subject}: ${message.split('\n')[0]}`);
  }
}

export interface RecordedDatum extends Omit<MetricDatum, 'at'> {
  /** Epoch milliseconds: the datum's own `at`, else when it was recorded. */
  readonly at: number;
}

export interface RecordingMetricsOptions {
  /** Metric names echoed as progress lines when recorded (the monitor's per-cycle data would flood the console). */
  readonly echo?: ReadonlySet<string>;
  readonly now?: () => number;
}

export class RecordingMetrics implements Metrics {
  readonly recorded: RecordedDatum[] = [];
  private readonly now: () => number;

  constructor(private readonly progress: ProgressSink, private readonly options: RecordingMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async record(data: readonly MetricDatum[]): Promise<void> {
    const at = this.now();
    for (const datum of data) {
      const { at: happenedAt, ...rest } = datum;
      this.recorded.push({ ...rest, at: happenedAt?.getTime() ?? at });
      if (this.options.echo?.has(datum.name)) {
        const dimensions = Object.entries(datum.dimensions ?? {}).map(([key, value]) => `${key}=${value}`).join(',');
        this.progress(`metric ${datum.name}${dimensions ? `[${dimensions}]` : ''} = ${datum.value} ${datum.unit}`);
      }
    }
  }

  /** The newest value of `name` recorded within the last `maxAgeMs`, `undefined` if none. */
  latest(name: string, maxAgeMs: number): number | undefined {
    const oldest = this.now() - maxAgeMs;
    for (let index = this.recorded.length - 1; index >= 0; index--) {
      const datum = this.recorded[index];
      if (datum.at < oldest) return undefined;
      if (datum.name === name) return datum.value;
    }
    return undefined;
  }
}
