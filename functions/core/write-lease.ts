/**
 * The write lease: the one authority to take writes on the database pair. Only the side that holds it may
 * have a writable database, so a partition between the regions can never yield two writers:
 *
 * - the primary region's lease keeper renews it well inside its time to live and, when it cannot, fences the
 *   primary ITSELF (through its own region only) before the lease runs out;
 * - the DR-region orchestrator may take it only after it ran out plus a safety margin that covers the keeper's
 *   fence time and clock skew, with a conditional write that fails if anyone renewed it meanwhile;
 * - the store is linearizable across regions and refuses writes from a side that lost its quorum (AWS: a DynamoDB
 *   global table with multi-Region strong consistency, replicas in both database regions and the witness in the
 *   tooling region; locally: one linearizable register reached only through links the drill can cut).
 *
 * The rules below are pure; the stores implement `WriteLeaseStore` and never decide anything themselves.
 */

import type { DatabaseMember, DatabasePair } from './estate-roles';

export type LeaseHolder = 'primary' | 'dr';

export interface WriteLease {
  readonly holder: LeaseHolder;
  /** Increases by one whenever the holder changes; a renewal keeps it. */
  readonly epoch: number;
  /**
   * Epoch ms after which the holder has no authority. A primary-side holder writes `start + ttl` where `start`
   * is taken BEFORE its renewal request, so its own view never outlives the stored one. A DR-side holder that
   * promoted writes `HELD_UNTIL_RELEASED`: the lease stays with it until an operator fails back.
   */
  readonly expiresAt: number;
  /** Who wrote this version (keeper run or orchestrator run id), for reports. */
  readonly writtenBy: string;
  /** Epoch ms of this version's write (the writer's clock). */
  readonly writtenAt: number;
}

/** The DR side keeps a lease it took until an operator hands it back (no automatic fail-back). */
export const HELD_UNTIL_RELEASED = Number.MAX_SAFE_INTEGER;

