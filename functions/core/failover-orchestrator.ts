import {
  backOnConfiguredPair, describeMember, describeRoles, otherSide, rolesAfter, sameMember, writerNameFailedOver,
  type DatabaseMember, type DatabasePair, type EstateRoles,
} from './estate-roles';
import type { FailoverRequest } from './failover-request';
import { formatSeconds } from './format-seconds';
import type { PrimaryEndEvidence } from './lag-at-primary-failure';
import { classifyInstanceStatus, servesPerControlPlane, serverAnswered, type ControlPlaneHealth } from './instance-health';
import { lsnReached } from './lsn';
import { FAILOVER_STEP_DIMENSION, FailoverMetric } from './metric-names';
import {
  LeaseLostError, ReplicaTargetConflictError,
  type Alerts, type Clock, type DatabaseControl, type DatabaseFleet, type Dns, type FailoverMode, type FailoverState,
  type FailoverStateStore, type Logger, type Metrics, type OperationSummary, type RecordedRequest, type ReplicaProvisioning, type RetirementProgress,
  type ReplicaTargetStatus, type StepRecord,
} from './ports';
import { evaluatePromotionReadiness } from './promotion-readiness';
import { describeError, withRetry, type RetryPolicy } from './retry';
import { buildTimeline, formatTimeline, roundSeconds, type FailoverTimeline } from './timeline';
import {
  describeLease, LeaseConflictError, leaseFor, leaseHeldBy, takeoverAllowedAt, type WriteLease, type WriteLeaseStore,
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
  /**
   * The estate's databases by role: needed to act on any pair but the configured one (re-protection, fail-back).
   * Absent: every record acts on the configured pair through `database`.
   */
  readonly fleet?: DatabaseFleet;
  /** Creates re-protection replicas; absent: `reprotect` is refused as not configured. */
  readonly reprotection?: ReplicaProvisioning;
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
  /** Re-protection: pause between two looks at the new replica (RDS takes minutes to hours to create one). */
  readonly replicaPollIntervalMs: number;
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
  replicaPollIntervalMs: 30_000,
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
  | 'already_completed'   // an earlier failover (or re-protection) finished; nothing to do
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
  retireOldWriter: 'retireOldWriter',
  createReplica: 'createReplica',
  replicateBackups: 'replicateBackups',
  waitForReplica: 'waitForReplica',
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
  // No decision phase (its conditions are checked before the record is written), no promotion, no DNS change.
  reprotect: [FAILOVER_STEPS.retireOldWriter, FAILOVER_STEPS.createReplica, FAILOVER_STEPS.replicateBackups, FAILOVER_STEPS.waitForReplica],
};

/** Until the configured pair is known (`FailoverPorts.fleet`), records act on it without naming it. */
const UNNAMED_PAIR: DatabasePair = { writer: { side: 'primary', instanceId: 'primary' }, replica: { side: 'dr', instanceId: 'dr' } };
/** Earlier records remembered by the one that replaces them. */
const MAX_HISTORY = 20;

/** Steps whose failure stops the run: nothing after them is safe or useful until they succeed. */
const NON_BLOCKING_STEPS: ReadonlySet<StepName> = new Set([FAILOVER_STEPS.pinDnsRecord, FAILOVER_STEPS.fenceOldPrimary]);

type StepOutcome = { readonly done: boolean; readonly detail: string };

/** Thrown by a step that found the decision no longer holds (only possible before any promotion request). */
class BackToDecision extends Error {}
/** Thrown by the switchover's catch-up when the replica did not catch up in time: undo and close. */
class AbandonSwitchover extends Error {}
/** Thrown by a re-protection step that can never succeed as configured (the target name is taken): close, refused. */
class RefuseReprotection extends Error {}

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
export async function readFailoverStatus(ports: Pick<FailoverPorts, 'store' | 'clock' | 'fleet'>): Promise<FailoverResult> {
  const state = await ports.store.read();
  const roles = ports.fleet ? ` Roles: ${describeRoles(rolesAfter(state, ports.fleet.configured))}.` : '';
  if (!state) return { outcome: 'nothing_to_resume', message: `No failover has been recorded.${roles}`, promoted: false };
  const timeline = buildTimeline(state, stepOrder(state.mode), ports.clock.now());
  const outcome: FailoverOutcome = state.status === 'completed' ? 'completed' : state.status === 'aborted' ? 'aborted'
    : state.phase === 'deciding' ? 'waiting' : 'pending';
  const message = state.phase === 'deciding' && state.status === 'in_progress'
    ? `${labelOf(state.mode)} ${state.runId} is waiting for its decision (attempt ${state.decisionAttempts}): ${state.lastDecision ?? 'not evaluated yet'}`
    : `${labelOf(state.mode)} ${state.runId} is ${state.status}; ${pendingSteps(state).length} step(s) not done: ${pendingSteps(state).join(', ') || 'none'}`;
  return { outcome, message: `${message}${roles}`, promoted: isPromoted(state), state, timeline };
}

