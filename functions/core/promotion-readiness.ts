import { formatSeconds } from './format-seconds';
import type { ReplicaStatus } from './ports';

export interface PromotionReadinessInput {
  readonly replica: ReplicaStatus;
  /** Latest lag measurement; `undefined` = unknown, which never counts as within budget. */
  readonly lagSeconds: number | undefined;
  readonly maxLagSeconds: number;
  /**
   * Require the control plane to report healthy replication. True for drills and planned switchovers;
   * false for a failover, where replication has broken because the primary is gone.
   */
  readonly requireReplicating: boolean;
}

export interface PromotionReadiness {
  /** Promotable now: no blocker and lag within budget. */
  readonly ready: boolean;
  /** The DR database is no longer a replica (promoting or writer): promotion must not be requested again. */
  readonly alreadyPromoted: boolean;
  readonly lagWithinBudget: boolean;
  /** Problems that no `force` can override (the replica cannot be promoted safely in this state). */
  readonly blockers: readonly string[];
  /** Human-readable lag verdict for reports. */
  readonly lagVerdict: string;
}

/** Pure: is the DR replica ready to be promoted? Shared by the orchestrator and the synthetic drill. */
export function evaluatePromotionReadiness(input: PromotionReadinessInput): PromotionReadiness {
  const { replica, lagSeconds, maxLagSeconds } = input;
  const alreadyPromoted = replica.role !== 'replica';
  const blockers: string[] = [];
  if (alreadyPromoted) {
    blockers.push(`DR database is no longer a replica (role ${replica.role}, status ${replica.status})`);
  } else {
    if (!replica.available) blockers.push(`DR replica is not available (status ${replica.status})`);
    if (input.requireReplicating && replica.replicationState !== 'replicating') {
      blockers.push(`DR replica is not replicating (replication state ${replica.replicationState ?? 'unknown'})`);
    }
  }
  const lagWithinBudget = lagSeconds !== undefined && Number.isFinite(lagSeconds) && lagSeconds <= maxLagSeconds;
  const lagVerdict = lagSeconds === undefined || !Number.isFinite(lagSeconds)
    ? `replication lag unknown (counts as over the ${formatSeconds(maxLagSeconds)} budget)`
    : `replication lag ${formatSeconds(lagSeconds)} ${lagWithinBudget ? 'within' : 'over'} the ${formatSeconds(maxLagSeconds)} budget`;
  return { ready: blockers.length === 0 && lagWithinBudget, alreadyPromoted, lagWithinBudget, blockers, lagVerdict };
}
