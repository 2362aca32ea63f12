import type { FailoverRequest } from './failover-request';
import { formatSeconds } from './format-seconds';
import type { PrimaryEndEvidence } from './lag-at-primary-failure';
import { classifyInstanceStatus, servesPerControlPlane, serverAnswered, type ControlPlaneHealth } from './instance-health';
import { lsnReached } from './lsn';
import { FAILOVER_STEP_DIMENSION, FailoverMetric } from './metric-names';
import {
  LeaseLostError,
  type Alerts, type Clock, type DatabaseControl, type Dns, type FailoverMode, type FailoverState,
  type FailoverStateStore, type Logger, type Metrics, type RecordedRequest, type StepRecord,
} from './ports';
import { evaluatePromotionReadiness } from './promotion-readiness';
import { describeError, withRetry, type RetryPolicy } from './retry';
import { buildTimeline, formatTimeline, roundSeconds, type FailoverTimeline } from './timeline';
import {
  describeLease, HELD_UNTIL_RELEASED, LeaseConflictError, takeoverAllowedAt, type WriteLease, type WriteLeaseStore,
} from './write-lease';

export interface FailoverPorts {
  readonly database: DatabaseControl;
  readonly dns: Dns;
  readonly alerts: Alerts;
  readonly metrics: Metrics;
  /** The failover record and its run lock (one region's table). */
  readonly store: FailoverStateStore;
  /** The write lease (multi-Region strongly consistent). Absent in manual-confirm mode. */
  readonly lease?: WriteLeaseStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type FailoverModeSetting = 'automatic' | 'manual-confirm';

export interface FailoverSettings {
  /**
   * `automatic`: an alarm may promote once the primary's write lease has run out. `manual-confirm` (no lease
   * store, e.g. regions outside one strongly consistent region set): only an operator who confirms that the
   * primary is dead can start a promotion; alarms are recorded and wait for that confirmation.
   */
  readonly failoverMode: FailoverModeSetting;
  /** RPO budget: lag above this (or unknown) refuses promotion unless an operator forces it. */
  readonly maxPromotionLagSeconds: number;
  /** Longest wait, per run, for the promoted database to become an available writer. */
  readonly promotionTimeoutSeconds: number;
  /** "Primary down" needs every one of these probes to fail. */
  readonly primaryProbeAttempts: number;
  readonly primaryProbeTimeoutMs: number;
  readonly primaryProbeIntervalMs: number;
  readonly writerPollIntervalMs: number;
  /** A DR database still a replica after this many writer polls since the last request is asked again. */
  readonly repromoteAfterPolls: number;
  /** Bounded backoff for each remote call (throttling, transient errors). */
  readonly retry: RetryPolicy;
  /** A waiting decision is re-evaluated after this backoff (doubling up to the maximum) while the run lives. */
  readonly decisionRetry: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** The run lock outlives the run's deadline by this much, so a dead run's lock expires soon after it. */
  readonly leaseMarginMs: number;
  /** The write lease may be taken this long after it expired (clock skew + the keeper's fence overrun). */
  readonly takeoverMarginMs: number;
  /** Planned switchover: longest wait for the replica to replay the frozen primary's last WAL position. */
  readonly catchUpTimeoutMs: number;
}

export const DEFAULT_FAILOVER_SETTINGS: Omit<FailoverSettings, 'maxPromotionLagSeconds' | 'promotionTimeoutSeconds'> = {
  failoverMode: 'automatic',
  primaryProbeAttempts: 3,
  primaryProbeTimeoutMs: 5_000,
  primaryProbeIntervalMs: 5_000,
  writerPollIntervalMs: 15_000,
  repromoteAfterPolls: 8,
  retry: { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 },
  decisionRetry: { baseDelayMs: 5_000, maxDelayMs: 60_000 },
  leaseMarginMs: 30_000,
  takeoverMarginMs: 30_000,
  catchUpTimeoutMs: 300_000,
};

export interface RunOptions {
  /** Unique id of this run (the Lambda request id); it owns the run lock while the run lives. */
  readonly runId: string;
  /** Epoch ms by which the run must have returned (Lambda deadline minus a safety margin). */
  readonly deadline: number;
}

export type FailoverOutcome =
  | 'completed'           // every step done
  | 'pending'             // acting; some steps remain for `resume`
  | 'waiting'             // the decision waits (lease still held, lag over budget, replica not ready …); `resume` re-evaluates
  | 'already_in_progress' // another run holds the run lock
  | 'already_completed'   // an earlier failover finished; nothing to do
  | 'false_alarm'         // the primary answers and holds its lease: nothing promoted, request closed
  | 'refused'             // an operator request that cannot be carried out as asked; nothing done
  | 'nothing_to_resume'
  | 'aborted'             // closed before any promotion request (cancel, abandoned switchover)
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
  takeWriteLease: 'takeWriteLease',
  freezePrimary: 'freezePrimary',
  catchUp: 'catchUp',
  publishDnsSignal: 'publishDnsSignal',
  promoteReplica: 'promoteReplica',
  waitForWriter: 'waitForWriter',
  pinDnsRecord: 'pinDnsRecord',
  fenceOldPrimary: 'fenceOldPrimary',
} as const;
type StepName = (typeof FAILOVER_STEPS)[keyof typeof FAILOVER_STEPS];

/** Decision steps; their timings are stored once the decision is to act. */
export const DECISION_STEPS: readonly StepName[] = [FAILOVER_STEPS.verifyPrimaryDown, FAILOVER_STEPS.checkReplica];

