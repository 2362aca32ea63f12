import { formatSeconds } from './format-seconds';
import type { FailoverState, StepStatus } from './ports';

export interface TimelineStep {
  readonly step: string;
  readonly status: StepStatus | 'not started';
  readonly seconds: number;
  readonly detail?: string;
}

export interface FailoverTimeline {
  readonly steps: readonly TimelineStep[];
  /** Start → data-plane DNS signal published (traffic can reach the DR writer): the measured RTO of the orchestrator. */
  readonly recoverySeconds?: number;
  /** Start → completion (or → now while unfinished), including pending steps retried later. */
  readonly totalSeconds: number;
}

/** The measured timeline of a failover record, steps in `order`. Pure. */
export function buildTimeline(state: FailoverState, order: readonly string[], now: number): FailoverTimeline {
  const started = Date.parse(state.startedAt);
  const end = state.completedAt ? Date.parse(state.completedAt) : now;
  return {
    steps: order.map((step) => {
      const record = state.steps[step];
      return record
        ? { step, status: record.status, seconds: record.seconds, ...(record.detail ? { detail: record.detail } : {}) }
        : { step, status: 'not started' as const, seconds: 0 };
    }),
    ...(state.recoveredAt ? { recoverySeconds: roundSeconds((Date.parse(state.recoveredAt) - started) / 1000) } : {}),
    totalSeconds: roundSeconds((end - started) / 1000),
  };
}

export function formatTimeline(timeline: FailoverTimeline): string {
  const lines = timeline.steps.map((step) => `- ${step.step}: ${step.status}, ${formatSeconds(step.seconds)}${step.detail ? ` — ${step.detail}` : ''}`);
  if (timeline.recoverySeconds !== undefined) lines.push(`Time to DR writer reachable (RTO): ${formatSeconds(timeline.recoverySeconds)}`);
  lines.push(`Total: ${formatSeconds(timeline.totalSeconds)}`);
  return lines.join('\n');
}

/** Millisecond precision is plenty for reports and metrics. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
