import type { FailoverRequest } from './failover-request';
import {
  LeaseLostError,
  type Alerts, type Clock, type DatabaseControl, type Dns, type FailoverMode, type FailoverState,
  type FailoverStateStore, type Logger, type Metrics, type StepRecord,
} from './ports';
import { evaluatePromotionReadiness } from './promotion-readiness';
import { describeError, withRetry, type RetryPolicy } from './retry';
import { buildTimeline, formatTimeline, roundSeconds, type FailoverTimeline } from './timeline';

export interface FailoverPorts {
  readonly database: DatabaseControl;
  readonly dns: Dns;
  readonly alerts: Alerts;
  readonly metrics: Metrics;
  readonly store: FailoverStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface FailoverSettings {
  /** RPO budget: lag above this (or unknown) refuses promotion unless an operator forces it. */
  readonly maxPromotionLagSeconds: number;
  /** Longest wait, per run, for the promoted database to become an available writer. */
  readonly promotionTimeoutSeconds: number;
  /** "Primary down" needs every one of these probes to fail. */
  readonly primaryProbeAttempts: number;
  readonly primaryProbeTimeoutMs: number;
  readonly primaryProbeIntervalMs: number;
  readonly writerPollIntervalMs: number;
  /** Bounded backoff for each remote call (throttling, transient errors). */
  readonly retry: RetryPolicy;
  /** The lease outlives the run's deadline by this much, so a dead run's lease expires soon after it. */
  readonly leaseMarginMs: number;
}

export const DEFAULT_FAILOVER_SETTINGS: Omit<FailoverSettings, 'maxPromotionLagSeconds' | 'promotionTimeoutSeconds'> = {
  primaryProbeAttempts: 3,
  primaryProbeTimeoutMs: 5_000,
  primaryProbeIntervalMs: 5_000,
  writerPollIntervalMs: 15_000,
  retry: { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 },
  leaseMarginMs: 30_000,
};

export interface RunOptions {
  /** Unique id of this run (the Lambda request id); it owns the lease while the run lives. */
  readonly runId: string;
  /** Epoch ms by which the run must have returned (Lambda deadline minus a safety margin). */
  readonly deadline: number;
}

export type FailoverOutcome =
  | 'completed'           // every step done
  | 'pending'             // promoted or in progress; some steps remain for `resume`
  | 'already_in_progress' // another run holds the lease
  | 'already_completed'   // an earlier failover finished; nothing to do
  | 'false_alarm'         // the primary answers: nothing promoted
  | 'refused'             // replica not promotable or lag over budget/unknown without force
  | 'nothing_to_resume'
  | 'aborted'             // a resumed run found the primary alive again before promotion
  | 'lease_lost'          // another run took over; this one stopped acting
  | 'failed';             // unexpected error; state kept, `resume` continues

export interface FailoverResult {
  readonly outcome: FailoverOutcome;
  readonly message: string;
  /** The DR database has been asked to promote (by this or an earlier run). */
  readonly promoted: boolean;
  readonly state?: FailoverState;
  readonly timeline?: FailoverTimeline;
}

/** Step names, as persisted and as the `Step` dimension of `FailoverStepSeconds`. */
export const FAILOVER_STEPS = {
  verifyPrimaryDown: 'verifyPrimaryDown',
  checkReplica: 'checkReplica',
  fenceOldPrimary: 'fenceOldPrimary',
  promoteReplica: 'promoteReplica',
  waitForWriter: 'waitForWriter',
  publishDnsSignal: 'publishDnsSignal',
  pinDnsRecord: 'pinDnsRecord',
} as const;
type StepName = (typeof FAILOVER_STEPS)[keyof typeof FAILOVER_STEPS];

/** Decision steps run before the lock; their timings are stored with the lock. */
export const DECISION_STEPS: readonly StepName[] = [FAILOVER_STEPS.verifyPrimaryDown, FAILOVER_STEPS.checkReplica];

/**
 * Acting steps after the lock. A failover fences last (the old region may be down); a switchover of a
 * live primary fences FIRST so the old primary cannot take writes once the replica is a writer.
 */
export const ACTION_STEPS: Readonly<Record<FailoverMode, readonly StepName[]>> = {
  failover: [FAILOVER_STEPS.promoteReplica, FAILOVER_STEPS.waitForWriter, FAILOVER_STEPS.publishDnsSignal, FAILOVER_STEPS.pinDnsRecord, FAILOVER_STEPS.fenceOldPrimary],
  switchover: [FAILOVER_STEPS.fenceOldPrimary, FAILOVER_STEPS.promoteReplica, FAILOVER_STEPS.waitForWriter, FAILOVER_STEPS.publishDnsSignal, FAILOVER_STEPS.pinDnsRecord],
};

/** Steps whose failure stops the run: nothing after them is safe or useful until they succeed. */
function isBlocking(step: StepName, mode: FailoverMode): boolean {
  return step === FAILOVER_STEPS.promoteReplica || step === FAILOVER_STEPS.waitForWriter
    || (step === FAILOVER_STEPS.fenceOldPrimary && mode === 'switchover');
}

type StepOutcome = { readonly done: boolean; readonly detail: string };

class AbortFailover extends Error {}

const SUBJECT_PREFIX = 'DR failover';

/**
 * Runs (or resumes) the failover: verify the primary is down → check the replica and lag → take the
 * lock → promote → wait for the writer → DNS data-plane signal → sticky DNS record → fence the old
 * primary. Every step is logged, timed, persisted and reported; never throws.
 */
export async function runFailover(
  request: FailoverRequest,
  ports: FailoverPorts,
  settings: FailoverSettings,
  options: RunOptions,
): Promise<FailoverResult> {
  const orchestrator = new FailoverOrchestrator(ports, settings, options);
  try {
    return await orchestrator.run(request);
  } catch (error) {
    return orchestrator.fail(error);
  }
}

/** The stored failover record and its timeline, without acting. THROWS if the store does not answer. */
export async function readFailoverStatus(ports: Pick<FailoverPorts, 'store' | 'clock'>): Promise<FailoverResult> {
  const state = await ports.store.read();
  if (!state) return { outcome: 'nothing_to_resume', message: 'No failover has been recorded', promoted: false };
  const timeline = buildTimeline(state, stepOrder(state.mode), ports.clock.now());
  const outcome: FailoverOutcome = state.status === 'completed' ? 'completed' : state.status === 'aborted' ? 'aborted' : 'pending';
  const message = `Failover ${state.runId} is ${state.status}; ${pendingSteps(state).length} step(s) not done: ${pendingSteps(state).join(', ') || 'none'}`;
  return { outcome, message, promoted: isPromoted(state), state, timeline };
}

function stepOrder(mode: FailoverMode): readonly StepName[] {
  return [...DECISION_STEPS, ...ACTION_STEPS[mode]];
}

function pendingSteps(state: FailoverState): StepName[] {
  return ACTION_STEPS[state.mode].filter((step) => state.steps[step]?.status !== 'done');
}

function isPromoted(state: FailoverState): boolean {
  return state.steps[FAILOVER_STEPS.promoteReplica]?.status === 'done';
}

class FailoverOrchestrator {
  private state: FailoverState | undefined;