function stepOrder(mode: FailoverMode): readonly StepName[] {
  return mode === 'reprotect' ? ACTION_STEPS.reprotect : [...DECISION_STEPS, ...ACTION_STEPS[mode]];
}

/** How reports name a record: `Failover …`, `Switchover …` (back toward a re-protection replica), `Re-protection …`. */
function labelOf(mode: FailoverMode): string {
  return mode === 'reprotect' ? 'Re-protection' : 'Failover';
}

function summaryOf(state: FailoverState, configured: DatabasePair): OperationSummary {
  return {
    runId: state.runId, mode: state.mode, status: state.status, trigger: state.trigger, startedAt: state.startedAt,
    ...(state.completedAt ? { completedAt: state.completedAt } : {}),
    roles: describeRoles(rolesAfter(state, configured)),
  };
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
  /** `DatabaseControl` of the record's pair when it is not the configured one (built once per pair). */
  private pairControl: { readonly pair: DatabasePair; readonly control: DatabaseControl } | undefined;
  /** Why the last lag estimate was unknown, as its source explained it (for the operator's wait message). */
  private unknownLagBasis: string | undefined;

  constructor(
    private readonly ports: FailoverPorts,
    private readonly settings: FailoverSettings,
    private readonly options: RunOptions,
  ) {}

  async run(request: FailoverRequest): Promise<FailoverResult> {
    this.ports.logger.info('failover run started', { runId: this.options.runId, request });
    const existing = await this.retry('read failover state', () => this.ports.store.read());

    if (request.trigger === 'cancel') return this.cancel(existing, request.reason);
    if (request.trigger === 'reprotect') return this.reprotect(existing, request.reason);
    if (request.trigger === 'resume') {
      if (!existing || existing.status === 'aborted') return this.finish('nothing_to_resume', 'No unfinished failover to resume');
      if (existing.status === 'completed') return this.finish('already_completed', this.completedMessage(existing), existing);
      return this.lockAndContinue(existing);
    }

    const wanted = recordedRequest(request);
    const requester = request.trigger === 'alarm' ? `alarm ${request.alarmName}` : 'operator';
    await this.notify('requested', `Failover requested by ${requester}: ${request.reason || '(no reason given)'}`);
    let current = existing;
    for (;;) {
      if (current?.status === 'completed' && !this.mayFollow(current, wanted)) return this.finish('already_completed', this.completedMessage(current), current);
      let entered: FailoverResult;
      if (current?.status === 'in_progress') {
        const busy = this.busyWith(current, wanted);
        if (busy) return busy;
        entered = await this.lockAndContinue(current, wanted);
      } else {
        entered = await this.startRecord(wanted, current);
      }
      if (!(await this.waitedForOperatorDecision(entered, wanted))) return entered;
      current = await this.retry('read failover state', () => this.ports.store.read());
    }
  }

  /** The configured pair (what the infrastructure deployed), or a placeholder when the fleet is not wired. */
  private get configured(): DatabasePair {
    return this.ports.fleet?.configured ?? UNNAMED_PAIR;
  }

  /** The pair the current record acts on. */
  private get pair(): DatabasePair {
    return this.current.pair ?? this.configured;
  }

  private get onConfiguredPair(): boolean {
    return this.current.pair === undefined;
  }

  /** How reports name the writer this record replaces and the replica it promotes (the configured pair as before). */
  private get writerName(): string {
    return this.onConfiguredPair ? 'old primary' : `old writer ${describeMember(this.pair.writer)}`;
  }

  private get replicaName(): string {
    return this.onConfiguredPair ? 'DR database' : describeMember(this.pair.replica);
  }

  /** `DatabaseControl` over the current record's pair: the configured one, or the fleet's binding of another. */
  private get database(): DatabaseControl {
    const pair = this.state?.pair;
    if (!pair) return this.ports.database;
    if (!this.ports.fleet) throw new Error(`${labelOf(this.current.mode)} ${this.current.runId} acts on ${describeMember(pair.writer)} → ${describeMember(pair.replica)}, but this deployment has no database fleet to reach them`);
    if (!this.pairControl || !sameMember(this.pairControl.pair.writer, pair.writer) || !sameMember(this.pairControl.pair.replica, pair.replica)) {
      this.pairControl = { pair, control: this.ports.fleet.control(pair) };
    }
    return this.pairControl.control;
  }

  /** The write lease authorizes the replica this record promotes (a failover or switchover already took it). */
  private targetHoldsLease(lease: WriteLease | undefined): boolean {
    return leaseHeldBy(lease, this.pair.replica, this.configured);
  }

  /**
   * A completed record blocks every trigger, except after a completed re-protection: on the configured pair again
   * (failed over, failed back, re-protected back) the estate is as built and every trigger may start a record, alarms
   * included; on any other pair only an operator's planned switchover may: the fail-back, which is never automatic.
   */
  private mayFollow(completed: FailoverState, wanted: RecordedRequest): boolean {
    if (completed.mode !== 'reprotect' || this.ports.fleet === undefined) return false;
    return backOnConfiguredPair(completed) || (wanted.trigger === 'operator' && wanted.switchover);
  }

  /** A re-protection in progress is continued only by `resume` or `reprotect`; an operator changing a fail-back's intent is refused. */
  private busyWith(current: FailoverState, wanted: RecordedRequest): FailoverResult | undefined {
    if (current.mode === 'reprotect') {
      const message = `Re-protection ${current.runId} is in progress (steps not done: ${pendingSteps(current).join(', ') || 'none'}); `
        + 'no failover or switchover while it runs. Cancel it first ({"action":"cancel","reason":"..."}) to move the writer.';
      return this.finish(wanted.trigger === 'operator' ? 'refused' : 'already_in_progress', message, current);
    }
    if (current.pair !== undefined && wanted.trigger === 'operator' && !wanted.switchover) {
      return this.finish('refused', `Refused: ${labelOf(current.mode).toLowerCase()} ${current.runId} moves the writer `
        + `${describeMember(current.pair.writer)} → ${describeMember(current.pair.replica)}, which only a planned switchover may do. Nothing changed.`, current);
    }
    return undefined;
  }

  /**
   * A new failover/switchover record on the roles the previous record left. The configured pair may fail over on an
   * alarm; any other pair (the writer is a database promoted earlier) only by an operator's planned switchover: no
   * keeper renews the lease for such a writer, so nothing could prove it stopped writing.
   */
  private async startRecord(wanted: RecordedRequest, previous: FailoverState | undefined): Promise<FailoverResult> {
    const roles: EstateRoles = this.ports.fleet ? rolesAfter(previous, this.configured) : this.configured;
    if (!roles.replica) {
      const message = `Nothing to fail over to: ${describeRoles(roles)}. Re-protect first ({"action":"reprotect","reason":"..."}); nothing done.`;
      await this.notify('refused', message);
      return this.finish('refused', message, previous);
    }
    const pair: DatabasePair = { writer: roles.writer, replica: roles.replica };
    const configured = sameMember(pair.writer, this.configured.writer) && sameMember(pair.replica, this.configured.replica);
    if (!configured && !wanted.switchover) {
      const message = `Refused: the estate runs on ${describeRoles(roles)}, not on its configured roles. Moving that writer needs an operator's `
        + 'planned switchover ({"action":"failover","switchover":true,"reason":"..."}): its write lease is held until an operator moves it and no '
        + 'keeper renews it, so nothing could prove an unreachable writer stopped writing. Nothing done.';
      await this.notify('refused', message);
      return this.finish('refused', message, previous);
    }
    return this.lockAndContinue(this.newRecord(wanted, previous, configured ? undefined : pair), wanted);
  }

  /**
   * Re-protection: only when the state says the estate is failed over (its writer is a promoted database with no
   * replica) and that writer holds the write lease. Creates (or adopts) a replica of it in the other region, starts the
   * replication of its automated backups there, and waits, across resumes, until both replicate.
   */
  private async reprotect(existing: FailoverState | undefined, reason: string): Promise<FailoverResult> {
    const { fleet, reprotection } = this.ports;
    if (!fleet || !reprotection) {
      return this.finish('refused', 'Re-protection is not configured in this deployment (no replica target settings); nothing done.', existing);
    }
    if (existing?.status === 'in_progress') {
      if (existing.mode === 'reprotect') return this.lockAndContinue(existing);
      return this.finish('refused', `Re-protection refused: ${labelOf(existing.mode).toLowerCase()} ${existing.runId} is in progress `
        + `(${existing.phase === 'deciding' ? 'deciding' : `steps not done: ${pendingSteps(existing).join(', ') || 'none'}`}); re-protect once it completed. Nothing done.`, existing);
    }
    const roles = rolesAfter(existing, fleet.configured);
    if (roles.replica) {
      const already = existing?.status === 'completed' && existing.mode === 'reprotect';
      return this.finish(already ? 'already_completed' : 'refused', `Nothing to re-protect: ${describeRoles(roles)}${existing ? '' : ' (no failover recorded)'}.`, existing);
    }
    const authority = await this.writerAuthorityProblem(roles.writer);
    if (authority) return this.finish('refused', `Re-protection refused: ${authority}. Nothing done.`, existing);
    const target = reprotection.targetFor(roles.writer);
    if (!target) {
      return this.finish('refused', `Re-protection refused: no replica is configured for ${describeMember(roles.writer)} in the ${otherSide(roles.writer.side) === 'primary' ? 'primary' : 'DR'} region. Nothing done.`, existing);
    }
    const successor = [fleet.configured.writer, fleet.configured.replica].find((member) => member.side !== roles.writer.side);
    if (!sameMember(target, successor)) {
      return this.finish('refused', `Re-protection refused: its replica would be ${describeMember(target)}, not ${successor ? describeMember(successor) : 'a database'} `
        + 'the templates name in the other region; only that one lets the estate return to its configured pair. Nothing done.', existing);
    }
    await this.notify('re-protection requested', `Re-protection of ${describeMember(roles.writer)} with a replica ${describeMember(target)} requested by operator: ${reason}`);
    return this.lockAndContinue(this.newReprotection(existing, roles.writer, target, reason));
  }

  /** `undefined` when `writer` holds the write lease (or no lease is kept: manual-confirm); otherwise why not. */
  private async writerAuthorityProblem(writer: DatabaseMember): Promise<string | undefined> {
    if (!this.ports.lease || this.settings.failoverMode === 'manual-confirm') return undefined;
    let lease: WriteLease | undefined;
    try {
      lease = await this.retry('read write lease', () => this.ports.lease!.read());
    } catch (error) {
      return `the write lease is unreadable (${describeError(error)}), so nothing proves ${describeMember(writer)} is the writer`;
    }
    if (leaseHeldBy(lease, writer, this.configured)) return undefined;
    return `the writer ${describeMember(writer)} does not hold the write lease (${describeLease(lease)})`;
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

  private newRecord(request: RecordedRequest, previous: FailoverState | undefined, pair: DatabasePair | undefined): FailoverState {
    return { ...this.freshRecord(request, request.switchover ? 'switchover' : 'failover', 'deciding', previous), ...(pair ? { pair } : {}) };
  }

  private newReprotection(previous: FailoverState | undefined, writer: DatabaseMember, target: DatabaseMember, reason: string): FailoverState {
    const request: RecordedRequest = { trigger: 'operator', reason, force: false, switchover: false, confirmPrimaryDead: false };
    return { ...this.freshRecord(request, 'reprotect', 'acting', previous), reprotect: { writer, target } };
  }

  /** A record of this run, not yet saved: locked by this run, nothing done. */
  private freshRecord(request: RecordedRequest, mode: FailoverState['mode'], phase: FailoverState['phase'], previous: FailoverState | undefined): FailoverState {
    return {
      runId: this.options.runId,
      status: 'in_progress',
      phase,
      mode,
      request,
      trigger: request.trigger,
      reason: request.reason,
      force: request.force,
      startedAt: new Date(this.ports.clock.now()).toISOString(),
      failedOver: false,
      leaseOwner: this.options.runId,
      leaseExpiresAt: this.lockExpiry(),
      version: 0,
      decisionAttempts: 0,
      steps: {},
      ...this.lineage(previous),
    };
  }

  /**
   * What a new record carries from the one it replaces: the writer name's state (a re-protection or fail-back starts
   * failed over), the condition that lets it replace a completed record, and the earlier records in brief.
   */
  private lineage(previous: FailoverState | undefined): Partial<FailoverState> {
    if (!previous) return {};
    return {
      failedOver: writerNameFailedOver(previous),
      ...(previous.status === 'completed' ? { follows: previous.runId } : {}),
      history: [...(previous.history ?? []), summaryOf(previous, this.configured)].slice(-MAX_HISTORY),
    };
  }

  /** Takes the run lock on the record (recording the trigger if it is new) and continues where it stands. */
  private async lockAndContinue(candidate: FailoverState, request?: RecordedRequest): Promise<FailoverResult> {
    const mine: FailoverState = { ...candidate, leaseOwner: this.options.runId, leaseExpiresAt: this.lockExpiry() };
    const acquired = await this.retry('acquire failover lock', () => this.ports.store.acquire(mine, this.ports.clock.now()));
    if (!acquired.acquired) {
      const held = acquired.state;
      if (held.status === 'completed') return this.finish('already_completed', this.completedMessage(held), held);
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
      if (!this.targetHoldsLease(lease)) {
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

    const replica = await this.retry('describe replica', () => this.database.describeReplica());
    if (replica.role !== 'replica') {
      return { kind: 'proceed', mode: request.switchover ? 'switchover' : 'failover', primaryDetail: primary.detail, replicaDetail: `${this.replicaName} already ${replica.role} (status ${replica.status}); continuing without promoting again` };
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
      const why = lagSeconds === undefined && this.unknownLagBasis ? ` (${this.unknownLagBasis})` : '';
      return { kind: 'wait', reason: `${readiness.lagVerdict}${why}: promoting could lose more than the RPO budget; `
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
    if (this.targetHoldsLease(lease)) return undefined;
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
        if (error instanceof RefuseReprotection) return this.closeRefused(error.message);
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
      case FAILOVER_STEPS.retireOldWriter: return this.retireOldWriter();
      case FAILOVER_STEPS.createReplica: return this.createReplica();
      case FAILOVER_STEPS.replicateBackups: return this.replicateBackups();
      case FAILOVER_STEPS.waitForReplica: return this.waitForReplica();
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
    if (current && this.targetHoldsLease(current)) {
      await this.save({ ...this.current, writeLeaseEpoch: current.epoch });
      return { done: true, detail: `already held by ${this.onConfiguredPair ? 'the DR side' : describeMember(this.pair.replica)} (epoch ${current.epoch})` };
    }
    if (!current) throw new BackToDecision('no write lease established');
    const now = this.ports.clock.now();
    if (this.current.mode === 'failover' && now < takeoverAllowedAt(current, this.settings)) {
      throw new BackToDecision(`the primary renewed its write lease meanwhile (${describeLease(current)})`);
    }
    // Held until an operator moves it: on the configured pair `{ holder: 'dr' }` as before; for any other database the
    // lease names it, so the primary region's keeper (which guards only the configured primary) treats it as lost.
    const next = leaseFor(this.pair.replica, this.configured, current.epoch + 1, this.options.runId, now);
    try {
      await this.retry('take write lease', () => store.compareAndSet(current, next));
    } catch (error) {
      if (error instanceof LeaseConflictError) throw new BackToDecision(`the write lease changed while taking it (${describeLease(error.current)})`);
      throw error;
    }
    await this.save({ ...this.current, writeLeaseEpoch: next.epoch });
    if (!this.onConfiguredPair) {
      return { done: true, detail: `write lease epoch ${next.epoch} moved from ${describeMember(this.pair.writer)} to ${describeMember(this.pair.replica)} (the writer is frozen at the database next, verified)` };
    }
    return { done: true, detail: this.current.mode === 'switchover'
      ? `write lease epoch ${next.epoch} handed over from the live primary (its keeper fences it at its next renewal)`
      : `write lease epoch ${next.epoch} taken: the primary's lease expired at ${new Date(current.expiresAt).toISOString()} and was not renewed` };
  }

  private async freezePrimary(): Promise<StepOutcome> {
    const frozen = await this.retry('freeze old primary', () => this.database.freezePrimary());
    await this.save({ ...this.current, frozenAtLsn: frozen.flushLsn });
    return { done: true, detail: `${this.writerName} read-only at the database, sessions cut, verified; WAL flushed to ${frozen.flushLsn} (${frozen.detail})` };
  }

  /** Zero loss: promote only once the replica has replayed everything the frozen primary flushed. */
  private async catchUp(): Promise<StepOutcome> {
    const target = this.current.frozenAtLsn;
    if (!target) throw new Error('catch-up without a frozen WAL position');
    const { clock } = this.ports;
    const database = this.database;
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
    if (!this.onConfiguredPair) {
      const to = this.pair.replica;
      const dns = this.directionAgnosticDns();
      // Written ahead: an undo (cancel before the promotion) must know the name may have moved.
      await this.save({ ...this.current, writerNameMovedTo: to });
      await this.retry('move the writer name', () => dns.moveWriterTo(to));
      await this.save({ ...this.current, failedOver: sameMember(to, this.configured.replica) });
      return { done: true, detail: `writer name moved to ${describeMember(to)} before promotion: it leaves ${describeMember(this.pair.writer)}` };
    }
    await this.retry('publish DNS failover signal', () => this.ports.dns.publishFailoverSignal());
    await this.save({ ...this.current, failedOver: true });
    return { done: true, detail: 'FailedOver=1 published before promotion: the writer name leaves the old primary' };
  }

  /** The role-based DNS methods a pair other than the configured one needs. THROWS when the adapter lacks them. */
  private directionAgnosticDns(): Required<Pick<Dns, 'moveWriterTo' | 'pinWriterTo'>> {
    const { dns } = this.ports;
    if (!dns.moveWriterTo || !dns.pinWriterTo) throw new Error('this DNS adapter can only move the writer name to the configured DR database');
    return { moveWriterTo: (member) => dns.moveWriterTo!(member), pinWriterTo: (member) => dns.pinWriterTo!(member) };
  }

  private async promote(): Promise<StepOutcome> {
    const replica = await this.retry('describe replica', () => this.database.describeReplica());
    if (replica.role !== 'replica') return { done: true, detail: `already ${replica.role} (status ${replica.status}); not promoting again` };
    await this.requestPromotion();
    return { done: true, detail: `promotion requested (replica was ${replica.status})` };
  }

  /** Write-ahead: the intent is stored before the request, so a crash after it can never read as "nothing happened". */
  private async requestPromotion(): Promise<void> {
    const now = new Date(this.ports.clock.now()).toISOString();
    await this.save({ ...this.current, promoteRequestedAt: this.current.promoteRequestedAt ?? now, promoteRequests: (this.current.promoteRequests ?? 0) + 1 });
    await this.retry('promote replica', () => this.database.promoteReplica());
  }

  /** Done only when the database itself is out of recovery and takes a test write (not when RDS says so). */
  private async waitForWriter(): Promise<StepOutcome> {
    const { clock, logger } = this.ports;
    const database = this.database;
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
            return { done: true, detail: `${this.replicaName} is a writer: ${check.detail}` };
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
    if (!this.onConfiguredPair) {
      const to = this.pair.replica;
      const dns = this.directionAgnosticDns();
      await this.retry('pin writer DNS record', () => dns.pinWriterTo(to));
      return { done: true, detail: `PRIMARY writer record now points at ${describeMember(to)}` };
    }
    await this.retry('pin writer DNS record to DR', () => this.ports.dns.pinWriterToDr());
    return { done: true, detail: 'PRIMARY writer record now points at the DR database' };
  }

  /** Done only when the fence is verified in effect; otherwise pending, retried by every resume. */
  private async fence(): Promise<StepOutcome> {
    const fenced = await this.retry('fence old primary', () => this.database.fencePrimary());
    const summary = `${this.writerName} ${fenced.isolated ? 'isolated' : 'NOT isolated'}${fenced.stopped ? ' and stopping' : ', not stopped'}${fenced.detail ? ` (${fenced.detail})` : ''}`;
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
      if (failure instanceof LeaseLostError || failure instanceof BackToDecision || failure instanceof AbandonSwitchover || failure instanceof RefuseReprotection) throw failure;
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
    const label = labelOf(this.current.mode);
    const roles = complete && this.ports.fleet ? ` Roles now: ${describeRoles(rolesAfter(this.current, this.configured))}.` : '';
    const message = complete
      ? `${label} ${this.current.runId} completed.${roles}\n${formatTimeline(timeline)}`
      : `${label} ${this.current.runId} not finished; steps not done: ${pending.join(', ')}. `
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
    if (this.current.mode === 'reprotect') return this.closeReprotection(reason);
    const undone: string[] = [];
    if (this.onConfiguredPair && this.current.failedOver) {
      await this.retry('withdraw DNS failover signal', () => this.ports.dns.withdrawFailoverSignal());
      await this.save({ ...this.current, failedOver: false });
      undone.push('failed-over signal withdrawn');
    }
    const movedTo = this.current.writerNameMovedTo;
    if (!this.onConfiguredPair && movedTo !== undefined) {
      const back = this.pair.writer;
      await this.retry('move the writer name back', () => this.directionAgnosticDns().moveWriterTo(back));
      const { writerNameMovedTo: _moved, ...rest } = this.current;
      await this.save({ ...rest, failedOver: sameMember(back, this.configured.replica) });
      undone.push(`writer name back on ${describeMember(back)}`);
    }
    if (this.current.frozenAtLsn !== undefined || this.current.steps[FAILOVER_STEPS.freezePrimary]) {
      await this.retry('thaw old primary', () => this.database.thawPrimary());
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

  /**
   * Gives the lease back to the writer of the pair. The configured primary's keeper renews it and lifts its fence, so
   * it gets a lease that expires now; any other writer held it until an operator moved it, and gets it back that way.
   */
  private async handLeaseBack(store: WriteLeaseStore, epoch: number): Promise<string> {
    const current = await this.retry('read write lease', () => store.read());
    if (!current || !this.targetHoldsLease(current) || current.epoch !== epoch) return `write lease not ours any more (${describeLease(current)})`;
    const now = this.ports.clock.now();
    const writer = this.pair.writer;
    const back: WriteLease = this.onConfiguredPair
      ? { holder: writer.side, epoch: epoch + 1, expiresAt: now, writtenBy: this.options.runId, writtenAt: now }
      : leaseFor(writer, this.configured, epoch + 1, this.options.runId, now);
    await this.retry('hand write lease back', () => store.compareAndSet(current, back));
    return this.onConfiguredPair ? `write lease handed back to the primary (epoch ${epoch + 1})` : `write lease handed back to ${describeMember(writer)} (epoch ${epoch + 1})`;
  }

  /** A cancelled re-protection: nothing to undo (it never touches the writer, the lease or DNS); a requested replica stays. */
  private async closeReprotection(reason: string): Promise<FailoverResult> {
    const record = this.current.reprotect!;
    const left = record.createRequestedAt !== undefined || record.adopted
      ? ` The replica ${describeMember(record.target)} ${record.adopted ? 'was adopted' : `was requested at ${record.createRequestedAt}`} and is left as it is `
        + '(the orchestrator never deletes a database): delete it, or re-protect again to adopt it.'
      : ' Nothing was created.';
    // A rename already requested completes on its own; the old writer keeps its new name (re-protecting again finds the name free).
    const renamed = record.retiredAs !== undefined
      ? ` The old writer that held ${record.target.instanceId} is (being) renamed ${record.retiredAs}, isolated in its fence group, and kept.`
      : '';
    await this.save({ ...this.current, status: 'aborted', leaseExpiresAt: this.ports.clock.now(), lastDecision: reason });
    const message = `Re-protection ${this.current.runId} aborted: ${reason}.${left}${renamed}`;
    await this.notify('re-protection aborted', message);
    return this.finish('aborted', message, this.current);
  }

  /** A re-protection that can never succeed as configured: closed, nothing created by it. */
  private async closeRefused(reason: string): Promise<FailoverResult> {
    await this.save({ ...this.current, status: 'aborted', leaseExpiresAt: this.ports.clock.now(), lastDecision: reason });
    const message = `Re-protection ${this.current.runId} refused: ${reason}`;
    await this.notify('re-protection refused', message);
    return this.finish('refused', message, this.current);
  }

  private get provisioning(): ReplicaProvisioning {
    if (!this.ports.reprotection) throw new Error('re-protection is not configured in this deployment');
    return this.ports.reprotection;
  }

  /**
   * The replica takes the configured name of its region, which the database the last promotion replaced still holds
   * (the old primary after a failover, the old DR writer after a fail-back). RDS's own way to replace an instance under
   * its name is to rename the old one to "a name that indicates it is no longer the primary" and give the new one the
   * old name ("Renaming to replace an existing DB instance",
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_RenameInstance.html). The old writer is kept, isolated,
   * under its new name: it may hold the writes that never reached the replica, which only an operator reconciles.
   * Nothing to do when the name is free or already a replica of the writer (createReplica adopts it); any other
   * replica under the name is not ours to touch.
   */
  private async retireOldWriter(): Promise<StepOutcome> {
    const record = this.current.reprotect!;
    const { writer, target } = record;
    const provisioning = this.provisioning;
    const authority = await this.writerAuthorityProblem(writer);
    if (authority) throw new Error(`nothing renamed: ${authority}`);
    const found = await this.retry('describe the re-protection target', () => provisioning.describeTarget(target));
    if (found === undefined && record.retiredAs === undefined) return { done: true, detail: `no database holds the name ${target.instanceId}: nothing to retire` };
    if (found !== undefined && replicatesFrom(found, writer)) return { done: true, detail: `${describeMember(target)} is a replica of the writer already: nothing to retire` };
    if (found?.source !== undefined) {
      throw new RefuseReprotection(`${describeMember(target)} ${describeSource(found)} (status ${found.status}): it is neither the old writer nor a replica of `
        + `${describeMember(writer)}. Nothing was renamed or created; find out what it is, then re-protect again.`);
    }
    const retiredAs = record.retiredAs ?? retiredIdentifier(target.instanceId, this.ports.clock.now());
    // Write-ahead: a crash mid-rename must finish this rename, not start another under a newer name.
    if (record.retiredAs === undefined) await this.save({ ...this.current, reprotect: { ...record, retiredAs } });
    const { clock } = this.ports;
    for (;;) {
      let progress: RetirementProgress;
      try {
        progress = await this.retry('retire the old writer', () => provisioning.retireOldWriter(target, retiredAs));
      } catch (error) {
        if (error instanceof ReplicaTargetConflictError) throw new RefuseReprotection(error.message);
        throw error;
      }
      if (progress.done) {
        return { done: true, detail: `the old writer ${describeMember(target)} is isolated and renamed ${retiredAs} (kept: it may hold writes the replica never `
          + `received; delete it once they are reconciled): ${progress.detail}` };
      }
      if (clock.now() + this.settings.replicaPollIntervalMs >= this.options.deadline) {
        return { done: false, detail: `renaming the old writer ${describeMember(target)} to ${retiredAs}: ${progress.detail}; resume continues` };
      }
      await clock.sleep(this.settings.replicaPollIntervalMs);
    }
  }

  /** Creates the replica of the writer in the other region, or adopts one that already replicates from it. */
  private async createReplica(): Promise<StepOutcome> {
    const record = this.current.reprotect!;
    const { writer, target } = record;
    const provisioning = this.provisioning;
    const authority = await this.writerAuthorityProblem(writer);
    if (authority) throw new Error(`no replica created: ${authority}`);
    const found = await this.retry('describe the re-protection target', () => provisioning.describeTarget(target));
    if (found) {
      if (!replicatesFrom(found, writer)) {
        throw new RefuseReprotection(`${describeMember(target)} already exists (status ${found.status}) and ${describeSource(found)}, not from the writer `
          + `${describeMember(writer)}. Nothing was created; find out what it is (it took the name after the old writer was renamed away), then re-protect again.`);
      }
      const ours = record.createRequestedAt !== undefined;
      if (!ours) await this.save({ ...this.current, reprotect: { ...record, adopted: true } });
      return { done: true, detail: `${describeMember(target)} ${ours ? 'exists' : 'already existed and is adopted'}: a replica of ${describeMember(writer)} (status ${found.status})` };
    }
    // Write-ahead: a crash after the request must find the replica ours, not someone else's.
    await this.save({ ...this.current, reprotect: { ...record, createRequestedAt: record.createRequestedAt ?? new Date(this.ports.clock.now()).toISOString() } });
    try {
      await this.retry('create the re-protection replica', () => provisioning.createReplica(writer, target));
    } catch (error) {
      if (error instanceof ReplicaTargetConflictError) throw new RefuseReprotection(error.message);
      throw error;
    }
    return { done: true, detail: `replica ${describeMember(target)} of ${describeMember(writer)} requested` };
  }

  /** Cross-region replication of the writer's automated backups into the replica's region (idempotent). */
  private async replicateBackups(): Promise<StepOutcome> {
    const { writer, target } = this.current.reprotect!;
    const provisioning = this.provisioning;
    const current = await this.retry('read backup replication', () => provisioning.backupReplication(writer, target.side));
    if (current) return { done: true, detail: `automated backups of ${describeMember(writer)} already replicated to the ${target.side} region (${current.state}: ${current.detail})` };
    const started = await this.retry('start backup replication', () => provisioning.startBackupReplication(writer, target.side));
    return { done: true, detail: `replication of ${describeMember(writer)}'s automated backups to the ${target.side} region started (${started.state}: ${started.detail})` };
  }

  /** Done once the replica is available and replicating from the writer and the backups replicate; resumes keep waiting. */
  private async waitForReplica(): Promise<StepOutcome> {
    const record = this.current.reprotect!;
    const { writer, target } = record;
    const provisioning = this.provisioning;
    const { clock } = this.ports;
    let last = 'not described yet';
    for (;;) {
      let replica: Awaited<ReturnType<ReplicaProvisioning['describeTarget']>>;
      let backups: Awaited<ReturnType<ReplicaProvisioning['backupReplication']>>;
      try {
        [replica, backups] = [await provisioning.describeTarget(target), await provisioning.backupReplication(writer, target.side)];
      } catch (error) {
        replica = undefined;
        backups = undefined;
        last = `could not look: ${describeError(error)}`;
      }
      if (replica !== undefined && !replicatesFrom(replica, writer)) {
        // It was ours (or adopted) and replicated from the writer; now it does not: someone promoted or replaced it.
        throw new Error(`${describeMember(target)} ${describeSource(replica)} (status ${replica.status}), not from ${describeMember(writer)}: it does not protect the writer`);
      }
      if (replica !== undefined) {
        last = `replica ${replica.status}, replication ${replica.replicationState ?? 'unknown'}; backups ${backups ? `${backups.state} (${backups.detail})` : 'not replicated'}`;
        if (replica.available && replica.replicationState === 'replicating' && backups?.state === 'replicating') {
          const protectedAt = new Date(clock.now()).toISOString();
          await this.save({ ...this.current, reprotect: { ...record, protectedAt } });
          return { done: true, detail: `${describeMember(target)} is available and replicating from ${describeMember(writer)}; its automated backups replicate to the ${target.side} region (${backups.detail}): re-protected` };
        }
      } else if (!last.startsWith('could not look')) {
        last = `${describeMember(target)} does not exist (yet)`;
      }
      if (clock.now() + this.settings.replicaPollIntervalMs >= this.options.deadline) {
        return { done: false, detail: `not re-protected yet: ${last}; resume continues waiting` };
      }
      await clock.sleep(this.settings.replicaPollIntervalMs);
    }
  }

  private async cancel(existing: FailoverState | undefined, reason: string): Promise<FailoverResult> {
    if (!existing || existing.status !== 'in_progress') return this.finish('nothing_to_resume', 'No unfinished failover or re-protection to cancel', existing);
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
    const { clock, logger } = this.ports;
    const database = this.database;
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

  /**
   * Unknown lag (no measurement, or the source failing) is reported as `undefined`: never promote on doubt. Why it is
   * unknown is kept (`unknownLagBasis`) for the operator's message, when the source says.
   */
  private async latestLag(evidence: PrimaryEndEvidence): Promise<number | undefined> {
    const database = this.database;
    try {
      if (!database.replicationLagEstimate) return await this.retry('read replication lag', () => database.replicationLagSeconds(evidence));
      const estimate = await this.retry('read replication lag', () => database.replicationLagEstimate!(evidence));
      this.unknownLagBasis = estimate.lagSeconds === undefined ? estimate.basis : undefined;
      return estimate.lagSeconds;
    } catch (error) {
      this.ports.logger.warn('replication lag unknown', { error: describeError(error) });
      this.unknownLagBasis = `the monitor's data could not be read (${describeError(error)})`;
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
      isRetryable: (error) => !(error instanceof LeaseLostError) && !(error instanceof LeaseConflictError) && !(error instanceof ReplicaTargetConflictError),
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

  private completedMessage(state: FailoverState): string {
    const roles = this.ports.fleet ? ` Roles: ${describeRoles(rolesAfter(state, this.configured))}.` : '';
    if (state.mode === 'reprotect') {
      return `Re-protection ${state.runId} completed at ${state.completedAt}; nothing to do.${roles} Alarms never move this writer; `
        + 'an operator moves it back with a planned switchover ({"action":"failover","switchover":true,"reason":"..."}).';
    }
    return `Failover ${state.runId} already completed at ${state.completedAt}; nothing to do.${roles} `
      + 'Re-protecting ({"action":"reprotect","reason":"..."}) and failing back need an operator (see the runbook).';
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

/**
 * `<id>-retired-<UTC yyyymmddhhmm>`, within RDS's identifier rules (1 to 63 letters, digits or hyphens, no hyphen at
 * the end or twice in a row: ModifyDBInstance `NewDBInstanceIdentifier`,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html).
 */
export function retiredIdentifier(instanceId: string, now: number): string {
  const suffix = `-retired-${new Date(now).toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
  return `${instanceId.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

function replicatesFrom(status: ReplicaTargetStatus, writer: DatabaseMember): boolean {
  return status.source !== undefined && 'side' in status.source && sameMember(status.source, writer);
}

function describeSource(status: ReplicaTargetStatus): string {
  if (status.source === undefined) return 'is not a replica';
  return `replicates from ${'side' in status.source ? describeMember(status.source) : status.source.unknown}`;
}
