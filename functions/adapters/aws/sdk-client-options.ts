/**
 * One place that bounds every AWS SDK call the functions make. Without it the SDK waits as long as the socket
 * lives: a black-holed regional endpoint (the very outage this product handles) would hold a call for minutes and
 * the Lambda would die at its timeout before it published, fenced or saved anything.
 *
 * - `connectionTimeout`: the TCP/TLS connect of one attempt;
 * - `requestTimeout` with `throwOnRequestTimeout: true`: the whole attempt (request and response). With
 *   `@smithy/node-http-handler` 4.x a `requestTimeout` alone only logs "[WARN] a request has exceeded the configured
 *   … requestTimeout" and keeps waiting: `throwOnRequestTimeout` turns it into a `TimeoutError` (which the SDK's
 *   standard retry strategy treats as transient and retries up to `maxAttempts`). See the SDK's
 *   `requestHandler` / `NodeHttpHandler` configuration,
 *   https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html, and the
 *   `throwOnRequestTimeout` note in https://github.com/aws/aws-sdk-js-v3/blob/main/UPGRADING.md;
 * - `maxAttempts`: attempts per call, first one included (SDK client configuration `maxAttempts`,
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 *
 * A call therefore ends within about `maxAttempts × requestTimeout` plus the retry back-off. Callers that must
 * finish earlier still wrap the call in `withDeadline` (core): the SDK bound is the floor, not the only bound.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface SdkDeadlines {
  /** Attempts per call, the first one included. */
  readonly maxAttempts: number;
  /** Milliseconds to establish the connection of one attempt. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds for one whole attempt (request sent and response received). */
  readonly requestTimeoutMs: number;
}

/** Defaults: a dead region costs seconds per call, not the SDK's open-ended wait. */
export const DEFAULT_SDK_DEADLINES: SdkDeadlines = { maxAttempts: 3, connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 };

/** The part of every client's configuration this module decides. */
export interface SdkClientOptions {
  readonly maxAttempts: number;
  readonly requestHandler: NodeHttpHandler;
}

/**
 * Options to spread into a client constructor: `new RDSClient({ region, ...sdkClientOptions() })`.
 * Each call builds its own handler (a client's `destroy()` closes its handler's sockets, so handlers are not shared).
 */
export function sdkClientOptions(overrides: Partial<SdkDeadlines> = {}): SdkClientOptions {
  const deadlines = { ...DEFAULT_SDK_DEADLINES, ...overrides };
  if (!Number.isInteger(deadlines.maxAttempts) || deadlines.maxAttempts < 1) throw new Error(`maxAttempts must be a positive integer, got ${deadlines.maxAttempts}`);
  for (const [name, value] of [['connectionTimeoutMs', deadlines.connectionTimeoutMs], ['requestTimeoutMs', deadlines.requestTimeoutMs]] as const) {
    if (!(value > 0)) throw new Error(`${name} must be positive, got ${value}`);
  }
  return {
    maxAttempts: deadlines.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: deadlines.connectionTimeoutMs,
      requestTimeout: deadlines.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * Upper bound of the time one call spends on the network (attempts × per-attempt deadline), back-off excluded. The
 * request timer starts with the request, so it covers the connect phase too.
 */
export function worstCaseCallMs(deadlines: SdkDeadlines = DEFAULT_SDK_DEADLINES): number {
  return deadlines.maxAttempts * Math.max(deadlines.connectionTimeoutMs, deadlines.requestTimeoutMs);
}