  constructor(
    private readonly ports: FailoverPorts,
    private readonly settings: FailoverSettings,
    private readonly options: RunOptions,
  ) {}

  async run(request: FailoverRequest): Promise<FailoverResult> {
    this.ports.logger.info('failover run started', { runId: this.options.runId, request });
    const existing = await this.retry('read failover state', () => this.ports.store.read());

    if (request.trigger === 'resume') {
      if (!existing || existing.status === 'aborted') return this.finish('nothing_to_resume', 'No unfinished failover to resume');
      if (existing.status === 'completed') return this.finish('already_completed', completedMessage(existing), existing);
      return this.acquireAndAct(existing);
    }

    const requester = request.trigger === 'alarm' ? `alarm ${request.alarmName}` : 'operator';
    await this.notify('requested', `Failover requested by ${requester}: ${request.reason || '(no reason given)'}`);
    if (existing && existing.status !== 'aborted') return this.acquireAndAct(existing);

    const decision = await this.decide(request);
    if ('result' in decision) return decision.result;
    return this.acquireAndAct(decision.initial);
  }

  /** Verify the primary is down and the replica promotable; returns the initial state to lock with, or a refusal. */
  private async decide(request: Exclude<FailoverRequest, { trigger: 'resume' }>): Promise<{ initial: FailoverState } | { result: FailoverResult }> {
    const force = request.trigger === 'operator' && request.force;
    const switchoverRequested = request.trigger === 'operator' && request.switchover;

    const verifyStart = this.ports.clock.now();
    const primary = await this.verifyPrimary();
    const verifySeconds = this.secondsSince(verifyStart);
    if (primary.answers && !switchoverRequested) {
      const message = `False alarm: the primary answers (${primary.detail}); nothing promoted. `
        + 'For a planned switchover of a live primary an operator must pass "switchover": true.';
      await this.notify('false alarm, no promotion', message);
      return { result: this.finish('false_alarm', message) };
    }
    const mode: FailoverMode = primary.answers ? 'switchover' : 'failover';

    const checkStart = this.ports.clock.now();
    const replica = await this.retry('describe replica', () => this.ports.database.describeReplica());
    const lagSeconds = replica.role === 'replica' ? await this.latestLag() : undefined;
    const readiness = evaluatePromotionReadiness({
      replica, lagSeconds, maxLagSeconds: this.settings.maxPromotionLagSeconds, requireReplicating: mode === 'switchover',
    });
    const checkSeconds = this.secondsSince(checkStart);

    if (!readiness.alreadyPromoted) {
      if (readiness.blockers.length > 0) {
        const message = `Refused: ${readiness.blockers.join('; ')}. Nothing promoted.`;
        await this.notify('refused', message);
        return { result: this.finish('refused', message) };
      }
      if (!readiness.lagWithinBudget && !force) {
        const message = `Refused: ${readiness.lagVerdict}. Promoting now could lose more data than the RPO budget allows; `
          + 'an operator may invoke {"action":"failover","force":true,"reason":"..."} to accept that.';
        await this.notify('refused, lag over budget', message);
        return { result: this.finish('refused', message) };
      }
    }

    const now = this.ports.clock.now();
    const checkDetail = readiness.alreadyPromoted
      ? `DR database already ${replica.role} (status ${replica.status}); continuing without promoting again`
      : `${readiness.lagVerdict}${readiness.lagWithinBudget ? '' : ' — overridden by operator force'}`;
    const initial: FailoverState = {
      runId: this.options.runId,
      status: 'in_progress',
      mode,
      trigger: request.trigger === 'alarm' ? `alarm:${request.alarmName}` : 'operator',
      reason: request.reason,
      force,
      startedAt: new Date(verifyStart).toISOString(),
      failedOver: false,
      leaseOwner: this.options.runId,
      leaseExpiresAt: this.leaseExpiry(),
      version: 0,
      ...(lagSeconds !== undefined ? { lagSecondsAtDecision: lagSeconds } : {}),
      steps: {
        [FAILOVER_STEPS.verifyPrimaryDown]: doneStep(verifyStart, verifySeconds, mode === 'failover' ? `primary down: ${primary.detail}` : `switchover of a live primary: ${primary.detail}`),
        [FAILOVER_STEPS.checkReplica]: doneStep(checkStart, checkSeconds, checkDetail, now),
      },
    };
    this.ports.logger.info('failover decision: proceed', { mode, force, replica, lagSeconds, checkDetail });
    return { initial };
  }