/**
 * Acting steps. Both modes take the write lease first: no promotion without it. The failed-over signal goes out
 * BEFORE the promotion, so an old primary that comes back during the promotion is not healthy again for DNS.
 * A switchover freezes the live primary at the database and waits until the replica has replayed its last WAL
 * position before promoting (zero loss); the network fence comes last in both.
 */
export const ACTION_STEPS: Readonly<Record<FailoverMode, readonly StepName[]>> = {
  failover: [
    FAILOVER_STEPS.takeWriteLease, FAILOVER_STEPS.publishDnsSignal, FAILOVER_STEPS.promoteReplica,
    FAILOVER_STEPS.waitForWriter, FAILOVER_STEPS.pinDnsRecord, FAILOVER_STEPS.fenceOldPrimary,
  ],
  switchover: [
    FAILOVER_STEPS.takeWriteLease, FAILOVER_STEPS.freezePrimary, FAILOVER_STEPS.catchUp, FAILOVER_STEPS.publishDnsSignal,
    FAILOVER_STEPS.promoteReplica, FAILOVER_STEPS.waitForWriter, FAILOVER_STEPS.pinDnsRecord, FAILOVER_STEPS.fenceOldPrimary,
  ],
};

/** Steps whose failure stops the run: nothing after them is safe or useful until they succeed. */
const NON_BLOCKING_STEPS: ReadonlySet<StepName> = new Set([FAILOVER_STEPS.pinDnsRecord, FAILOVER_STEPS.fenceOldPrimary]);

type StepOutcome = { readonly done: boolean; readonly detail: string };

/** Thrown by a step that found the decision no longer holds (only possible before any promotion request). */
class BackToDecision extends Error {}
/** Thrown by the switchover's catch-up when the replica did not catch up in time: undo and close. */
class AbandonSwitchover extends Error {}

type Verdict =
  | { readonly kind: 'proceed'; readonly mode: FailoverMode; readonly primaryDetail: string; readonly replicaDetail: string; readonly lagSeconds?: number }
  | { readonly kind: 'wait'; readonly reason: string; readonly retryAt?: number; readonly lagSeconds?: number }
  | { readonly kind: 'close'; readonly outcome: 'false_alarm' | 'refused'; readonly message: string };

const SUBJECT_PREFIX = 'DR failover';
/** Enough for every lasting situation of one failover (one per step and decision reason). */
const MAX_REMEMBERED_ALERTS = 30;

/**
 * Runs, resumes or cancels a failover. Every trigger is recorded first; the decision is re-evaluated until it
 * proceeds or closes (or an operator cancels); acting steps are logged, timed, persisted and reported. Never throws.
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
  const outcome: FailoverOutcome = state.status === 'completed' ? 'completed' : state.status === 'aborted' ? 'aborted'
    : state.phase === 'deciding' ? 'waiting' : 'pending';
  const message = state.phase === 'deciding' && state.status === 'in_progress'
    ? `Failover ${state.runId} is waiting for its decision (attempt ${state.decisionAttempts}): ${state.lastDecision ?? 'not evaluated yet'}`
    : `Failover ${state.runId} is ${state.status}; ${pendingSteps(state).length} step(s) not done: ${pendingSteps(state).join(', ') || 'none'}`;
  return { outcome, message, promoted: isPromoted(state), state, timeline };
}

function stepOrder(mode: FailoverMode): readonly StepName[] {
  return [...DECISION_STEPS, ...ACTION_STEPS[mode]];
}

function pendingSteps(state: FailoverState): StepName[] {
  return ACTION_STEPS[state.mode].filter((step) => state.steps[step]?.status !== 'done');
}

/** A promotion was requested (write-ahead intent): from here on the failover can only go forward. */
function isPromoted(state: FailoverState): boolean {
  return state.promoteRequestedAt !== undefined;
}

function recordedRequest(request: Extract<FailoverRequest, { trigger: 'alarm' | 'operator' }>): RecordedRequest {
  return request.trigger === 'alarm'
    ? { trigger: `alarm:${request.alarmName}`, reason: request.reason, force: false, switchover: false, confirmPrimaryDead: false }
    : { trigger: 'operator', reason: request.reason, force: request.force, switchover: request.switchover, confirmPrimaryDead: request.confirmPrimaryDead };
}

class FailoverOrchestrator {
  private state: FailoverState | undefined;
  /** Expiry of the primary's write lease as last read by the decision (it bounds how long the primary could commit). */
  private primaryLeaseExpiresAt: number | undefined;

  constructor(
    private readonly ports: FailoverPorts,
    private readonly settings: FailoverSettings,
    private readonly options: RunOptions,
  ) {}

  async run(request: FailoverRequest): Promise<FailoverResult> {
    this.ports.logger.info('failover run started', { runId: this.options.runId, request });
    const existing = await this.retry('read failover state', () => this.ports.store.read());

    if (request.trigger === 'cancel') return this.cancel(existing, request.reason);
    if (request.trigger === 'resume') {
      if (!existing || existing.status === 'aborted') return this.finish('nothing_to_resume', 'No unfinished failover to resume');
      if (existing.status === 'completed') return this.finish('already_completed', completedMessage(existing), existing);
      return this.lockAndContinue(existing);
    }

    const wanted = recordedRequest(request);
    const requester = request.trigger === 'alarm' ? `alarm ${request.alarmName}` : 'operator';
    await this.notify('requested', `Failover requested by ${requester}: ${request.reason || '(no reason given)'}`);
    let current = existing;
    for (;;) {
      if (current?.status === 'completed') return this.finish('already_completed', completedMessage(current), current);
      const entered = current?.status === 'in_progress' ? await this.lockAndContinue(current, wanted) : await this.lockAndContinue(this.newRecord(wanted), wanted);
      if (!(await this.waitedForOperatorDecision(entered, wanted))) return entered;
      current = await this.retry('read failover state', () => this.ports.store.read());
    }
  }

