/**
 * The write lease for the local drill: one linearizable register (what a DynamoDB multi-Region strongly
 * consistent table is to its clients: every read sees the latest write, a conditional write is atomic) reached
 * only through links, one per client region, that the drill can cut. A cut link models a region that lost its
 * path to the quorum: a black hole never answers (the caller's deadline ends the call, as an SDK timeout would),
 * a refusal fails at once. What a link cannot model is the store's own internals (replicas, witness); those are
 * DynamoDB's job on AWS.
 */
import { LeaseConflictError, type WriteLease, type WriteLeaseStore } from '../../core/write-lease';

export class LeaseRegister {
  private lease: WriteLease | undefined;
  private writes = 0;

  read(): WriteLease | undefined {
    return this.lease;
  }

  /** Atomic: compares and writes in one synchronous step. */
  compareAndSet(expected: WriteLease | undefined, next: WriteLease): WriteLease {
    if (!sameLease(this.lease, expected)) throw new LeaseConflictError('the write lease is not the expected one', this.lease);
    this.lease = next;
    this.writes += 1;
    return next;
  }

  get writeCount(): number {
    return this.writes;
  }
}

export type LinkState = 'open' | 'blackhole' | 'refuse';

/** One region's path to the register. */
export class LeaseLink implements WriteLeaseStore {
  private state: LinkState = 'open';

  constructor(
    private readonly register: LeaseRegister,
    readonly name: string,
    private readonly latencyMs = 1,
  ) {}

  /** Cuts or heals the path. Calls already black-holed stay unanswered (their callers' deadlines end them). */
  set(state: LinkState): void {
    this.state = state;
  }

  get current(): LinkState {
    return this.state;
  }

  async read(): Promise<WriteLease | undefined> {
    await this.cross();
    const lease = this.register.read();
    await this.cross(); // the answer travels back over the same path
    return lease;
  }

  async compareAndSet(expected: WriteLease | undefined, next: WriteLease): Promise<WriteLease> {
    await this.cross();
    const written = this.register.compareAndSet(expected, next);
    await this.cross();
    return written;
  }

  private async cross(): Promise<void> {
    if (this.state === 'refuse') throw new Error(`lease link ${this.name}: connection refused`);
    if (this.state === 'blackhole') {
      await new Promise<void>(() => undefined); // never answered: a black hole
    }
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}

function sameLease(a: WriteLease | undefined, b: WriteLease | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.holder === b.holder && a.epoch === b.epoch && a.expiresAt === b.expiresAt;
}