  private async acquireAndAct(initial: FailoverState): Promise<FailoverResult> {
    const candidate: FailoverState = { ...initial, leaseOwner: this.options.runId, leaseExpiresAt: this.leaseExpiry() };
    const acquired = await this.retry('acquire failover lock', () => this.ports.store.acquire(candidate, this.ports.clock.now()));
    if (!acquired.acquired) {
      const held = acquired.state;
      if (held.status === 'completed') return this.finish('already_completed', completedMessage(held), held);
      const message = `Failover ${held.runId} already in progress (lease held by ${held.leaseOwner} until `
        + `${new Date(held.leaseExpiresAt).toISOString()}); steps not done: ${pendingSteps(held).join(', ') || 'none'}`;
      return this.finish('already_in_progress', message, held);
    }
    this.state = acquired.state;
    if (acquired.resumed) {
      await this.notify('resuming', `Resuming failover ${this.state.runId} (${this.state.mode}); steps not done: ${pendingSteps(this.state).join(', ')}`);
    } else {
      await this.recordMetrics(DECISION_STEPS.map((step) => ({
        name: 'FailoverStepSeconds', value: this.current.steps[step]?.seconds ?? 0, unit: 'Seconds' as const, dimensions: { Step: step },
      })));
      await this.notify('proceeding', `Failover ${this.state.runId} proceeding (${this.state.mode}${this.state.force ? ', FORCED' : ''}). `
        + `${this.state.steps[FAILOVER_STEPS.verifyPrimaryDown]?.detail}. ${this.state.steps[FAILOVER_STEPS.checkReplica]?.detail}.`);
    }
    return this.act(acquired.resumed);
  }

