/**
 * The primary region's lease keeper: renews the write lease well inside its time to live and, the moment it can
 * no longer be sure it holds it, fences the primary ITSELF, through its own region only, before the DR side may
 * take the lease over (see write-lease.ts for why that ordering makes two writers impossible).
 *
 * It knows it holds the lease until `start + ttl` of its last successful renewal (`start` taken before the
 * request). When a renewal fails (no answer, a conflict, a deadline) it keeps trying and fences once less than
 * `fenceBudgetMs` remains. With no memory of a renewal (a fresh start) nothing remains: a fresh keeper that
 * cannot renew fences at once, and stays fenced until it holds the lease again. A lease held by the DR side is
 * final: the keeper fences and never releases it (only an operator's fail-back returns the lease; the keeper then
 * renews it and lifts its fence).
 */
import { formatSeconds } from './format-seconds';
import type { Alerts, Clock, Logger } from './ports';
import { describeError } from './retry';
import { keeperMayHold, LeaseConflictError, type LeaseTimings, type WriteLease, type WriteLeaseStore } from './write-lease';

/** What the keeper's self-fence verified on the database. */
export interface SelfFenceCheck {
  /** New sessions are read-only AND no client session from before the fence survives. */
  readonly fenced: boolean;
  readonly detail: string;
}

/**
 * The primary region's own controls over the primary database (AWS: SQL over the primary VPC plus the primary
 * region's RDS API; locally: SQL on the primary). Every method is idempotent and THROWS when it cannot act.
 */
export interface PrimarySelfFence {
  /**
   * Does the primary's server answer the keeper (any answer, even a read-only refusal)? The keeper renews only a
   * lease it can stand behind: a primary that is gone must let its lease run out so the DR side can take over.
   * Never throws (an error is `false`).
   */
  primaryAnswers(): Promise<boolean>;
  /** Stops writes: new transactions read-only, other client sessions terminated (and, on AWS, network isolation). */
  fence(reason: string): Promise<string>;
  /** Checks the fence from a new session. THROWS if it cannot check. */
  verify(): Promise<SelfFenceCheck>;
  /** Lifts the keeper's fence (it holds the lease again). */
  release(): Promise<void>;
}

export interface LeaseKeeperPorts {
  readonly lease: WriteLeaseStore;
  readonly fence: PrimarySelfFence;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly alerts: Alerts;
}

/** One tick's result. */
export type KeeperState =
  /** Renewed: the lease is ours until `heldUntil`. */
  | 'held'
  /** Not renewed this time, but enough of the last renewal remains to try again before fencing. */
  | 'renewal_failed'
  /** Fenced because the lease could not be renewed in time (or never was); released once renewed. */
  | 'fenced_unrenewed'
  /** Fenced because the DR side holds the lease: final until an operator hands it back. */
  | 'fenced_lost';

export interface KeeperTick {
  readonly state: KeeperState;
  /** The lease is ours until this epoch ms (`undefined`: not held). */
  readonly heldUntil?: number;
  /** The fence is in place and verified on the database. */
  readonly fenceVerified: boolean;
  readonly detail: string;
}

const SUBJECT_PREFIX = 'DR lease keeper';

