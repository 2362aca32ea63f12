import { topologyGateVerdict, type ObservedInstance, type WriterRegion } from '../../../functions/core/topology-gate';

const NAMES = { primaryInstanceId: 'paydb-primary-db-dev', drInstanceId: 'paydb-dr-replica-db-dev', primaryRegion: 'us-east-1', drRegion: 'us-east-2' };
const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-db-dev';
const absent: ObservedInstance = { exists: false };
/** The original primary, created first; the DR replica a day later (`InstanceCreateTime`). */
const writer: ObservedInstance = { exists: true, status: 'available', createdAt: '2026-01-01T00:00:00.000Z' };
const promotedDr: ObservedInstance = { exists: true, status: 'available', createdAt: '2026-01-02T00:00:00.000Z' };
const replicaOfPrimary: ObservedInstance = { exists: true, status: 'available', replicaOf: PRIMARY_ARN };

const verdict = (expected: WriterRegion, primary: ObservedInstance, dr: ObservedInstance) => topologyGateVerdict({ expected, observed: { primary, dr }, ...NAMES });

describe('topology gate: a deployment describes the estate as RDS reports it', () => {
  test('as built (primary writes, DR replicates it by ARN): primary allowed, dr refused — the writer name would point at the replica', () => {
    expect(verdict('primary', writer, replicaOfPrimary)).toMatchObject({ allow: true, observedWriter: 'primary' });
    const refused = verdict('dr', writer, replicaOfPrimary);
    expect(refused).toMatchObject({ allow: false, observedWriter: 'primary' });
    expect(refused.message).toContain('would point the writer name at a replica that refuses writes while paydb-primary-db-dev still takes them');
  });

  test('failed over (the DR instance is standalone, and younger than the old primary): primary refused with what to change, dr allowed', () => {
    const refused = verdict('primary', writer, promotedDr);
    expect(refused).toMatchObject({ allow: false, observedWriter: 'dr' });
    expect(refused.message).toMatch(/^Refused: the estate has failed over — paydb-dr-replica-db-dev in us-east-2 is the writer/);
    expect(refused.message).toContain('Set the context value writerRegion to "dr"');
    expect(refused.message).toContain('docs/runbooks/reprotect-and-failback.md');
    expect(verdict('dr', writer, promotedDr)).toMatchObject({ allow: true, observedWriter: 'dr' });
    // The old primary gone (renamed by the re-protection, deleted, or its region lost) changes nothing: the DR instance decides.
    expect(verdict('primary', absent, promotedDr).allow).toBe(false);
    expect(verdict('dr', absent, promotedDr).allow).toBe(true);
  });

  test('first deployment: nothing exists — allowed only as built', () => {
    expect(verdict('primary', absent, absent)).toMatchObject({ allow: true, observedWriter: 'none' });
    expect(verdict('dr', absent, absent).allow).toBe(false);
    // The DR stack deploys after the primary's: a primary without its replica yet is the as-built estate.
    expect(verdict('primary', writer, absent).allow).toBe(true);
    expect(verdict('dr', writer, absent).allow).toBe(false);
  });

  test('a state no configuration describes is refused either way (a replica of something else, both replicas, standalone without creation times)', () => {
    const replicaOfOther: ObservedInstance = { exists: true, status: 'available', replicaOf: 'arn:aws:rds:us-east-1:111111111111:db:someone-else' };
    const replicaOfDr: ObservedInstance = { exists: true, status: 'available', replicaOf: 'arn:aws:rds:us-east-2:111111111111:db:paydb-dr-replica-db-dev' };
    const undated: ObservedInstance = { exists: true, status: 'available' };
    for (const expected of ['primary', 'dr'] as const) {
      expect(verdict(expected, writer, replicaOfOther)).toMatchObject({ allow: false, observedWriter: 'unknown' });
      expect(verdict(expected, replicaOfDr, replicaOfPrimary)).toMatchObject({ allow: false, observedWriter: 'unknown' });
      expect(verdict(expected, undated, undated)).toMatchObject({ allow: false, observedWriter: 'unknown' });
      expect(verdict(expected, writer, { ...promotedDr, createdAt: writer.exists ? writer.createdAt : '' })).toMatchObject({ allow: false, observedWriter: 'unknown' });
    }
  });

  // The re-protection gives the new replica the configured name of its region (the old writer renamed away), so the
  // whole cycle runs on the two names the templates know.
  const reprotectedPrimary: ObservedInstance = { exists: true, status: 'available', replicaOf: 'arn:aws:rds:us-east-2:111111111111:db:paydb-dr-replica-db-dev', createdAt: '2026-03-01T00:00:00.000Z' };
  const failedBackPrimary: ObservedInstance = { exists: true, status: 'available', createdAt: '2026-03-01T00:00:00.000Z' };
  const fencedOldDrWriter: ObservedInstance = { exists: true, status: 'stopped', createdAt: '2026-01-02T00:00:00.000Z' };

  test('re-protected (a replica of the DR writer under the primary name, by ARN): still the failed-over estate, dr allowed', () => {
    expect(verdict('dr', reprotectedPrimary, promotedDr)).toMatchObject({ allow: true, observedWriter: 'dr' });
    expect(verdict('dr', reprotectedPrimary, promotedDr).message).toContain('protected by paydb-primary-db-dev (re-protected)');
    expect(verdict('primary', reprotectedPrimary, promotedDr)).toMatchObject({ allow: false, observedWriter: 'dr' });
  });

  test('failed back (the primary-name replica promoted, younger than the old DR writer the fail-back fenced): primary allowed, dr refused with what to change', () => {
    const allowed = verdict('primary', failedBackPrimary, fencedOldDrWriter);
    expect(allowed).toMatchObject({ allow: true, observedWriter: 'primary' });
    expect(allowed.message).toContain('unprotected until the re-protection back');
    const refused = verdict('dr', failedBackPrimary, fencedOldDrWriter);
    expect(refused).toMatchObject({ allow: false, observedWriter: 'primary' });
    expect(refused.message).toMatch(/^Refused: the estate failed back — paydb-primary-db-dev in us-east-1 is the writer again/);
    expect(refused.message).toContain('Set writerRegion back to "primary"');
  });

  test('mid re-protection back (the old DR writer renamed away) and re-protected back: the as-built estate', () => {
    expect(verdict('primary', failedBackPrimary, absent)).toMatchObject({ allow: true, observedWriter: 'primary' });
    const newDrReplica: ObservedInstance = { ...replicaOfPrimary, createdAt: '2026-03-02T00:00:00.000Z' };
    expect(verdict('primary', failedBackPrimary, newDrReplica)).toMatchObject({ allow: true, observedWriter: 'primary' });
    expect(verdict('dr', failedBackPrimary, newDrReplica).allow).toBe(false);
  });

  test('mutation guard: with the creation times swapped the same pair reads as failed over', () => {
    expect(verdict('dr', { ...failedBackPrimary, createdAt: '2025-12-01T00:00:00.000Z' }, fencedOldDrWriter)).toMatchObject({ allow: true, observedWriter: 'dr' });
  });
});
