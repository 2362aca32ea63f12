import { Client, ClientConfig } from 'pg';

/** Where and how to reach one PostgreSQL server. `ssl: true` means verified TLS with the default CA store. */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean | { rejectUnauthorized: boolean; ca?: string };
}

export interface ProbeResult {
  reachable: boolean;
  latencyMs: number;
  /** Only set when the server answered: true for a standby (replica), false for a writable primary. */
  inRecovery?: boolean;
  error?: string;
}

/** A PostgreSQL error code (SQLSTATE, 5 characters) at the start of a probe error: the server itself answered. */
const SERVER_ANSWERED = /^[0-9A-Z]{5}: /;

/**
 * The probe read as "is the server up?": a server that refused us with its own error (starting up, too many
 * connections, authentication) is alive, so a failed probe with a SQLSTATE counts as reachable.
 */
export function reachableIfAnswered(result: ProbeResult): ProbeResult {
  if (!result.reachable && result.error && SERVER_ANSWERED.test(result.error)) return { ...result, reachable: true };
  return result;
}

/**
 * Builds a pg client configuration whose connect, statements and socket all give up after `timeoutMs`,
 * so a black-holed host (fenced security group, dead region) costs at most that long.
 */
export function clientConfigFor(target: DatabaseTarget, timeoutMs: number): ClientConfig {
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    password: target.password,
    ssl: target.ssl === true ? { rejectUnauthorized: true } : target.ssl,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    application_name: 'dr-probe',
  };
}

/**
 * Opens a fresh connection, runs `SELECT pg_is_in_recovery()` and closes it. Never throws: every failure
 * (DNS, TCP, TLS, auth, timeout, server crash mid-query) becomes `reachable: false` with the error text.
 * A hard deadline backs up pg's own timeouts, which do not cover every stage of a half-open connection.
 */
export async function probeDatabase(target: DatabaseTarget, timeoutMs: number): Promise<ProbeResult> {
  const startedAt = Date.now();
  const client = new Client(clientConfigFor(target, timeoutMs));
  // A server dying after connect emits 'error' on the client; without a listener that would crash the process.
  client.on('error', () => undefined);
  let deadline: NodeJS.Timeout | undefined;
  try {
    const attempt = (async () => {
      await client.connect();
      const result = await client.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
      return result.rows[0].in_recovery;
    })();
    attempt.catch(() => undefined); // the deadline may win the race; the loser's rejection is expected
    const timedOut = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new Error(`probe timed out after ${timeoutMs} ms`)), timeoutMs + 250);
    });
    const inRecovery = await Promise.race([attempt, timedOut]);
    return { reachable: true, latencyMs: Date.now() - startedAt, inRecovery };
  } catch (error) {
    return { reachable: false, latencyMs: Date.now() - startedAt, error: describeError(error) };
  } finally {
    clearTimeout(deadline);
    client.end().catch(() => undefined);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const message = error.message || (error instanceof AggregateError ? error.errors.map(describeError).join('; ') : error.name);
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(error);
}
