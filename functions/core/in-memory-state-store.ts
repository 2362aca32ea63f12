import { LeaseLostError, type AcquireResult, type FailoverState, type FailoverStateStore } from './ports';

/**
 * `FailoverStateStore` in process memory, with the same lock semantics as the DynamoDB adapter.
 * For the local drill (one process runs the failover) and tests; not durable across processes.
 */
export class InMemoryFailoverStateStore implements FailoverStateStore {
  private record: FailoverState | undefined;

  constructor(initial?: FailoverState) {
    this.record = initial;
  }

  async acquire(initial: FailoverState, now: number): Promise<AcquireResult> {
    const existing = this.record;
    const followed = existing?.status === 'completed' && initial.follows !== undefined && existing.runId === initial.follows;
    if (!existing || existing.status === 'aborted' || followed) {
      this.record = { ...initial, version: 1 };
      return { acquired: true, state: this.record, resumed: false };
    }
    if (existing.status === 'in_progress' && existing.leaseExpiresAt <= now) {
      this.record = { ...existing, leaseOwner: initial.leaseOwner, leaseExpiresAt: initial.leaseExpiresAt, version: existing.version + 1 };
      return { acquired: true, state: this.record, resumed: true };
    }
    return { acquired: false, state: existing };
  }

  async read(): Promise<FailoverState | undefined> {
    return this.record;
  }

  async save(state: FailoverState): Promise<FailoverState> {
    const existing = this.record;
    if (!existing || existing.version !== state.version || existing.leaseOwner !== state.leaseOwner) {
      throw new LeaseLostError(`failover record changed (stored version ${existing?.version}, owner ${existing?.leaseOwner})`);
    }
    this.record = { ...state, version: state.version + 1 };
    return this.record;
  }
}