export class LeaseConflictError extends Error {
  constructor(message: string, readonly current?: WriteLease) {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

export interface WriteLeaseStore {
  /**
   * Strongly consistent read. `undefined` when the lease was never established. THROWS when the store cannot
   * answer with certainty (quorum unreachable, deadline): the caller must treat that as "not held by me".
   */
  read(): Promise<WriteLease | undefined>;

  /**
   * Writes `next` only if the stored lease is still exactly `expected` (same holder, epoch and expiry; absent
   * when `expected` is undefined) — one atomic conditional write. Returns `next`. THROWS `LeaseConflictError`
   * (with the stored lease when known) if the condition failed, any other error when the outcome is unknown.
   */
  compareAndSet(expected: WriteLease | undefined, next: WriteLease): Promise<WriteLease>;
}

export interface LeaseTimings {
  /** How long one renewal (or the initial grant) is valid. */
  readonly ttlMs: number;
  /** The keeper renews this often (well inside `ttlMs`). */
  readonly renewIntervalMs: number;
  /** The keeper starts fencing when less than this remains of its lease: its fence must finish inside it. */
  readonly fenceBudgetMs: number;
  /**
   * The DR side takes an expired lease only this long after `expiresAt` (clock skew between the regions plus
   * slack for a fence that overran its budget).
   */
  readonly takeoverMarginMs: number;
}

/** Defaults on AWS: a renewal every 10 s, a 45 s lease, fencing starts with 15 s left, takeover 30 s after expiry. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  ttlMs: 45_000,
  renewIntervalMs: 10_000,
  fenceBudgetMs: 15_000,
  takeoverMarginMs: 30_000,
};

/** Validates timings: each rule is what makes the lease safe, so a violation is a configuration error. */
export function validateLeaseTimings(timings: LeaseTimings): string[] {
  const problems: string[] = [];
  if (timings.renewIntervalMs * 2 > timings.ttlMs) problems.push('the renew interval must be at most half the lease TTL (a renewal may fail once without fencing)');
  if (timings.fenceBudgetMs >= timings.ttlMs) problems.push('the fence budget must be shorter than the lease TTL');
  if (timings.renewIntervalMs + timings.fenceBudgetMs > timings.ttlMs) problems.push('renew interval + fence budget must fit in the lease TTL (the keeper notices a failed renewal before it must fence)');
  if (timings.takeoverMarginMs <= 0) problems.push('the takeover margin must be positive');
  return problems;
}

/** Earliest time (epoch ms) the DR side may take `lease` over without the holder's consent. */
export function takeoverAllowedAt(lease: WriteLease, timings: Pick<LeaseTimings, 'takeoverMarginMs'>): number {
  if (lease.expiresAt >= HELD_UNTIL_RELEASED) return HELD_UNTIL_RELEASED;
  return lease.expiresAt + timings.takeoverMarginMs;
}

/**
 * Idle timeout for the primary's sessions (`idle_session_timeout`, `idle_in_transaction_session_timeout`): a primary
 * can be taken over only after it was silent for at least TTL + margin − the longest gap between two renewals (its
 * keeper renews only while it answers, so the last renewal came at most that gap before it froze; on AWS the gap also
 * spans the pause between two keeper invocations). A session that was idle, or idle
 * in a transaction, through such a freeze has then been idle longer than this timeout, so the server ends it the
 * moment it resumes, before it reads a statement that was queued during the freeze: a paused primary that comes back
 * after the DR side took over cannot commit for its pooled sessions (the keeper's fence follows at its next tick).
 * Half that silence, so a late keeper or skewed clocks still leave room. A statement already executing when the
 * primary froze still completes; the client's own statement timeout is the only bound on those.
 * https://www.postgresql.org/docs/14/runtime-config-client.html (idle_session_timeout, idle_in_transaction_session_timeout)
 */
export function silentSessionTimeoutMs(timings: LeaseTimings, longestRenewalGapMs: number = timings.renewIntervalMs): number {
  return Math.floor((timings.ttlMs + timings.takeoverMarginMs - longestRenewalGapMs) / 2);
}

/** Worst case from the primary's last renewal to the DR side holding the lease (for the RTO budget). */
export function worstCaseTakeoverDelayMs(timings: LeaseTimings): number {
  return timings.ttlMs + timings.takeoverMarginMs;
}

export function describeLease(lease: WriteLease | undefined): string {
  if (!lease) return 'no write lease established';
  const until = lease.expiresAt >= HELD_UNTIL_RELEASED ? 'until an operator releases it' : `until ${new Date(lease.expiresAt).toISOString()}`;
  return `write lease epoch ${lease.epoch} held by ${lease.holder} ${until} (written by ${lease.writtenBy})`;
}

/**
 * The database `lease` authorizes: the configured instance of the holder's region. Every writer the estate has carries
 * one of the two configured names (a re-protection creates its replica under the name of its region), so a region
 * names its writer.
 */
export function leaseWriter(lease: WriteLease, configured: DatabasePair): DatabaseMember {
  const member = [configured.writer, configured.replica].find((candidate) => candidate.side === lease.holder);
  if (!member) throw new Error(`no configured database in the ${lease.holder} region`);
  return member;
}

/** `lease` authorizes exactly `member` to write (its region holds it, for that instance). */
export function leaseHeldBy(lease: WriteLease | undefined, member: DatabaseMember, configured: DatabasePair): boolean {
  if (!lease) return false;
  const writer = leaseWriter(lease, configured);
  return writer.side === member.side && writer.instanceId === member.instanceId;
}

/**
 * The lease the orchestrator writes to give `member` write authority, held until an operator moves it again (or, in
 * the primary region, until its keeper renews it). THROWS for a database that is not the configured instance of its
 * region: no lease could name it.
 */
export function leaseFor(member: DatabaseMember, configured: DatabasePair, epoch: number, writtenBy: string, writtenAt: number): WriteLease {
  const configuredInRegion = [configured.writer, configured.replica].find((candidate) => candidate.side === member.side);
  if (configuredInRegion?.instanceId !== member.instanceId) throw new Error(`the write lease can name only the configured instance of a region, not ${member.instanceId}`);
  return { holder: member.side, epoch, expiresAt: HELD_UNTIL_RELEASED, writtenBy, writtenAt };
}

/**
 * The primary region's keeper may renew `lease` only if the primary region holds it (or nobody yet): a lease the DR
 * side holds is final for it, until a fail-back hands it back to the primary region.
 */
export function keeperMayHold(lease: WriteLease | undefined): boolean {
  return lease === undefined || lease.holder === 'primary';
}