  /**
   * An alarm fires once (on its transition into ALARM) and is not delivered again while it stays in ALARM. If it meets
   * the run lock of a run still deciding an OPERATOR's request, that run may close the record without acting (a
   * switchover refused because the primary does not answer, a refused failover), and the alarm would be lost: no
   * failover, and the resume rule only continues records in progress. So the alarm waits for that decision to end
   * (while its own run has time for a decision) and enters again. A lock held for another alarm's decision, or by a
   * run acting, already serves the alarm: it returns `already_in_progress` at once, as before.
   */
  private async waitedForOperatorDecision(entered: FailoverResult, wanted: RecordedRequest): Promise<boolean> {
    const held = entered.state;
    if (entered.outcome !== 'already_in_progress' || wanted.trigger === 'operator' || held?.phase !== 'deciding' || held.request.trigger !== 'operator') return false;
    const { clock, logger } = this.ports;
    const pause = this.settings.decisionRetry.baseDelayMs;
    if (clock.now() + pause + this.settings.primaryProbeAttempts * this.settings.primaryProbeTimeoutMs >= this.options.deadline) return false;
    logger.info('alarm waits for the decision on an operator request', { failover: held.runId, lockOwner: held.leaseOwner, retryInMs: pause });
    await clock.sleep(pause);
    return true;
  }

  private newRecord(request: RecordedRequest): FailoverState {
    const now = this.ports.clock.now();
    return {
      runId: this.options.runId,
      status: 'in_progress',
      phase: 'deciding',
      mode: request.switchover ? 'switchover' : 'failover',
      request,
      trigger: request.trigger,
      reason: request.reason,
      force: request.force,
      startedAt: new Date(now).toISOString(),
      failedOver: false,
      leaseOwner: this.options.runId,
      leaseExpiresAt: this.lockExpiry(),
      version: 0,
      decisionAttempts: 0,
      steps: {},
    };
  }

  /** Takes the run lock on the record (recording the trigger if it is new) and continues where it stands. */
  private async lockAndContinue(candidate: FailoverState, request?: RecordedRequest): Promise<FailoverResult> {
    const mine: FailoverState = { ...candidate, leaseOwner: this.options.runId, leaseExpiresAt: this.lockExpiry() };
    const acquired = await this.retry('acquire failover lock', () => this.ports.store.acquire(mine, this.ports.clock.now()));
    if (!acquired.acquired) {
      const held = acquired.state;
      if (held.status === 'completed') return this.finish('already_completed', completedMessage(held), held);
      const message = `Failover ${held.runId} already in progress (run lock held by ${held.leaseOwner} until `
        + `${new Date(held.leaseExpiresAt).toISOString()}); ${held.phase === 'deciding' ? `deciding: ${held.lastDecision ?? 'first evaluation'}` : `steps not done: ${pendingSteps(held).join(', ') || 'none'}`}`;
      return this.finish('already_in_progress', message, held);
    }
    this.state = acquired.state;
    if (this.current.phase === 'deciding') {
      // An operator's newer intent (force, switchover, confirmation) replaces what a waiting decision had.
      if (request && request.trigger === 'operator' && acquired.resumed) {
        await this.save({ ...this.current, request, mode: request.switchover ? 'switchover' : 'failover', force: request.force, reason: request.reason, sentAlerts: [] });
      }
      return this.decideUntilSettled();
    }
    if (acquired.resumed) await this.notifyOnce('resuming', `Resuming failover ${this.current.runId} (${this.current.mode}); steps not done: ${pendingSteps(this.current).join(', ')}`);
    return this.act();
  }

  /** Re-evaluates the decision with backoff while this run lives; leaves it recorded for `resume` otherwise. */
  private async decideUntilSettled(): Promise<FailoverResult> {
    const { clock } = this.ports;
    for (;;) {
      const started = clock.now();
      if (started + this.settings.primaryProbeAttempts * this.settings.primaryProbeTimeoutMs >= this.options.deadline) {
        // A decision that keeps going back (a lease take that conflicts each time) must still end inside the run.
        await this.save({ ...this.current, leaseExpiresAt: started });
        return this.finish('waiting', `Failover ${this.current.runId} waits: ${this.current.lastDecision ?? 'the run reached its deadline'}`, this.current);
      }
      const verdict = await this.decide(this.current.request);
      const attempts = this.current.decisionAttempts + 1;
      const lag = verdict.kind !== 'close' && verdict.lagSeconds !== undefined && this.current.lagSecondsAtDecision === undefined
        ? this.recordedEstimate(verdict.lagSeconds) : {};
      if (verdict.kind === 'proceed') return this.startActing(verdict, started, attempts);
      if (verdict.kind === 'close') {
        await this.save({ ...this.current, status: 'aborted', decisionAttempts: attempts, lastDecision: verdict.message, leaseExpiresAt: clock.now() });
        await this.notify(verdict.outcome === 'false_alarm' ? 'false alarm, no promotion' : 'refused', verdict.message);
        return this.finish(verdict.outcome, verdict.message, this.current);
      }
      const backoff = Math.min(this.settings.decisionRetry.baseDelayMs * 2 ** Math.min(attempts - 1, 20), this.settings.decisionRetry.maxDelayMs);
      const nextAt = Math.max(verdict.retryAt ?? 0, clock.now() + backoff);
      await this.save({ ...this.current, decisionAttempts: attempts, lastDecision: verdict.reason, ...lag });
      await this.notifyOnce(`waiting: ${verdict.reason.split(':')[0]}`, `Failover ${this.current.runId} waits: ${verdict.reason}. `
        + 'The decision is re-evaluated until it can proceed or an operator sends {"action":"cancel","reason":"..."}.');
      if (nextAt + this.settings.primaryProbeAttempts * this.settings.primaryProbeTimeoutMs >= this.options.deadline) {
        await this.save({ ...this.current, leaseExpiresAt: clock.now() }); // free for the next trigger or resume
        return this.finish('waiting', `Failover ${this.current.runId} waits (attempt ${attempts}): ${verdict.reason}`, this.current);
      }
      this.ports.logger.info('decision waits', { reason: verdict.reason, retryInMs: nextAt - clock.now() });
      await clock.sleep(Math.max(0, nextAt - clock.now()));
    }
  }

