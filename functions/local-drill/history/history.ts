/**
 * A Jepsen-style history of client write operations: one event per operation, recorded when it completes,
 * with the time the client sent it (invoke) and the time it learned the outcome (completion).
 *
 * Outcomes follow Jepsen's three-valued convention, because a client cannot always know whether a write
 * committed:
 * - `ok`: the server acknowledged the commit;
 * - `fail`: the write definitely did not commit (nothing was sent, the server rejected it, e.g. 25006
 *   read-only, or the transaction could not have committed because COMMIT was never sent);
 * - `info`: unknown (e.g. the connection was lost or timed out after COMMIT was sent). The row may or may
 *   not exist; checkers must never count it as either.
 */

/** How the client reached the database: through the writer endpoint, or straight to one node's address. */
export type OperationPath = 'endpoint' | 'direct';

/**
 * The PostgreSQL server that answered, as `system_identifier@address:port`. The system identifier alone is
 * not enough: a physical replica is a clone and shares it with its primary, so the address and port are
 * what keep a promoted replica distinguishable from the old primary.
 */
export type ServerId = string;

interface OperationTimes {
  readonly client: string;
  readonly path: OperationPath;
  /** The unique row id the operation tried to write. */
  readonly id: string;
  /** Epoch ms the client started the operation (before connecting, if it had to). */
  readonly invokedAt: number;
  /** Epoch ms the client learned the outcome. */
  readonly completedAt: number;
}

export interface AcknowledgedOperation extends OperationTimes {
  readonly outcome: 'ok';
  readonly server: ServerId;
}

export interface FailedOperation extends OperationTimes {
  readonly outcome: 'fail';
  /** Absent when no server answered (e.g. the connection was refused or timed out). */
  readonly server?: ServerId;
  readonly error: string;
}

export interface IndeterminateOperation extends OperationTimes {
  readonly outcome: 'info';
  /** Always known: an outcome is only uncertain once the write reached a connected server. */
  readonly server: ServerId;
  readonly error: string;
}

export type HistoryEvent = AcknowledgedOperation | FailedOperation | IndeterminateOperation;
export type History = readonly HistoryEvent[];

/** Completes one invoked operation; exactly one of these may be called. */
export interface PendingOperation {
  ok(server: ServerId): void;
  fail(error: string, server?: ServerId): void;
  info(error: string, server: ServerId): void;
}

/**
 * Epoch milliseconds that never go backwards: the monotonic `performance.now()` anchored at the process's
 * start. Date.now() can jump when the wall clock is adjusted, which would reorder acknowledgements.
 */
export function monotonicEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

export class HistoryRecorder {
  private readonly completed: HistoryEvent[] = [];

  constructor(private readonly clock: () => number = monotonicEpochMs) {}

  /** The recorder's clock: scenarios stamp faults with it so they compare with the history's times. */
  now(): number {
    return this.clock();
  }

  /** Completed operations in completion order; operations still in flight are not included. */
  get events(): History {
    return this.completed;
  }

  invoke(operation: { readonly client: string; readonly path: OperationPath; readonly id: string }): PendingOperation {
    const invokedAt = this.clock();
    let done = false;
    const complete = (event: HistoryEvent) => {
      if (done) throw new Error(`operation ${operation.id} completed twice`);
      done = true;
      this.completed.push(event);
    };
    const times = () => ({ ...operation, invokedAt, completedAt: this.clock() });
    return {
      ok: (server) => complete({ ...times(), outcome: 'ok', server }),
      fail: (error, server) => complete({ ...times(), outcome: 'fail', error, ...(server !== undefined ? { server } : {}) }),
      info: (error, server) => complete({ ...times(), outcome: 'info', error, server }),
    };
  }
}
