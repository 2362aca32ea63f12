import { topologyGateVerdict, type ObservedInstance, type WriterRegion } from '../../../functions/core/topology-gate';

const NAMES = { primaryInstanceId: 'paydb-primary-db-dev', drInstanceId: 'paydb-dr-replica-db-dev', reprotectInstanceId: 'paydb-primary-reprotect-db-dev', primaryRegion: 'us-east-1', drRegion: 'us-east-2' };
const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-db-dev';
const absent: ObservedInstance = { exists: false };
const writer: ObservedInstance = { exists: true, status: 'available' };
const replicaOfPrimary: ObservedInstance = { exists: true, status: 'available', replicaOf: PRIMARY_ARN };

const verdict = (expected: WriterRegion, primary: ObservedInstance, dr: ObservedInstance, reprotect: ObservedInstance = absent) =>
  topologyGateVerdict({ expected, observed: { primary, dr, reprotect }, ...NAMES });

describe('topology gate: a deployment describes the estate as RDS reports it', () => {
  test('as built (primary writes, DR replicates it by ARN): primary allowed, dr refused — the writer name would point at the replica', () => {
    expect(verdict('primary', writer, replicaOfPrimary)).toMatchObject({ allow: true, observedWriter: 'primary' });
    const refused = verdict('dr', writer, replicaOfPrimary);
    expect(refused).toMatchObject({ allow: false, observedWriter: 'primary' });
    expect(refused.message).toContain('would point the writer name at a replica that refuses writes while paydb-primary-db-dev still takes them');
  });

  test('failed over (the DR instance is standalone): primary refused with what to change, dr allowed', () => {
    const refused = verdict('primary', writer, writer);
    expect(refused).toMatchObject({ allow: false, observedWriter: 'dr' });
    expect(refused.message).toMatch(/^Refused: the estate has failed over — paydb-dr-replica-db-dev in us-east-2 is the writer/);
    expect(refused.message).toContain('Set the context value writerRegion to "dr"');
    expect(refused.message).toContain('docs/runbooks/reprotect-and-failback.md');
    expect(verdict('dr', writer, writer)).toMatchObject({ allow: true, observedWriter: 'dr' });
    // The old primary gone (deleted, or its region lost) changes nothing: the DR instance decides.
    expect(verdict('primary', absent, writer).allow).toBe(false);
    expect(verdict('dr', absent, writer).allow).toBe(true);
  });

  test('first deployment: nothing exists — allowed only as built', () => {
    expect(verdict('primary', absent, absent)).toMatchObject({ allow: true, observedWriter: 'none' });
    expect(verdict('dr', absent, absent).allow).toBe(false);
    // The DR stack deploys after the primary's: a primary without its replica yet is the as-built estate.
    expect(verdict('primary', writer, absent).allow).toBe(true);
    expect(verdict('dr', writer, absent).allow).toBe(false);
  });

  test('a state no configuration describes is refused either way (a replica of something else, both replicas)', () => {
    const replicaOfOther: ObservedInstance = { exists: true, status: 'available', replicaOf: 'arn:aws:rds:us-east-1:111111111111:db:someone-else' };
    for (const expected of ['primary', 'dr'] as const) {
      expect(verdict(expected, writer, replicaOfOther)).toMatchObject({ allow: false, observedWriter: 'unknown' });
      expect(verdict(expected, { exists: true, status: 'available', replicaOf: 'paydb-dr-replica-db-dev' }, replicaOfPrimary).allow).toBe(expected === 'primary');
    }
  });

  test('re-protected (a replica of the DR writer in the primary region, by ARN): still the failed-over estate', () => {
    const reprotectReplica: ObservedInstance = { exists: true, status: 'available', replicaOf: 'arn:aws:rds:us-east-2:111111111111:db:paydb-dr-replica-db-dev' };
    const stopped: ObservedInstance = { exists: true, status: 'stopped' };
    expect(verdict('dr', stopped, writer, reprotectReplica)).toMatchObject({ allow: true, observedWriter: 'dr' });
    expect(verdict('primary', stopped, writer, reprotectReplica)).toMatchObject({ allow: false, observedWriter: 'dr' });
  });

  test('failed back (the re-protection replica promoted, the DR instance fenced and standalone): refused whatever the configuration says', () => {
    const promotedReprotect: ObservedInstance = { exists: true, status: 'available' };
    const stopped: ObservedInstance = { exists: true, status: 'stopped' };
    for (const expected of ['primary', 'dr'] as const) {
      const refused = verdict(expected, stopped, stopped, promotedReprotect);
      expect(refused).toMatchObject({ allow: false, observedWriter: 'failed-back' });
      expect(refused.message).toContain('paydb-primary-reprotect-db-dev in us-east-1 is the writer');
      expect(refused.message).toContain('paydb-primary-reprotect-db-dev (us-east-1) is a standalone writer');
    }
  });
});