  /**
   * Should we act, and how? The write lease is the authority: the DR side acts only once the primary's keeper
   * has stopped renewing it for longer than its time to live plus a margin (the keeper fences the primary itself
   * before then), or with the primary's cooperation (planned switchover). Probes and RDS status only explain.
   */
  private async decide(request: RecordedRequest): Promise<Verdict> {
    const primary = await this.verifyPrimary();
    const operator = request.trigger === 'operator';

    if (request.switchover) {
      if (!primary.answers) {
        return { kind: 'close', outcome: 'refused', message: `Switchover refused: the primary does not answer (${primary.detail}). A switchover needs a live primary `
          + 'to freeze; if it is really gone, send {"action":"failover","confirmPrimaryDead":true,"reason":"..."} (still waits for its write lease to run out).' };
      }
    } else if (primary.answers) {
      // A primary that answers is never failed over: only a switchover (freeze, catch up) may move a live writer. An
      // expired lease does not change that — it means the keeper stopped renewing, and a keeper that does not run has
      // not fenced its primary either: promoting now would make a second writer.
      const lease = this.ports.lease ? await this.readLeaseOrUndefined() : undefined;
      if (lease?.holder !== 'dr') {
        const keeperSilent = lease !== undefined && this.ports.clock.now() >= takeoverAllowedAt(lease, this.settings)
          ? ` Its write lease expired at ${new Date(lease.expiresAt).toISOString()} and was not renewed: the primary's lease keeper is not running (see the lease-keeper-not-holding alarm).`
          : '';
        return { kind: 'close', outcome: 'false_alarm', message: `False alarm: the primary answers (${primary.detail}); nothing promoted.${keeperSilent} `
          + 'For a planned switchover of a live primary an operator must pass "switchover": true.' };
      }
    } else if (operator && !request.confirmPrimaryDead && servesPerControlPlane(primary.controlPlane)) {
      return { kind: 'close', outcome: 'refused', message: `Refused: RDS reports the primary ${primary.status} (serving) although the probes failed (${primary.detail}). `
        + 'Nothing promoted. If the primary is really gone, repeat with "confirmPrimaryDead": true; for a planned move use "switchover": true.' };
    }

    const authority = await this.checkWriteAuthority(request, primary.answers);
    const estimateLag = () => this.latestLag({
      ...(primary.firstFailureAt !== undefined ? { firstFailedProbeAt: new Date(primary.firstFailureAt) } : {}),
      ...(this.primaryLeaseExpiresAt !== undefined ? { primaryLeaseExpiresAt: new Date(this.primaryLeaseExpiresAt) } : {}),
    });
    if (authority) {
      // Estimated (and recorded) while waiting too: by the time the lease may be taken, the monitor's samples from
      // before the failure may have aged out of its look-back, and an estimate lost to age would read "unknown".
      if (authority.kind !== 'wait' || primary.answers || this.current.lagSecondsAtDecision !== undefined) return authority;
      const early = await estimateLag();
      return early === undefined ? authority : { ...authority, lagSeconds: early };
    }

    const replica = await this.retry('describe replica', () => this.ports.database.describeReplica());
    if (replica.role !== 'replica') {
      return { kind: 'proceed', mode: request.switchover ? 'switchover' : 'failover', primaryDetail: primary.detail, replicaDetail: `DR database already ${replica.role} (status ${replica.status}); continuing without promoting again` };
    }
    const measured = await estimateLag();
    const lagSeconds = measured ?? this.estimateFromRecord();
    const readiness = evaluatePromotionReadiness({
      replica, lagSeconds, maxLagSeconds: this.settings.maxPromotionLagSeconds, requireReplicating: request.switchover,
    });
    if (readiness.blockers.length > 0) {
      if (request.switchover) return { kind: 'close', outcome: 'refused', message: `Switchover refused: ${readiness.blockers.join('; ')}. Nothing done.` };
      return { kind: 'wait', reason: `replica not promotable: ${readiness.blockers.join('; ')}`, ...(lagSeconds !== undefined ? { lagSeconds } : {}) };
    }
    // A switchover loses nothing whatever the lag (it waits for the replica to catch up); a failover is gated.
    if (!request.switchover && !readiness.lagWithinBudget && !request.force) {
      return { kind: 'wait', reason: `${readiness.lagVerdict}: promoting could lose more than the RPO budget; `
        + 'an operator may send {"action":"failover","force":true,"reason":"..."} to accept that', ...(lagSeconds !== undefined ? { lagSeconds } : {}) };
    }
    const lagNote = measured === undefined && lagSeconds !== undefined ? ' (the estimate recorded at the first decision)' : '';
    return {
      kind: 'proceed',
      mode: request.switchover ? 'switchover' : 'failover',
      primaryDetail: primary.detail,
      replicaDetail: `${readiness.lagVerdict}${lagNote}${readiness.lagWithinBudget || request.switchover ? '' : ' — overridden by operator force'}`,
      ...(lagSeconds !== undefined ? { lagSeconds } : {}),
    };
  }

