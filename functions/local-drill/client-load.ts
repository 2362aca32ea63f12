/**
 * Concurrent writer clients for the fault matrix. Each client is one connection in a loop, as a pooled
 * application server uses it: connect (asking `target()` where to, on every reconnect), then per operation
 * BEGIN; INSERT one row with a unique id; COMMIT — and record the operation in the history with the server
 * that answered. On any error the connection is dropped and, after a short pause, a new one is opened.
 *
 * Every step has a client-side timeout (connect, statement and read), so a black-holed path ends an operation
 * as `fail` or `info` instead of hanging. Stopping (the abort signal) lets each client finish its operation in
 * flight, so every invoked operation is in the history when `runClientLoad` resolves.
 */
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, DatabaseError } from 'pg';
import { clientConfigFor, describeError, type DatabaseTarget } from '../adapters/postgres/connectivity';
import type { HistoryRecorder, OperationPath, ServerId } from './history/history';

export const HISTORY_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS drill_history (id text PRIMARY KEY, client text NOT NULL, at timestamptz NOT NULL DEFAULT now())';

export interface ClientLoadOptions {
  readonly history: HistoryRecorder;
  readonly path: OperationPath;
  /** Where each new connection goes, e.g. the writer endpoint's address or one node's. */
  readonly target: () => DatabaseTarget;
  /** Ends the load; `runClientLoad` resolves once every client has completed its operation in flight. */
  readonly signal: AbortSignal;
  /** Concurrent clients, each with its own connection. Default 4. */
  readonly clients?: number;
  /**
   * Clients are named `${clientPrefix}-1`, `-2`, … and their row ids `${client}:${sequence}`, so loads that share
   * a table need distinct prefixes. Default: `path`.
   */
  readonly clientPrefix?: string;
  /** Timeout of each step: connect, and every statement (server- and client-side). Default 1000 ms. */
  readonly stepTimeoutMs?: number;
  /** Pause after a failed operation before reconnecting. Default 50 ms. */
  readonly reconnectDelayMs?: number;
}

/** Runs the clients until `options.signal` aborts. Never rejects: every failure is an operation in the history. */
export async function runClientLoad(options: ClientLoadOptions): Promise<void> {
  const prefix = options.clientPrefix ?? options.path;
  await Promise.all(Array.from({ length: options.clients ?? 4 }, (_, index) => runClient(`${prefix}-${index + 1}`, options)));
}

/**
 * Whether a failed write definitely did not commit (`fail`) or may have (`info`).
 * - Before COMMIT is sent, nothing can commit, whatever the error: the server rolls back an open transaction
 *   whose connection is gone, and a black-holed proxy never delivers a COMMIT the client did not send.
 * - Once COMMIT is sent, only the server's ERROR in reply proves a rollback: PostgreSQL raises ERROR only before
 *   the commit record is written (a failure after it is a PANIC). A FATAL can follow a local commit (a session
 *   terminated while waiting for a synchronous standby), and a timeout or a lost connection says nothing.
 * The severity is the server's localized one; a non-English lc_messages makes every post-COMMIT error `info`,
 * which is safe (never a false `fail`).
 */
export function classifyWriteError(commitSent: boolean, error: unknown): 'fail' | 'info' {
  if (!commitSent) return 'fail';
  return error instanceof DatabaseError && error.severity === 'ERROR' ? 'fail' : 'info';
}

/**
 * The answering server's `ServerId`. Asked of the server itself, so it names the node behind any proxy.
 * format() renders a NULL address (a Unix-socket connection) as empty instead of nulling the whole identity.
 */
export async function serverIdentity(client: Client): Promise<ServerId> {
  const { rows } = await client.query<{ server: string }>(
    "SELECT format('%s@%s:%s', system_identifier, host(inet_server_addr()), inet_server_port()) AS server FROM pg_control_system()",
  );
  return rows[0].server;
}

/** The ids in `drill_history` on the server `client` is connected to. */
export async function readWrittenIds(client: Client): Promise<Set<string>> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM drill_history');
  return new Set(rows.map((row) => row.id));
}

interface Connection {
  readonly client: Client;
  readonly server: ServerId;
  /** pg's end() waits for the server's goodbye, which a black hole never sends: dropping means destroying this. */
  readonly socket: net.Socket;
}

async function connect(target: DatabaseTarget, stepTimeoutMs: number, clientName: string): Promise<Connection> {
  const socket = new net.Socket();
  const client = new Client({ ...clientConfigFor(target, stepTimeoutMs), application_name: `drill-${clientName}`, stream: () => socket });
  client.on('error', () => undefined); // a lost connection also rejects the query in flight, which the loop records
  try {
    await client.connect();
    // One TCP connection reaches one server for its whole life, so asking once per connection is enough.
    return { client, socket, server: await serverIdentity(client) };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

async function runClient(clientName: string, options: ClientLoadOptions): Promise<void> {
  const { history, path, signal } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? 1000;
  const pauseBeforeReconnect = () => sleep(options.reconnectDelayMs ?? 50, undefined, { signal }).catch(() => undefined);
  let connection: Connection | undefined;
  for (let sequence = 1; !signal.aborted; sequence += 1) {
    const id = `${clientName}:${sequence}`;
    const operation = history.invoke({ client: clientName, path, id });
    try {
      connection ??= await connect(options.target(), stepTimeoutMs, clientName);
    } catch (error) {
      operation.fail(describeError(error)); // nothing of this write was sent
      await pauseBeforeReconnect();
      continue;
    }
    const { client, server, socket } = connection;
    let commitSent = false;
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO drill_history (id, client) VALUES ($1, $2)', [id, clientName]);
      commitSent = true; // set before the call: from here on an error may come after the server got it
      await client.query('COMMIT');
      operation.ok(server);
    } catch (error) {
      const outcome = classifyWriteError(commitSent, error);
      if (outcome === 'info') operation.info(describeError(error), server);
      else operation.fail(describeError(error), server);
      socket.destroy();
      connection = undefined;
      await pauseBeforeReconnect();
    }
  }
  connection?.socket.destroy();
}
