import { Client } from 'pg';
import { isAuthenticationFailure } from '../../core/instance-health';
import { clientConfigFor, describeError, type DatabaseTarget } from '../postgres/connectivity';

/**
 * Where a database is and the credentials to reach it. `refreshCredentials` re-reads the secret instead of using
 * the cached value (`readDatabaseCredentials(…, { refresh: true })`): the database refused the cached password.
 */
export type TargetProvider = (options?: { readonly refreshCredentials?: boolean }) => Promise<DatabaseTarget>;

/** A pg error from the server saying our credentials are stale (SQLSTATE 28P01 / 28000). */
export function isAuthenticationError(error: unknown): boolean {
  return isAuthenticationFailure({ reachable: false, error: describeError(error) });
}

export interface SessionOptions {
  /** Bound for connect, each statement and the socket. */
  readonly timeoutMs: number;
  /** `application_name` of the session (default: the probe's); the write fence's sessions use `FENCE_APPLICATION_NAME`. */
  readonly applicationName?: string;
}

/**
 * Runs `work` on a NEW session and closes it. An authentication failure at connect re-reads the credentials ONCE and
 * connects again (a rotated password must not read as "unreachable"). THROWS whatever else fails.
 */
export async function withDatabaseSession<T>(target: TargetProvider, options: SessionOptions, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectWithFreshCredentialsOnce(target, options);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connectWithFreshCredentialsOnce(target: TargetProvider, options: SessionOptions): Promise<Client> {
  try {
    return await connect(await target(), options);
  } catch (error) {
    if (!isAuthenticationError(error)) throw error;
    return connect(await target({ refreshCredentials: true }), options);
  }
}

async function connect(target: DatabaseTarget, { timeoutMs, applicationName }: SessionOptions): Promise<Client> {
  const client = new Client({ ...clientConfigFor(target, timeoutMs), ...(applicationName ? { application_name: applicationName } : {}) });
  // A server dying (or terminating us) mid-session emits 'error'; the pending query rejects with the real cause.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