  private async act(resumed: boolean): Promise<FailoverResult> {
    const mode = this.current.mode;
    for (const step of ACTION_STEPS[mode]) {
      if (this.current.steps[step]?.status === 'done') continue;
      let outcome: StepOutcome;
      try {
        outcome = await this.runStep(step, () => this.perform(step, resumed));
      } catch (error) {
        if (error instanceof AbortFailover) return this.abort(error.message);
        throw error;
      }
      if (!outcome.done && isBlocking(step, mode)) break;
    }
    return this.conclude();
  }

  private perform(step: StepName, resumed: boolean): Promise<StepOutcome> {
    switch (step) {
      case FAILOVER_STEPS.promoteReplica: return this.promote(resumed);
      case FAILOVER_STEPS.waitForWriter: return this.waitForWriter();
      case FAILOVER_STEPS.publishDnsSignal: return this.publishDnsSignal();
      case FAILOVER_STEPS.pinDnsRecord: return this.pinDnsRecord();
      case FAILOVER_STEPS.fenceOldPrimary: return this.fence();
      default: throw new Error(`step ${step} is not an action step`);
    }
  }

  private async promote(resumed: boolean): Promise<StepOutcome> {
    const replica = await this.retry('describe replica', () => this.ports.database.describeReplica());
    if (replica.role !== 'replica') return { done: true, detail: `already ${replica.role} (status ${replica.status}); not promoting again` };
    if (resumed && this.current.mode === 'failover') {
      // The decision may be minutes old: promote only if the primary is still down now.
      const primary = await this.verifyPrimary();
      if (primary.answers) throw new AbortFailover(`the old primary answers again (${primary.detail}) before promotion`);
    }
    await this.retry('promote replica', () => this.ports.database.promoteReplica());
    return { done: true, detail: `promotion requested (replica was ${replica.status})` };
  }

  private async waitForWriter(): Promise<StepOutcome> {
    const { clock, database, logger } = this.ports;
    const start = clock.now();
    const waitUntil = Math.min(start + this.settings.promotionTimeoutSeconds * 1000, this.options.deadline);
    let last = 'not described yet';
    for (;;) {
      try {
        const replica = await database.describeReplica();
        last = `${replica.role}/${replica.status}`;
        if (replica.role === 'writer' && replica.available) return { done: true, detail: 'DR database is an available writer' };
      } catch (error) {
        last = `describe failed: ${describeError(error)}`;
        logger.warn('waiting for writer: describe failed', { error: describeError(error) });
      }
      if (clock.now() + this.settings.writerPollIntervalMs > waitUntil) {
        return { done: false, detail: `not yet an available writer after ${this.secondsSince(start)} s (last: ${last}); resume continues waiting` };
      }
      await clock.sleep(this.settings.writerPollIntervalMs);
    }
  }

  private async publishDnsSignal(): Promise<StepOutcome> {
    await this.retry('publish DNS failover signal', () => this.ports.dns.publishFailoverSignal());
    const recoveredAt = this.ports.clock.now();
    await this.save({ ...this.current, failedOver: true, recoveredAt: new Date(recoveredAt).toISOString() });
    await this.recordMetrics([{ name: 'FailoverDurationSeconds', value: (recoveredAt - Date.parse(this.current.startedAt)) / 1000, unit: 'Seconds' }]);
    return { done: true, detail: 'FailedOver=1 published: writer name resolves to the DR database' };
  }

