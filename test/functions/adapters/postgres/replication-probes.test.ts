/**
 * The probes' own failure isolation, without a server: a database whose endpoint cannot be found fails its own checks
 * only, and a writer without a replica answers the replica checks with that reason.
 */
import { postgresReplicationProbes } from '../../../../functions/adapters/postgres/replication-probes';

const WRITER = { host: '127.0.0.1', port: 1, database: 'payments', user: 'monitor', password: 'x', ssl: false } as const;

test('a replica whose endpoint lookup fails fails its own probe and lag; the writer probe is unaffected by it', async () => {
  const lookup = jest.fn().mockRejectedValue(new Error('has no endpoint yet (status creating)'));
  const probes = postgresReplicationProbes({ primary: WRITER, replica: lookup, timeoutMs: 200 });

  await expect(probes.probeReplica()).rejects.toThrow(/no endpoint yet/);
  await expect(probes.measureLag()).rejects.toThrow(/no endpoint yet/);
  // Port 1 refuses: the writer is probed (and found down) on its own, not failed by the replica's lookup.
  expect(await probes.probePrimary()).toMatchObject({ reachable: false });
  expect(lookup).toHaveBeenCalledTimes(2);
});

test('without a replica the replica checks say so and touch no server', async () => {
  const probes = postgresReplicationProbes({ primary: WRITER, timeoutMs: 200 });

  expect(await probes.probeReplica()).toEqual({ reachable: false, latencyMs: 0, error: 'no replica: nothing protects the writer' });
  await expect(probes.measureLag()).rejects.toThrow('no replica: nothing protects the writer');
});
