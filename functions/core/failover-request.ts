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
   * - `switchover`: the operator states the primary is alive and asks for a planned switchover: the
   *   old primary is fenced FIRST (must succeed), then the replica is promoted. Without it, a
   *   primary that answers means "false alarm" and nothing is promoted.
   */
  | { readonly trigger: 'operator'; readonly reason: string; readonly force: boolean; readonly switchover: boolean }
  /** Scheduled: continue unfinished steps of an earlier failover (lease expired or steps pending). */
  | { readonly trigger: 'resume' };

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
      return { trigger: 'operator', reason, force: optionalFlag(request, 'force'), switchover: optionalFlag(request, 'switchover') };
    }
    case 'resume':
      return { trigger: 'resume' };
    default:
      throw new InvalidRequestError(`trigger must be "alarm", "operator" or "resume", got ${JSON.stringify(request.trigger)}`);
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
