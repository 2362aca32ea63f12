import type { Clock } from './ports';

export interface RetryPolicy {
  /** Total attempts, including the first. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  /** Epoch ms; no backoff sleeps past it. */
  readonly deadline: number;
  readonly onFailedAttempt: (error: unknown, attempt: number) => void;
  /** Errors for which another attempt cannot help (default: retry everything). */
  readonly isRetryable?: (error: unknown) => boolean;
}

/**
 * Runs `operation` up to `policy.attempts` times with exponential backoff (base, 2×base, … capped),
 * never sleeping past the deadline. Rethrows the last error. Bounded by construction, so throttling
 * or a flapping API delays the failover by seconds, never indefinitely.
 */
export async function withRetry<T>(operation: () => Promise<T>, context: RetryContext): Promise<T> {
  const { policy, clock, deadline } = context;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      context.onFailedAttempt(error, attempt);
      const delay = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      const retryable = context.isRetryable?.(error) ?? true;
      if (!retryable || attempt >= policy.attempts || clock.now() + delay >= deadline) throw error;
      await clock.sleep(delay);
    }
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
