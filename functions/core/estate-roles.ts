/**
 * Who is the writer and who is the replica, independent of the region each runs in. The estate starts on its
 * configured roles (the primary region's instance writes, the DR region's replicates); a failover or switchover
 * promotes the replica, a re-protection gives the new writer a replica in the other region, and a planned switchover
 * toward that replica moves the writer back. Every record of the failover state says which pair it acted on, so the
 * roles after it follow from the record alone (`rolesAfter`). Pure: no I/O.
 */
import type { FailoverState } from './ports';

/** The region a database runs in, as the estate names its two regions: the configured primary region or the DR region. */
export type RegionSide = 'primary' | 'dr';

/** One database of the estate (AWS: an RDS instance identifier in that region's account). */
export interface DatabaseMember {
  readonly side: RegionSide;
  readonly instanceId: string;
}

/** What a failover or switchover acts on: the writer it replaces and the replica it promotes. */
export interface DatabasePair {
  readonly writer: DatabaseMember;
  readonly replica: DatabaseMember;
}

/** The estate's roles at one moment; `replica` is absent while nothing protects the writer. */
export interface EstateRoles {
  readonly writer: DatabaseMember;
  readonly replica?: DatabaseMember;
}

export function sameMember(a: DatabaseMember | undefined, b: DatabaseMember | undefined): boolean {
  return a !== undefined && b !== undefined && a.side === b.side && a.instanceId === b.instanceId;
}

export function samePair(a: DatabasePair, b: DatabasePair): boolean {
  return sameMember(a.writer, b.writer) && sameMember(a.replica, b.replica);
}

export function otherSide(side: RegionSide): RegionSide {
  return side === 'primary' ? 'dr' : 'primary';
}

export function describeMember(member: DatabaseMember): string {
  return `${member.instanceId} (${member.side === 'primary' ? 'primary region' : 'DR region'})`;
}

export function describeRoles(roles: EstateRoles): string {
  return `writer ${describeMember(roles.writer)}, ${roles.replica ? `replica ${describeMember(roles.replica)}` : 'no replica (unprotected)'}`;
}

/** The pair a failover/switchover record acts on (records on the configured pair do not store it). */
export function pairOf(state: Pick<FailoverState, 'pair'>, configured: DatabasePair): DatabasePair {
  return state.pair ?? configured;
}

/**
 * The roles the estate has once `state` is where it is now. Only a promotion request changes the writer and only a
 * completed re-protection adds a replica; an aborted record changed nothing.
 * - failover/switchover: completed, or in progress past its promotion request → the promoted replica writes, unprotected;
 *   otherwise (deciding, aborted, or acting before any promotion request) → its pair as it was;
 * - re-protection: completed → its writer, protected by the replica it created; otherwise → its writer, unprotected.
 */
export function rolesAfter(state: FailoverState | undefined, configured: DatabasePair): EstateRoles {
  if (!state) return { writer: configured.writer, replica: configured.replica };
  if (state.mode === 'reprotect') {
    const reprotect = state.reprotect;
    if (!reprotect) throw new Error(`re-protection record ${state.runId} names no writer`);
    return state.status === 'completed' ? { writer: reprotect.writer, replica: reprotect.target } : { writer: reprotect.writer };
  }
  const pair = pairOf(state, configured);
  if (state.status === 'completed' || (state.status === 'in_progress' && state.promoteRequestedAt !== undefined)) return { writer: pair.replica };
  return { writer: pair.writer, replica: pair.replica };
}

/**
 * Does the writer name resolve through the failed-over path (AWS: `FailedOver=1`, the PRIMARY record's health check
 * unhealthy, the SECONDARY record — the configured DR database — answers)? The flag each record keeps; a completed
 * promotion of the configured pair counts as failed over even without it (records written before the flag existed).
 * A switch back to another database (a `pair` on the record) clears the flag in its DNS step.
 */
export function writerNameFailedOver(state: FailoverState | undefined): boolean {
  if (!state) return false;
  if (state.failedOver) return true;
  return state.status === 'completed' && state.mode !== 'reprotect' && state.pair === undefined;
}

/**
 * Is the estate back on its configured pair after a full cycle: a completed re-protection of a writer in the primary
 * region (failed over, re-protected, failed back, re-protected back)? A re-protection's writer and replica always carry
 * the configured names of their regions (the orchestrator refuses any other target), so this is the pair as built.
 */
export function backOnConfiguredPair(state: FailoverState): boolean {
  return state.mode === 'reprotect' && state.status === 'completed' && state.reprotect?.writer.side === 'primary';
}

/** A pair only `writerProtected` uses: whether the roles have a replica does not depend on the instances' names. */
const ANY_PAIR: DatabasePair = { writer: { side: 'primary', instanceId: 'configured writer' }, replica: { side: 'dr', instanceId: 'configured replica' } };

/**
 * Does a replica protect the writer once `state` is where it is now (`rolesAfter`): as built yes; after a promotion
 * no, until a re-protection completes; after a fail-back no again.
 */
export function writerProtected(state: FailoverState | undefined): boolean {
  return rolesAfter(state, ANY_PAIR).replica !== undefined;
}

/**
 * Why the estate is not on its configured pair once `state` is where it is now, or `undefined` when it is (no record,
 * or an aborted one). The drills rehearse a promotion of the configured pair only, so any other answer refuses them.
 */
export function whyNotOnConfiguredPair(state: FailoverState | undefined): string | undefined {
  if (!state || state.status === 'aborted' || backOnConfiguredPair(state)) return undefined;
  const what = state.mode === 'reprotect' ? 're-protection'
    : state.pair ? `switchover to ${describeMember(state.pair.replica)}` : state.mode === 'switchover' ? 'switchover' : 'failover';
  if (state.status === 'in_progress') return `${what} ${state.runId} is in progress (started ${state.startedAt})`;
  return `${what} ${state.runId} completed at ${state.completedAt ?? 'unknown time'}: the estate no longer runs on its configured pair `
    + '(the drills rehearse only that one); re-protect, fail back and reconcile first (docs/runbooks/reprotect-and-failback.md)';
}