  /** The fields that record a lag estimate together with the lease expiry it assumed. */
  private recordedEstimate(lagSeconds: number): Pick<FailoverState, 'lagSecondsAtDecision' | 'lagEstimateLeaseExpiresAt'> {
    return { lagSecondsAtDecision: lagSeconds, ...(this.primaryLeaseExpiresAt !== undefined ? { lagEstimateLeaseExpiresAt: this.primaryLeaseExpiresAt } : {}) };
  }

  /**
   * The recorded estimate, extended by every renewal since: a primary that kept renewing its lease (alive behind a
   * partition) may have committed until its newer expiry, which the recorded figure did not count.
   */
  private estimateFromRecord(): number | undefined {
    const { lagSecondsAtDecision: recorded, lagEstimateLeaseExpiresAt: assumed } = this.current;
    if (recorded === undefined) return undefined;
    if (assumed === undefined || this.primaryLeaseExpiresAt === undefined || this.primaryLeaseExpiresAt <= assumed) return recorded;
    return recorded + (this.primaryLeaseExpiresAt - assumed) / 1000;
  }

  /** `undefined` when the write authority allows acting now; otherwise why (and when) to look again. */
  private async checkWriteAuthority(request: RecordedRequest, primaryAnswers: boolean): Promise<Verdict | undefined> {
    if (!this.ports.lease || this.settings.failoverMode === 'manual-confirm') {
      if (request.switchover) return undefined; // the orchestrator freezes the live primary itself, verified
      if (request.trigger === 'operator' && request.confirmPrimaryDead) return undefined;
      return { kind: 'wait', reason: 'manual confirmation required: in manual-confirm mode only an operator who has made sure the primary is gone may start a promotion '
        + '({"action":"failover","confirmPrimaryDead":true,"reason":"..."})' };
    }
    let lease: WriteLease | undefined;
    try {
      lease = await this.retry('read write lease', () => this.ports.lease!.read());
    } catch (error) {
      return { kind: 'wait', reason: `write lease unreadable: ${describeError(error)} (the DR side may be cut off from the quorum; it must not act alone)` };
    }
    if (!lease) return { kind: 'wait', reason: 'no write lease established: the primary\'s keeper never ran, so nothing proves the primary has stopped writing' };
    if (lease.holder === 'dr') return undefined;
    if (request.switchover) return primaryAnswers ? undefined : { kind: 'wait', reason: 'switchover: primary does not answer' };
    const allowedAt = takeoverAllowedAt(lease, this.settings);
    this.primaryLeaseExpiresAt = lease.expiresAt;
    if (this.ports.clock.now() < allowedAt) {
      return { kind: 'wait', retryAt: allowedAt, reason: `write lease held by the primary: ${describeLease(lease)}; takeover allowed from ${new Date(allowedAt).toISOString()} `
        + '(its keeper is renewing it or fences the primary before then)' };
    }
    return undefined;
  }

  private async readLeaseOrUndefined(): Promise<WriteLease | undefined> {
    try {
      return await this.retry('read write lease', () => this.ports.lease!.read());
    } catch {
      return undefined;
    }
  }

  private async startActing(verdict: Extract<Verdict, { kind: 'proceed' }>, decidedFrom: number, attempts: number): Promise<FailoverResult> {
    const now = this.ports.clock.now();
    const seconds = this.secondsSince(decidedFrom);
    const { mode } = verdict;
    await this.save({
      ...this.current,
      phase: 'acting',
      mode,
      decisionAttempts: attempts,
      lastDecision: 'proceed',
      ...(verdict.lagSeconds !== undefined && this.current.lagSecondsAtDecision === undefined ? this.recordedEstimate(verdict.lagSeconds) : {}),
      steps: {
        ...this.current.steps,
        [FAILOVER_STEPS.verifyPrimaryDown]: doneStep(decidedFrom, seconds, mode === 'failover' ? `primary down: ${verdict.primaryDetail}` : `switchover of a live primary: ${verdict.primaryDetail}`, now),
        [FAILOVER_STEPS.checkReplica]: doneStep(decidedFrom, 0, verdict.replicaDetail, now),
      },
    });
    this.ports.logger.info('failover decision: proceed', { mode, force: this.current.force, detail: verdict.replicaDetail });
    await this.recordMetrics(DECISION_STEPS.map((step) => ({
      name: FailoverMetric.FailoverStepSeconds, value: this.current.steps[step]?.seconds ?? 0, unit: 'Seconds' as const, dimensions: { [FAILOVER_STEP_DIMENSION]: step },
    })));
    await this.notify('proceeding', `Failover ${this.current.runId} proceeding (${mode}${this.current.force ? ', FORCED' : ''}). `
      + `${this.current.steps[FAILOVER_STEPS.verifyPrimaryDown]?.detail}. ${verdict.replicaDetail}.`);
    return this.act();
  }

  private async act(): Promise<FailoverResult> {
    const mode = this.current.mode;
    for (const step of ACTION_STEPS[mode]) {
      if (this.current.steps[step]?.status === 'done') continue;
      let outcome: StepOutcome;
      try {
        outcome = await this.runStep(step, () => this.perform(step));
      } catch (error) {
        if (error instanceof BackToDecision) return this.backToDecision(error.message);
        if (error instanceof AbandonSwitchover) return this.undoAndClose('aborted', `switchover abandoned: ${error.message}`);
        throw error;
      }
      if (!outcome.done && !NON_BLOCKING_STEPS.has(step)) break;
    }
    return this.conclude();
  }