/** Races `work` against a deadline; a call that hangs past it is treated as failed. */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  work.catch(() => undefined); // the deadline may win; the loser's rejection is expected
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.max(0, Math.round(timeoutMs))} ms`)), Math.max(0, timeoutMs));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class LeaseKeeper {
  private heldUntil: number | undefined;
  /** `undefined` until the keeper has fenced or released once: a fresh keeper does not know the database's state. */
  private fenced: boolean | undefined;
  private fenceVerified = false;
  private lastAlert: string | undefined;

  constructor(
    private readonly ports: LeaseKeeperPorts,
    private readonly timings: LeaseTimings,
    /** Written into the lease as `writtenBy`. */
    private readonly keeperId: string,
  ) {}

  /** One renewal attempt and what follows from it. Never throws. */
  async tick(): Promise<KeeperTick> {
    const { clock } = this.ports;
    const start = clock.now();
    // Every call must end in time to fence if it fails: never wait past the point where fencing must start.
    const budget = this.heldUntil === undefined
      ? this.timings.renewIntervalMs
      : Math.max(0, Math.min(this.timings.renewIntervalMs, this.heldUntil - this.timings.fenceBudgetMs - start));
    let current: WriteLease | undefined;
    try {
      const answers = await withDeadline(this.ports.fence.primaryAnswers(), budget, 'primary check').catch(() => false);
      if (!answers) return await this.unrenewed('the primary does not answer its keeper; the lease is left to run out');
      current = await withDeadline(this.ports.lease.read(), Math.max(0, budget - (clock.now() - start)), 'write lease read');
      // Held by the DR side, or naming another database (a writer created after a failover, re-protection or
      // fail-back): final for this keeper, whose primary must stay fenced.
      if (current !== undefined && !keeperMayHold(current)) return await this.lost(current);
      const next: WriteLease = {
        holder: 'primary',
        epoch: current?.epoch ?? 1,
        expiresAt: start + this.timings.ttlMs,
        writtenBy: this.keeperId,
        writtenAt: start,
      };
      await withDeadline(this.ports.lease.compareAndSet(current, next), Math.max(0, budget - (clock.now() - start)), 'write lease renewal');
      this.heldUntil = next.expiresAt;
      return await this.held();
    } catch (error) {
      if (error instanceof LeaseConflictError && error.current !== undefined && !keeperMayHold(error.current)) return this.lost(error.current);
      return this.unrenewed(describeError(error));
    }
  }

  /** Ticks every `renewIntervalMs` until `until` (epoch ms) or `shouldStop()`; returns the last tick. */
  async runUntil(until: number, shouldStop: () => boolean = () => false, onTick: (tick: KeeperTick) => void = () => undefined): Promise<KeeperTick> {
    const { clock } = this.ports;
    let last = await this.tick();
    onTick(last);
    while (!shouldStop()) {
      const started = clock.now();
      if (started + this.timings.renewIntervalMs >= until) break;
      await clock.sleep(this.timings.renewIntervalMs);
      if (shouldStop()) break;
      last = await this.tick();
      onTick(last);
    }
    return last;
  }

  private async held(): Promise<KeeperTick> {
    const until = new Date(this.heldUntil!).toISOString();
    if (this.fenced !== false) {
      // A fresh keeper does not know whether an earlier run left the database fenced: release is idempotent.
      try {
        await this.ports.fence.release();
        const wasFenced = this.fenced === true;
        this.fenced = false;
        this.fenceVerified = false;
        if (wasFenced) await this.alert('released', `The primary holds the write lease again (until ${until}); its fence was lifted.`);
      } catch (error) {
        // Still fenced: safe, only unavailable. The next tick tries again.
        this.ports.logger.error('releasing the fence failed', { error: describeError(error) });
        return { state: 'held', heldUntil: this.heldUntil, fenceVerified: this.fenceVerified, detail: `lease held until ${until}; releasing the fence failed: ${describeError(error)}` };
      }
    }
    this.lastAlert = undefined;
    this.ports.logger.info('write lease renewed', { heldUntil: until });
    return { state: 'held', heldUntil: this.heldUntil, fenceVerified: false, detail: `lease held until ${until}` };
  }

  private async unrenewed(reason: string): Promise<KeeperTick> {
    const now = this.ports.clock.now();
    const remaining = this.heldUntil === undefined ? 0 : this.heldUntil - now;
    this.ports.logger.warn('write lease not renewed', { reason, remainingMs: remaining });
    if (remaining > this.timings.fenceBudgetMs) {
      return { state: 'renewal_failed', heldUntil: this.heldUntil, fenceVerified: false, detail: `renewal failed (${reason}); ${formatSeconds(remaining / 1000)} of the lease remain` };
    }
    this.heldUntil = undefined;
    const verified = await this.fenceAndVerify(`the write lease could not be renewed (${reason})`);
    return { state: 'fenced_unrenewed', fenceVerified: verified.fenced, detail: verified.detail };
  }

  private async lost(current: WriteLease): Promise<KeeperTick> {
    this.heldUntil = undefined;
    const holder = `the ${current.holder === 'dr' ? 'DR side' : `${current.holder} region`}`;
    const verified = await this.fenceAndVerify(`${holder} holds the write lease (epoch ${current.epoch}, written by ${current.writtenBy})`);
    return { state: 'fenced_lost', fenceVerified: verified.fenced, detail: verified.detail };
  }

  /**
   * Fences (idempotent) and verifies; an unverified fence is retried at the next tick. A fence already verified is
   * only re-verified: fencing again would cut the sessions of whoever works on the frozen primary (a switchover
   * reading its WAL position). Alerts only on change.
   */
  private async fenceAndVerify(reason: string): Promise<{ fenced: boolean; detail: string }> {
    const { fence, logger } = this.ports;
    let detail: string;
    if (this.fenced === true && this.fenceVerified) {
      try {
        const check = await withDeadline(fence.verify(), this.timings.fenceBudgetMs, 'self-fence verification');
        if (check.fenced) return { fenced: true, detail: `${reason}: still fenced (${check.detail})` };
      } catch (error) {
        logger.warn('re-verifying the fence failed; fencing again', { error: describeError(error) });
      }
      this.fenceVerified = false;
    }
    try {
      const action = await withDeadline(fence.fence(reason), this.timings.fenceBudgetMs, 'self-fence');
      this.fenced = true;
      const check = await withDeadline(fence.verify(), this.timings.fenceBudgetMs, 'self-fence verification');
      this.fenceVerified = check.fenced;
      detail = `${reason}: ${action}; ${check.fenced ? 'verified' : 'NOT verified'}: ${check.detail}`;
    } catch (error) {
      // A fence that failed or ran past its deadline may still take effect (a parameter change applied after the
      // call's deadline, a reload that runs once a stalled server resumes): count it as in place, so that the next
      // renewal lifts it instead of leaving the primary read-only while it holds the lease.
      this.fenced = true;
      this.fenceVerified = false;
      detail = `${reason}: fencing failed: ${describeError(error)}`;
    }
    if (this.fenceVerified) logger.warn('primary fenced by its keeper', { reason, detail });
    else logger.error('primary fence not verified', { reason, detail });
    await this.alert(this.fenceVerified ? 'primary fenced' : 'primary fence NOT verified', detail);
    return { fenced: this.fenceVerified, detail };
  }

  /** One alert per change of situation (a fence pending for hours sends one, not one a tick). */
  private async alert(what: string, message: string): Promise<void> {
    if (this.lastAlert === what) return;
    this.lastAlert = what;
    try {
      await this.ports.alerts.notify(`${SUBJECT_PREFIX}: ${what}`, message);
    } catch (error) {
      this.ports.logger.error('notification failed', { what, error: describeError(error) });
    }
  }
}
