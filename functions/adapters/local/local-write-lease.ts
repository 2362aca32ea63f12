/**
 * The write lease for the local drill, with the quorum semantics of a DynamoDB multi-Region strongly consistent
 * (MRSC) global table: three replicas — one in each database "region" and a witness — and every read and write
 * needs a majority of them. A region that reaches only its own replica can neither renew nor take the lease; two
 * regions cut from each other but both reaching the witness each still have a majority, and see one lease.
 *
 * Why this is linearizable without a consensus protocol: the drill runs in one process, so an operation reads and
 * writes all the replicas it reaches in ONE synchronous step (nothing interleaves inside it). Each write carries a
 * version one above the highest it saw; any two majorities share a replica, so the highest version within any
 * majority is the latest write. A replica that was cut off stays stale until an operation reaches it again (it is
 * then repaired), which is what the witness and the other replica make harmless.
 *
 * Each region's client reaches each replica over its own link, which the drill can cut: a black hole never
 * answers (the caller's deadline ends the call, as an SDK timeout would), a refusal fails at once.
 */
import { LeaseConflictError, type WriteLease, type WriteLeaseStore } from '../../core/write-lease';

export type LeaseReplicaName = 'primary' | 'dr' | 'witness';
export const LEASE_REPLICAS: readonly LeaseReplicaName[] = ['primary', 'dr', 'witness'];

export type LinkState = 'open' | 'blackhole' | 'refuse';

interface ReplicaValue {
  readonly version: number;
  readonly lease: WriteLease | undefined;
}

/** The three replicas. Only `QuorumLeaseClient`s touch them. */
export class LeaseQuorum {
  private readonly replicas = new Map<LeaseReplicaName, ReplicaValue>(LEASE_REPLICAS.map((name) => [name, { version: 0, lease: undefined }]));
  private writes = 0;

  /** A region's client, reaching every replica over its own link (all open at first). */
  clientFor(region: 'primary' | 'dr', latencyMs = 1): QuorumLeaseClient {
    return new QuorumLeaseClient(this, region, latencyMs);
  }

  /** Successful conditional writes so far (renewals and takeovers). */
  get writeCount(): number {
    return this.writes;
  }

  /** The value a replica holds now (for tests and reports; no quorum involved). */
  replicaValue(name: LeaseReplicaName): { version: number; lease: WriteLease | undefined } {
    return this.replicas.get(name)!;
  }

  /** The latest value within `reachable` (a majority), repairing the stale ones. Synchronous: atomic in the drill. */
  readMajority(reachable: readonly LeaseReplicaName[]): ReplicaValue {
    const latest = reachable.map((name) => this.replicas.get(name)!).reduce((a, b) => (b.version > a.version ? b : a));
    for (const name of reachable) this.replicas.set(name, latest);
    return latest;
  }

  /** Compares against the latest value within `reachable` and writes all of them, in one synchronous step. */
  compareAndSetMajority(reachable: readonly LeaseReplicaName[], expected: WriteLease | undefined, next: WriteLease): WriteLease {
    const latest = this.readMajority(reachable);
    if (!sameLease(latest.lease, expected)) throw new LeaseConflictError('the write lease is not the expected one', latest.lease);
    const written: ReplicaValue = { version: latest.version + 1, lease: next };
    for (const name of reachable) this.replicas.set(name, written);
    this.writes += 1;
    return next;
  }
}

/** One region's path to the quorum: a `WriteLeaseStore` whose links to each replica the drill can cut. */
export class QuorumLeaseClient implements WriteLeaseStore {
  private readonly links = new Map<LeaseReplicaName, LinkState>(LEASE_REPLICAS.map((name) => [name, 'open']));

  constructor(
    private readonly quorum: LeaseQuorum,
    readonly region: 'primary' | 'dr',
    private readonly latencyMs: number,
  ) {}

  /** Cuts or heals the link to one replica. */
  setLink(replica: LeaseReplicaName, state: LinkState): void {
    this.links.set(replica, state);
  }

  /** Cuts or heals this region's links to the two replicas outside it (its own replica stays reachable). */
  setRemoteLinks(state: LinkState): void {
    for (const replica of LEASE_REPLICAS) if (replica !== this.region) this.setLink(replica, state);
  }

  link(replica: LeaseReplicaName): LinkState {
    return this.links.get(replica)!;
  }

  async read(): Promise<WriteLease | undefined> {
    await this.travel();
    const lease = this.quorum.readMajority(await this.reachableMajority()).lease;
    await this.travel(); // the answer travels back
    return lease;
  }

  async compareAndSet(expected: WriteLease | undefined, next: WriteLease): Promise<WriteLease> {
    await this.travel();
    const written = this.quorum.compareAndSetMajority(await this.reachableMajority(), expected, next);
    await this.travel();
    return written;
  }

  /**
   * The replicas this client reaches, if they are a majority. Without one the call fails like the store would: at
   * once when the missing replicas refuse; never (the caller's deadline ends it, as on AWS) when any is black-holed.
   */
  private async reachableMajority(): Promise<LeaseReplicaName[]> {
    const reachable = LEASE_REPLICAS.filter((replica) => this.links.get(replica) === 'open');
    if (reachable.length * 2 > LEASE_REPLICAS.length) return reachable;
    if (LEASE_REPLICAS.some((replica) => this.links.get(replica) === 'blackhole')) return new Promise<never>(() => undefined);
    throw new Error(`${this.region} region: no quorum of the write lease (reaches only ${reachable.join(', ') || 'no replica'}; the others refuse)`);
  }

  private async travel(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}

function sameLease(a: WriteLease | undefined, b: WriteLease | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.holder === b.holder && a.epoch === b.epoch && a.expiresAt === b.expiresAt;
}