  private perform(step: StepName): Promise<StepOutcome> {
    switch (step) {
      case FAILOVER_STEPS.takeWriteLease: return this.takeWriteLease();
      case FAILOVER_STEPS.freezePrimary: return this.freezePrimary();
      case FAILOVER_STEPS.catchUp: return this.catchUp();
      case FAILOVER_STEPS.publishDnsSignal: return this.publishDnsSignal();
      case FAILOVER_STEPS.promoteReplica: return this.promote();
      case FAILOVER_STEPS.waitForWriter: return this.waitForWriter();
      case FAILOVER_STEPS.pinDnsRecord: return this.pinDnsRecord();
      case FAILOVER_STEPS.fenceOldPrimary: return this.fence();
      default: throw new Error(`step ${step} is not an action step`);
    }
  }

  /** The one way to write authority on the DR side: a conditional write of the lease (never without it). */
  private async takeWriteLease(): Promise<StepOutcome> {
    const store = this.ports.lease;
    if (!store || this.settings.failoverMode === 'manual-confirm') {
      return { done: true, detail: this.current.mode === 'switchover'
        ? 'no write lease store (manual-confirm mode): the old primary is frozen at the database next, verified'
        : 'no write lease store (manual-confirm mode): acting on the operator\'s confirmation that the primary is gone' };
    }
    const current = await this.retry('read write lease', () => store.read());
    if (current?.holder === 'dr') {
      await this.save({ ...this.current, writeLeaseEpoch: current.epoch });
      return { done: true, detail: `already held by the DR side (epoch ${current.epoch})` };
    }
    if (!current) throw new BackToDecision('no write lease established');
    const now = this.ports.clock.now();
    if (this.current.mode === 'failover' && now < takeoverAllowedAt(current, this.settings)) {
      throw new BackToDecision(`the primary renewed its write lease meanwhile (${describeLease(current)})`);
    }
    const next: WriteLease = { holder: 'dr', epoch: current.epoch + 1, expiresAt: HELD_UNTIL_RELEASED, writtenBy: this.options.runId, writtenAt: now };
    try {
      await this.retry('take write lease', () => store.compareAndSet(current, next));
    } catch (error) {
      if (error instanceof LeaseConflictError) throw new BackToDecision(`the write lease changed while taking it (${describeLease(error.current)})`);
      throw error;
    }
    await this.save({ ...this.current, writeLeaseEpoch: next.epoch });
    return { done: true, detail: this.current.mode === 'switchover'
      ? `write lease epoch ${next.epoch} handed over from the live primary (its keeper fences it at its next renewal)`
      : `write lease epoch ${next.epoch} taken: the primary's lease expired at ${new Date(current.expiresAt).toISOString()} and was not renewed` };
  }

  private async freezePrimary(): Promise<StepOutcome> {
    const frozen = await this.retry('freeze old primary', () => this.ports.database.freezePrimary());
    await this.save({ ...this.current, frozenAtLsn: frozen.flushLsn });
    return { done: true, detail: `old primary read-only at the database, sessions cut, verified; WAL flushed to ${frozen.flushLsn} (${frozen.detail})` };
  }

  /** Zero loss: promote only once the replica has replayed everything the frozen primary flushed. */
  private async catchUp(): Promise<StepOutcome> {
    const target = this.current.frozenAtLsn;
    if (!target) throw new Error('catch-up without a frozen WAL position');
    const { clock, database } = this.ports;
    const stepStart = this.current.steps[FAILOVER_STEPS.catchUp]?.startedAt;
    const giveUpAt = (stepStart ? Date.parse(stepStart) : clock.now()) + this.settings.catchUpTimeoutMs;
    let last = 'not read yet';
    for (;;) {
      try {
        const replay = await database.replicaReplayLsn();
        if (replay === undefined) return { done: true, detail: 'the DR database is no longer in recovery' };
        last = replay;
        if (lsnReached(replay, target)) return { done: true, detail: `replica replayed ${replay} ≥ the frozen primary's ${target}: nothing to lose` };
      } catch (error) {
        last = `unreadable: ${describeError(error)}`;
      }
      if (clock.now() >= giveUpAt) throw new AbandonSwitchover(`the replica did not replay up to ${target} within ${formatSeconds(this.settings.catchUpTimeoutMs / 1000)} (last: ${last})`);
      if (clock.now() + this.settings.writerPollIntervalMs >= this.options.deadline) {
        return { done: false, detail: `replica at ${last}, waiting for ${target}; resume continues` };
      }
      await clock.sleep(this.settings.writerPollIntervalMs);
    }
  }

  private async publishDnsSignal(): Promise<StepOutcome> {
    await this.retry('publish DNS failover signal', () => this.ports.dns.publishFailoverSignal());
    await this.save({ ...this.current, failedOver: true });
    return { done: true, detail: 'FailedOver=1 published before promotion: the writer name leaves the old primary' };
  }

  private async promote(): Promise<StepOutcome> {
    const replica = await this.retry('describe replica', () => this.ports.database.describeReplica());
    if (replica.role !== 'replica') return { done: true, detail: `already ${replica.role} (status ${replica.status}); not promoting again` };
    await this.requestPromotion();
    return { done: true, detail: `promotion requested (replica was ${replica.status})` };
  }

  /** Write-ahead: the intent is stored before the request, so a crash after it can never read as "nothing happened". */
  private async requestPromotion(): Promise<void> {
    const now = new Date(this.ports.clock.now()).toISOString();
    await this.save({ ...this.current, promoteRequestedAt: this.current.promoteRequestedAt ?? now, promoteRequests: (this.current.promoteRequests ?? 0) + 1 });
    await this.retry('promote replica', () => this.ports.database.promoteReplica());
  }