  private async pinDnsRecord(): Promise<StepOutcome> {
    await this.retry('pin writer DNS record to DR', () => this.ports.dns.pinWriterToDr());
    return { done: true, detail: 'PRIMARY writer record now points at the DR database' };
  }

  private async fence(): Promise<StepOutcome> {
    const fenced = await this.retry('fence old primary', () => this.ports.database.fencePrimary());
    return { done: true, detail: `old primary isolated${fenced.stopped ? ' and stopping' : ', not stopped'}${fenced.detail ? ` (${fenced.detail})` : ''}` };
  }

  /** Times a step, persists its record, reports it; a thrown error becomes a `failed` record (never lost). */
  private async runStep(step: StepName, action: () => Promise<StepOutcome>): Promise<StepOutcome> {
    const { clock, logger } = this.ports;
    const before = this.current.steps[step];
    const start = clock.now();
    logger.info('step started', { step, attempt: (before?.attempts ?? 0) + 1 });
    let outcome: StepOutcome;
    let error: string | undefined;
    try {
      outcome = await action();
    } catch (failure) {
      if (failure instanceof LeaseLostError || failure instanceof AbortFailover) throw failure;
      error = describeError(failure);
      outcome = { done: false, detail: `failed: ${error}` };
    }
    const seconds = this.secondsSince(start);
    const record: StepRecord = {
      status: outcome.done ? 'done' : error ? 'failed' : 'pending',
      attempts: (before?.attempts ?? 0) + 1,
      seconds: roundSeconds((before?.seconds ?? 0) + seconds),
      startedAt: before?.startedAt ?? new Date(start).toISOString(),
      ...(outcome.done ? { finishedAt: new Date(clock.now()).toISOString() } : {}),
      detail: outcome.detail,
      ...(error ? { error } : {}),
    };
    await this.save({ ...this.current, steps: { ...this.current.steps, [step]: record } });
    if (outcome.done) {
      logger.info('step done', { step, seconds, detail: outcome.detail });
      await this.recordMetrics([{ name: 'FailoverStepSeconds', value: record.seconds, unit: 'Seconds', dimensions: { Step: step } }]);
    } else {
      logger.error('step not done', { step, seconds, detail: outcome.detail });
      await this.notify(`step ${step} not done`, `${step}: ${outcome.detail}. State is kept; the next resume retries it.`);
    }
    return outcome;
  }

  private async conclude(): Promise<FailoverResult> {
    const now = this.ports.clock.now();
    const pending = pendingSteps(this.current);
    const complete = pending.length === 0;
    await this.save({
      ...this.current,
      status: complete ? 'completed' : 'in_progress',
      ...(complete ? { completedAt: new Date(now).toISOString() } : {}),
      leaseExpiresAt: now, // release: the next trigger or resume may continue at once
    });
    const timeline = buildTimeline(this.current, stepOrder(this.current.mode), now);
    const message = complete
      ? `Failover ${this.current.runId} completed.\n${formatTimeline(timeline)}`
      : `Failover ${this.current.runId} not finished; steps not done: ${pending.join(', ')}. `
        + `The scheduled resume retries them.\n${formatTimeline(timeline)}`;
    await this.notify(complete ? 'completed' : 'incomplete, will resume', message);
    return this.finish(complete ? 'completed' : 'pending', message, this.current, timeline);
  }

  private async abort(reason: string): Promise<FailoverResult> {
    await this.save({ ...this.current, status: 'aborted', leaseExpiresAt: this.ports.clock.now() });
    const message = `Failover ${this.current.runId} aborted: ${reason}. Nothing was promoted.`;
    await this.notify('aborted', message);
    return this.finish('aborted', message, this.current);
  }

  /** Turns an unexpected error into a clear, resumable report. */
  async fail(error: unknown): Promise<FailoverResult> {
    if (error instanceof LeaseLostError) {
      const message = `Stopped: another run took over the failover (${error.message})`;
      this.ports.logger.warn('lease lost', { runId: this.options.runId, error: error.message });
      return this.finish('lease_lost', message, this.state);
    }
    const promoted = this.state ? isPromoted(this.state) : false;
    const message = `Failover run ${this.options.runId} failed: ${describeError(error)}. `
      + (this.state ? 'Progress is stored; the scheduled resume continues after the lease expires.' : 'Nothing was promoted.');
    this.ports.logger.error('failover run failed', { runId: this.options.runId, error: describeError(error), promoted });
    await this.notify('FAILED', message);
    return this.finish('failed', message, this.state);
  }

