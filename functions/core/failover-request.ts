/**
 * What may start the orchestrator. Handlers turn their event envelopes into one of these and the
 * core validates it: anything else is rejected before any side effect.
 */
export type FailoverRequest =
  /** The composite "primary down" alarm went to ALARM (EventBridge). */
  | { readonly trigger: 'alarm'; readonly alarmName: string; readonly reason: string }
  /**
   * An operator asks for a failover.
   * - `force`: promote even if the replication lag is over budget or unknown (accepting data loss).
   *   It does NOT override a primary that still answers.
   * - `switchover`: the operator states the primary is alive and asks for a planned, zero-loss switchover:
   *   the orchestrator takes the write lease, makes the old primary read-only at the database (verified),
   *   waits until the replica has replayed its last WAL position, then promotes. Refused when the primary
   *   does not answer. Without it, a primary that answers means "false alarm" and nothing is promoted.
   * - `confirmPrimaryDead`: the operator states the primary is gone even though its control plane may say
   *   otherwise (or, in manual-confirm mode, confirms what the alarm suspects). It never overrides the write
   *   lease: the DR side still waits until the primary's lease has run out.
   */
  | { readonly trigger: 'operator'; readonly reason: string; readonly force: boolean; readonly switchover: boolean; readonly confirmPrimaryDead: boolean }
  /** Scheduled: continue unfinished steps, or re-evaluate a decision that is still waiting. */
  | { readonly trigger: 'resume' }
  /** Operator: stop a failover that has not requested a promotion yet (hands the write lease back if taken). */
  | { readonly trigger: 'cancel'; readonly reason: string }
  /**
   * Operator, after a failover: give the promoted writer a replica in the other region (and replicate its automated
   * backups there). Only when the state says the estate is failed over and that writer holds the write lease. Moving
   * the writer back afterwards is a separate, deliberate `switchover` request; nothing here is automatic.
   */
  | { readonly trigger: 'reprotect'; readonly reason: string };

export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

const MAX_REASON_LENGTH = 500;

/** Validates an untrusted request; THROWS `InvalidRequestError` naming the bad field. */
export function validateFailoverRequest(input: unknown): FailoverRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError('request must be an object');
  }
  const request = input as Record<string, unknown>;
  switch (request.trigger) {
    case 'alarm':
      return { trigger: 'alarm', alarmName: requireText(request, 'alarmName'), reason: optionalText(request, 'reason') ?? '' };
    case 'operator': {
      const reason = requireText(request, 'reason');
      const switchover = optionalFlag(request, 'switchover');
      const confirmPrimaryDead = optionalFlag(request, 'confirmPrimaryDead');
      if (switchover && confirmPrimaryDead) {
        throw new InvalidRequestError('switchover and confirmPrimaryDead contradict each other: a switchover needs a live primary');
      }
      return { trigger: 'operator', reason, force: optionalFlag(request, 'force'), switchover, confirmPrimaryDead };
    }
    case 'resume':
      return { trigger: 'resume' };
    case 'cancel':
      return { trigger: 'cancel', reason: requireText(request, 'reason') };
    case 'reprotect':
      return { trigger: 'reprotect', reason: requireText(request, 'reason') };
    default:
      throw new InvalidRequestError(`trigger must be "alarm", "operator", "resume", "cancel" or "reprotect", got ${JSON.stringify(request.trigger)}`);
  }
}

function requireText(request: Record<string, unknown>, field: string): string {
  const value = optionalText(request, field);
  if (value === undefined || value.trim() === '') throw new InvalidRequestError(`${field} is required and must be a non-empty string`);
  return value.trim();
}

function optionalText(request: Record<string, unknown>, field: string): string | undefined {
  const value = request[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(`${field} must be a string`);
  if (value.length > MAX_REASON_LENGTH) throw new InvalidRequestError(`${field} must be at most ${MAX_REASON_LENGTH} characters`);
  return value;
}

function optionalFlag(request: Record<string, unknown>, field: string): boolean {
  const value = request[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidRequestError(`${field} must be true or false`);
  return value;
}