  /** Done only when the database itself is out of recovery and takes a test write (not when RDS says so). */
  private async waitForWriter(): Promise<StepOutcome> {
    const { clock, database, logger } = this.ports;
    const start = clock.now();
    const waitUntil = Math.min(start + this.settings.promotionTimeoutSeconds * 1000, this.options.deadline);
    let last = 'not described yet';
    let pollsAsReplica = 0;
    for (;;) {
      try {
        const replica = await database.describeReplica();
        last = `${replica.role}/${replica.status}`;
        if (replica.role === 'replica') {
          pollsAsReplica += 1;
          if (pollsAsReplica >= this.settings.repromoteAfterPolls) {
            logger.warn('still a replica after the promotion request: asking again', { polls: pollsAsReplica });
            pollsAsReplica = 0;
            await this.requestPromotion();
          }
        } else if (replica.role === 'writer' && replica.available) {
          const check = await database.verifyWriter();
          last = `${last}; ${check.detail}`;
          if (check.writable) {
            const recoveredAt = clock.now();
            await this.save({ ...this.current, recoveredAt: new Date(recoveredAt).toISOString() });
            await this.recordMetrics([{ name: FailoverMetric.FailoverDurationSeconds, value: roundSeconds((recoveredAt - Date.parse(this.current.startedAt)) / 1000), unit: 'Seconds' }]);
            return { done: true, detail: `DR database is a writer: ${check.detail}` };
          }
        }
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        last = `check failed: ${describeError(error)}`;
        logger.warn('waiting for writer: check failed', { error: describeError(error) });
      }
      if (clock.now() + this.settings.writerPollIntervalMs > waitUntil) {
        return { done: false, detail: `not yet a writer after ${formatSeconds(this.secondsSince(start))} (last: ${last}); resume continues waiting` };
      }
      await clock.sleep(this.settings.writerPollIntervalMs);
    }
  }

  private async pinDnsRecord(): Promise<StepOutcome> {
    await this.retry('pin writer DNS record to DR', () => this.ports.dns.pinWriterToDr());
    return { done: true, detail: 'PRIMARY writer record now points at the DR database' };
  }

  /** Done only when the fence is verified in effect; otherwise pending, retried by every resume. */
  private async fence(): Promise<StepOutcome> {
    const fenced = await this.retry('fence old primary', () => this.ports.database.fencePrimary());
    const summary = `old primary ${fenced.isolated ? 'isolated' : 'NOT isolated'}${fenced.stopped ? ' and stopping' : ', not stopped'}${fenced.detail ? ` (${fenced.detail})` : ''}`;
    return fenced.verified ? { done: true, detail: `${summary}; verified` } : { done: false, detail: `${summary}; not verified yet` };
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
      if (failure instanceof LeaseLostError || failure instanceof BackToDecision || failure instanceof AbandonSwitchover) throw failure;
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
      await this.recordMetrics([{ name: FailoverMetric.FailoverStepSeconds, value: record.seconds, unit: 'Seconds', dimensions: { [FAILOVER_STEP_DIMENSION]: step } }]);
    } else {
      logger.error('step not done', { step, seconds, detail: outcome.detail });
      await this.notifyOnce(`step ${step} not done`, `${step}: ${outcome.detail}. State is kept; the next resume retries it.`);
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
    if (complete) await this.notify('completed', message);
    else await this.notifyOnce(`incomplete: ${pending.join(', ')}`, message);
    return this.finish(complete ? 'completed' : 'pending', message, this.current, timeline);
  }

  /** A step found the decision no longer holds: nothing was promoted, so decide again. */
  private async backToDecision(reason: string): Promise<FailoverResult> {
    if (isPromoted(this.current)) throw new Error(`cannot return to the decision after a promotion request: ${reason}`);
    this.ports.logger.warn('back to decision', { reason });
    const { [FAILOVER_STEPS.takeWriteLease]: _taken, ...steps } = this.current.steps;
    await this.save({ ...this.current, phase: 'deciding', lastDecision: reason, steps });
    return this.decideUntilSettled();
  }

  /**
   * Undoes what a failover did before any promotion request (lease, freeze, DNS signal) and closes the record.
   * THROWS (state kept) if any undo fails; the operator's cancel can be repeated.
   */
  private async undoAndClose(outcome: 'aborted', reason: string): Promise<FailoverResult> {
    if (isPromoted(this.current)) throw new Error(`cannot undo: promotion was requested at ${this.current.promoteRequestedAt}`);
    const undone: string[] = [];
    if (this.current.failedOver) {
      await this.retry('withdraw DNS failover signal', () => this.ports.dns.withdrawFailoverSignal());
      await this.save({ ...this.current, failedOver: false });
      undone.push('failed-over signal withdrawn');
    }
    if (this.current.frozenAtLsn !== undefined || this.current.steps[FAILOVER_STEPS.freezePrimary]) {
      await this.retry('thaw old primary', () => this.ports.database.thawPrimary());
      undone.push('primary writable again');
    }
    if (this.current.writeLeaseEpoch !== undefined && this.ports.lease) {
      undone.push(await this.handLeaseBack(this.ports.lease, this.current.writeLeaseEpoch));
    }
    await this.save({ ...this.current, status: 'aborted', leaseExpiresAt: this.ports.clock.now(), lastDecision: reason });
    const message = `Failover ${this.current.runId} ${outcome}: ${reason}. Nothing was promoted${undone.length ? `; ${undone.join('; ')}` : ''}.`;
    await this.notify(outcome, message);
    return this.finish(outcome, message, this.current);
  }

