/**
 * The local monitor: the AWS replication monitor's own cycle (`runMonitorCycle`: heartbeat, idle-correct lag,
 * connectivity) run every few hundred milliseconds instead of every minute, plus the local counterpart of
 * the composite "primary region failed" alarm with the same terms as on AWS, over N consecutive cycles. Like a
 * CloudWatch alarm it fires on the transition into ALARM only, not on every bad cycle.
 */
import type { MetricDatum } from '../core/ports';
import { MonitorMetric } from '../core/metric-names';
import type { EstateRoles } from '../core/estate-roles';
import { runMonitorCycle, type MonitorDependencies, type MonitorRunResult } from '../replication-monitor/monitor';

export interface CompositeMonitorOptions {
  readonly dependencies: MonitorDependencies;
  readonly intervalMs: number;
  /** Consecutive bad cycles before the alarm fires (the alarm's evaluation periods). */
  readonly badCyclesToAlarm: number;
  /** Called once per transition into ALARM; not awaited by the loop (as EventBridge invokes Lambda asynchronously). */
  readonly onAlarm: (reason: string) => Promise<unknown>;
  /** Called when a watched signal changes value, for progress lines. */
  readonly onSignalChange?: (name: string, from: number | undefined, to: number | undefined) => void;
}

/** Signals whose changes are worth a progress line. */
const WATCHED_SIGNALS = [MonitorMetric.PrimaryReachable, MonitorMetric.ReplicaReachable, MonitorMetric.FailedOver];

const valueOf = (data: readonly MetricDatum[], name: string) => data.find((datum) => datum.name === name)?.value;

export class CompositeMonitor {
  private running = false;
  private loop: Promise<void> | undefined;
  private badCycles = 0;
  private inAlarm = false;
  private readonly alarms: Promise<unknown>[] = [];
  private readonly lastSignals = new Map<string, number | undefined>();
  private cycleCount = 0;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: CompositeMonitorOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current cycle; resolves once the loop and every alarm action it started have ended. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    await Promise.allSettled(this.alarms);
  }

  get cycles(): number {
    return this.cycleCount;
  }

  /** Alarm actions started so far (their results, in order). */
  get alarmActions(): readonly Promise<unknown>[] {
    return this.alarms;
  }

  /** Resolves after `count` more cycles have completed. */
  async waitForCycles(count: number): Promise<void> {
    const target = this.cycleCount + count;
    while (this.running && this.cycleCount < target) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private async run(): Promise<void> {
    let lastRoles: EstateRoles | undefined;
    while (this.running) {
      let result: MonitorRunResult | undefined;
      try {
        // As a warm Lambda container: the roles of the last cycle stand in while the state table is silent.
        result = await runMonitorCycle({ ...this.options.dependencies, ...(lastRoles ? { lastRoles } : {}) });
      } catch {
        // Only publishing can throw, and the local recorder does not: a lost cycle counts as no evidence.
      }
      this.cycleCount += 1;
      if (result) {
        lastRoles = result.roles;
        this.evaluate(result.data);
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private evaluate(data: readonly MetricDatum[]): void {
    for (const name of WATCHED_SIGNALS) {
      const value = valueOf(data, name);
      if (this.lastSignals.has(name) && this.lastSignals.get(name) !== value) this.options.onSignalChange?.(name, this.lastSignals.get(name), value);
      this.lastSignals.set(name, value);
    }
    // The AWS composite's rule, term for term: the data plane (primary unreachable) AND the control plane (its
    // region's API silent OR RDS reporting a failed state) AND NOT replica unreachable AND NOT failed over.
    const primaryDown = valueOf(data, MonitorMetric.PrimaryReachable) === 0;
    const controlPlaneEvidence = valueOf(data, MonitorMetric.PrimaryApiUnreachable) === 1 || valueOf(data, MonitorMetric.PrimaryFailedState) === 1;
    const replicaUp = valueOf(data, MonitorMetric.ReplicaReachable) === 1;
    const failedOver = valueOf(data, MonitorMetric.FailedOver) === 1;
    if (!(primaryDown && controlPlaneEvidence && replicaUp && !failedOver)) {
      this.badCycles = 0;
      this.inAlarm = false;
      return;
    }
    this.badCycles += 1;
    if (this.inAlarm || this.badCycles < this.options.badCyclesToAlarm) return;
    this.inAlarm = true;
    const reason = `${this.badCycles} consecutive monitor cycles: PrimaryReachable=0, control-plane evidence of an outage, ReplicaReachable=1, not failed over`;
    const action = this.options.onAlarm(reason);
    action.catch(() => undefined); // the caller observes the outcome through alarmActions
    this.alarms.push(action);
  }
}