  private finish(outcome: FailoverOutcome, message: string, state?: FailoverState, timeline?: FailoverTimeline): FailoverResult {
    this.ports.logger.info('failover run finished', { runId: this.options.runId, outcome, summary: message });
    return {
      outcome,
      message,
      promoted: state ? isPromoted(state) : false,
      ...(state ? { state } : {}),
      ...(timeline ? { timeline } : state ? { timeline: buildTimeline(state, stepOrder(state.mode), this.ports.clock.now()) } : {}),
    };
  }

  private async verifyPrimary(): Promise<{ answers: boolean; detail: string }> {
    const { database, clock, logger } = this.ports;
    const failures: string[] = [];
    for (let attempt = 1; attempt <= this.settings.primaryProbeAttempts; attempt++) {
      const probe = await database.probePrimary(this.settings.primaryProbeTimeoutMs);
      logger.info('primary probe', { attempt, ...probe });
      if (probe.reachable) return { answers: true, detail: `probe ${attempt} connected in ${probe.latencyMs} ms` };
      failures.push(probe.error ?? 'unreachable');
      if (attempt < this.settings.primaryProbeAttempts) await clock.sleep(this.settings.primaryProbeIntervalMs);
    }
    let controlPlane: string;
    try {
      controlPlane = `control plane status ${(await database.describePrimary()).status}`;
    } catch (error) {
      controlPlane = `control plane unreachable (${describeError(error)})`;
    }
    return { answers: false, detail: `${failures.length} probes failed (last: ${failures[failures.length - 1]}); ${controlPlane}` };
  }

  /** Unknown lag (no measurement, or the source failing) is reported as `undefined`: never promote on doubt. */
  private async latestLag(): Promise<number | undefined> {
    try {
      return await this.retry('read replication lag', () => this.ports.database.replicationLagSeconds());
    } catch (error) {
      this.ports.logger.warn('replication lag unknown', { error: describeError(error) });
      return undefined;
    }
  }

  private async save(next: FailoverState): Promise<void> {
    this.state = await this.retry('save failover state', () => this.ports.store.save(next));
  }

  private retry<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, {
      policy: this.settings.retry,
      clock: this.ports.clock,
      deadline: this.options.deadline,
      isRetryable: (error) => !(error instanceof LeaseLostError),
      onFailedAttempt: (error, attempt) => {
        this.ports.logger.warn(`${what} failed`, { attempt, of: this.settings.retry.attempts, error: describeError(error) });
      },
    });
  }

  private async notify(what: string, message: string): Promise<void> {
    try {
      await this.ports.alerts.notify(`${SUBJECT_PREFIX}: ${what}`, message);
    } catch (error) {
      this.ports.logger.error('notification failed', { what, error: describeError(error) });
    }
  }

  private async recordMetrics(data: Parameters<Metrics['record']>[0]): Promise<void> {
    try {
      await this.ports.metrics.record(data);
    } catch (error) {
      this.ports.logger.error('metric publication failed', { error: describeError(error) });
    }
  }

  private get current(): FailoverState {
    if (!this.state) throw new Error('failover state used before the lock was taken');
    return this.state;
  }

  private leaseExpiry(): number {
    return this.options.deadline + this.settings.leaseMarginMs;
  }

  private secondsSince(start: number): number {
    return roundSeconds((this.ports.clock.now() - start) / 1000);
  }
}

function doneStep(start: number, seconds: number, detail: string, end = start + seconds * 1000): StepRecord {
  return { status: 'done', attempts: 1, seconds, startedAt: new Date(start).toISOString(), finishedAt: new Date(end).toISOString(), detail };
}

function completedMessage(state: FailoverState): string {
  return `Failover ${state.runId} already completed at ${state.completedAt}; nothing to do. `
    + 'Failing back or failing over again needs an operator (see the runbook).';
}