  /** Returns the lease to the primary's keeper (which renews it and lifts its fence). */
  private async handLeaseBack(store: WriteLeaseStore, epoch: number): Promise<string> {
    const current = await this.retry('read write lease', () => store.read());
    if (current?.holder !== 'dr' || current.epoch !== epoch) return `write lease not ours any more (${describeLease(current)})`;
    const now = this.ports.clock.now();
    await this.retry('hand write lease back', () => store.compareAndSet(current, {
      holder: 'primary', epoch: epoch + 1, expiresAt: now, writtenBy: this.options.runId, writtenAt: now,
    }));
    return `write lease handed back to the primary (epoch ${epoch + 1})`;
  }

  private async cancel(existing: FailoverState | undefined, reason: string): Promise<FailoverResult> {
    if (!existing || existing.status !== 'in_progress') return this.finish('nothing_to_resume', 'No unfinished failover to cancel', existing);
    if (isPromoted(existing)) {
      return this.finish('refused', `Cannot cancel failover ${existing.runId}: promotion was requested at ${existing.promoteRequestedAt}. `
        + 'The DR database is (becoming) the writer; fail back deliberately with the runbook.', existing);
    }
    const acquired = await this.retry('acquire failover lock', () => this.ports.store.acquire({ ...existing, leaseOwner: this.options.runId, leaseExpiresAt: this.lockExpiry() }, this.ports.clock.now()));
    if (!acquired.acquired) return this.finish('already_in_progress', `A run is acting on failover ${existing.runId} until ${new Date(acquired.state.leaseExpiresAt).toISOString()}; cancel again after it`, acquired.state);
    this.state = acquired.state;
    return this.undoAndClose('aborted', `cancelled by operator: ${reason}`);
  }

  /** Turns an unexpected error into a clear, resumable report, and frees the run lock. */
  async fail(error: unknown): Promise<FailoverResult> {
    if (error instanceof LeaseLostError) {
      const message = `Stopped: another run took over the failover (${error.message})`;
      this.ports.logger.warn('lease lost', { runId: this.options.runId, error: error.message });
      return this.finish('lease_lost', message, this.state);
    }
    const promoted = this.state ? isPromoted(this.state) : false;
    if (this.state?.leaseOwner === this.options.runId) {
      try {
        this.state = await this.ports.store.save({ ...this.state, leaseExpiresAt: this.ports.clock.now() });
      } catch (releaseError) {
        this.ports.logger.error('could not release the run lock; it expires on its own', { error: describeError(releaseError) });
      }
    }
    const message = `Failover run ${this.options.runId} failed: ${describeError(error)}. `
      + (this.state ? 'Progress is stored; the scheduled resume continues.' : 'Nothing was recorded or promoted.');
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

  /** Probes the primary (data plane) and reads its control plane; "answers" has one meaning (`serverAnswered`). */
  private async verifyPrimary(): Promise<{ answers: boolean; detail: string; controlPlane: ControlPlaneHealth; status: string; firstFailureAt?: number }> {
    const { database, clock, logger } = this.ports;
    const failures: string[] = [];
    let answers = false;
    let probeDetail = '';
    let firstFailureAt: number | undefined;
    for (let attempt = 1; attempt <= this.settings.primaryProbeAttempts; attempt++) {
      const probe = await database.probePrimary(this.settings.primaryProbeTimeoutMs);
      logger.info('primary probe', { attempt, ...probe });
      if (serverAnswered(probe)) {
        answers = true;
        probeDetail = `probe ${attempt} answered in ${probe.latencyMs} ms${probe.error ? ` (${probe.error})` : ''}`;
        break;
      }
      failures.push(probe.error ?? 'unreachable');
      firstFailureAt ??= clock.now();
      if (attempt < this.settings.primaryProbeAttempts) await clock.sleep(this.settings.primaryProbeIntervalMs);
    }
    let controlPlane: ControlPlaneHealth = 'unknown';
    let status = 'unknown';
    let controlDetail: string;
    try {
      status = (await database.describePrimary()).status;
      controlPlane = classifyInstanceStatus(status);
      controlDetail = `control plane status ${status} (${controlPlane})`;
    } catch (error) {
      controlDetail = `control plane unreachable (${describeError(error)})`;
    }
    const dataDetail = answers ? probeDetail : `${failures.length} probes failed (last: ${failures[failures.length - 1]})`;
    return { answers, detail: `${dataDetail}; ${controlDetail}`, controlPlane, status, ...(answers ? {} : { firstFailureAt }) };
  }

  /** Unknown lag (no measurement, or the source failing) is reported as `undefined`: never promote on doubt. */
  private async latestLag(evidence: PrimaryEndEvidence): Promise<number | undefined> {
    try {
      return await this.retry('read replication lag', () => this.ports.database.replicationLagSeconds(evidence));
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
      isRetryable: (error) => !(error instanceof LeaseLostError) && !(error instanceof LeaseConflictError),
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

  /** For situations that persist across runs (a pending fence, a waiting decision): one alert per change, not per run. */
  private async notifyOnce(what: string, message: string): Promise<void> {
    if (this.state && this.current.sentAlerts?.includes(what)) {
      this.ports.logger.info('repeated alert suppressed', { what });
      return;
    }
    await this.notify(what, message);
    if (this.state) await this.save({ ...this.current, sentAlerts: [...(this.current.sentAlerts ?? []), what].slice(-MAX_REMEMBERED_ALERTS) });
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

  private lockExpiry(): number {
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
