import { LeaseConflictError, type WriteLease } from '../../../../functions/core/write-lease';
import { LeaseQuorum } from '../../../../functions/adapters/local/local-write-lease';

/**
 * The local lease must behave like the MRSC table it stands for: a region needs a majority of the three replicas
 * (primary, DR, witness) to read or write; any two majorities share a replica, so a write through one is seen by
 * the other. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
 * (multi-Region strong consistency: a write is acknowledged once replicated to another Region; a Region that
 * cannot reach the others cannot write).
 */
const lease = (holder: 'primary' | 'dr', epoch: number, expiresAt: number): WriteLease => ({ holder, epoch, expiresAt, writtenBy: holder, writtenAt: 0 });

/** Settles within `ms` or reports that it hung (a black hole). */
async function settledWithin<T>(work: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; hung?: true }> {
  return Promise.race([
    work.then((value) => ({ value }), (error: unknown) => ({ error })),
    new Promise<{ hung: true }>((resolve) => setTimeout(() => resolve({ hung: true }), ms)),
  ]);
}

describe('local write lease: three replicas, majority reads and writes', () => {
  it('a region cut off from both other replicas can neither renew nor read (refused at once; black-holed hangs)', async () => {
    const quorum = new LeaseQuorum();
    const primary = quorum.clientFor('primary');
    await primary.compareAndSet(undefined, lease('primary', 1, 1_000));
    primary.setRemoteLinks('refuse');
    await expect(primary.compareAndSet(lease('primary', 1, 1_000), lease('primary', 1, 2_000))).rejects.toThrow(/no quorum/);
    primary.setRemoteLinks('blackhole');
    expect(await settledWithin(primary.read(), 50)).toEqual({ hung: true });
    expect(quorum.writeCount).toBe(1);
  });

  it('a partition between the database regions leaves both a majority through the witness, and one lease: the DR side sees the primary\'s renewal', async () => {
    const quorum = new LeaseQuorum();
    const primary = quorum.clientFor('primary');
    const dr = quorum.clientFor('dr');
    primary.setLink('dr', 'blackhole');
    dr.setLink('primary', 'blackhole');
    await primary.compareAndSet(undefined, lease('primary', 1, 1_000));
    await primary.compareAndSet(lease('primary', 1, 1_000), lease('primary', 1, 2_000));
    expect(await dr.read()).toEqual(lease('primary', 1, 2_000));
    // The DR side cannot take it from a stale view: the conditional write compares against the latest version.
    await expect(dr.compareAndSet(lease('primary', 1, 1_000), lease('dr', 2, 9_999))).rejects.toBeInstanceOf(LeaseConflictError);
  });

  it('a stale replica never resurrects an old lease: the DR side\'s takeover through DR + witness is what the primary reads back through primary + witness', async () => {
    const quorum = new LeaseQuorum();
    const primary = quorum.clientFor('primary');
    const dr = quorum.clientFor('dr');
    await primary.compareAndSet(undefined, lease('primary', 1, 1_000));
    // The primary region is cut off; the DR side takes the lease with DR + witness. The primary replica is stale.
    primary.setRemoteLinks('blackhole');
    dr.setLink('primary', 'blackhole');
    await dr.compareAndSet(lease('primary', 1, 1_000), lease('dr', 2, Number.MAX_SAFE_INTEGER));
    expect(quorum.replicaValue('primary').lease).toEqual(lease('primary', 1, 1_000));
    // Healed towards the witness only: the majority {primary, witness} holds the newer version.
    primary.setLink('witness', 'open');
    expect(await primary.read()).toEqual(lease('dr', 2, Number.MAX_SAFE_INTEGER));
    expect(quorum.replicaValue('primary').lease?.holder).toBe('dr'); // repaired on read
    await expect(primary.compareAndSet(lease('primary', 1, 1_000), lease('primary', 1, 3_000))).rejects.toBeInstanceOf(LeaseConflictError);
  });

  it('concurrent conditional writes from both regions: exactly one wins', async () => {
    const quorum = new LeaseQuorum();
    const primary = quorum.clientFor('primary');
    const dr = quorum.clientFor('dr');
    await primary.compareAndSet(undefined, lease('primary', 1, 1_000));
    const results = await Promise.allSettled([
      primary.compareAndSet(lease('primary', 1, 1_000), lease('primary', 1, 2_000)),
      dr.compareAndSet(lease('primary', 1, 1_000), lease('dr', 2, 5_000)),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(quorum.writeCount).toBe(2);
  });
});
