import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { runTopologyGate } from '../../../functions/topology-gate/cli';

const rds = mockClient(RDSClient);
const ARGS = ['--primary-region', 'us-east-1', '--primary-instance', 'paydb-primary-db-dev', '--dr-region', 'us-east-2', '--dr-instance', 'paydb-dr-replica-db-dev'];
const notFound = () => new DBInstanceNotFoundFault({ message: 'DBInstance not found', $metadata: {} });

let output: jest.SpyInstance[];
beforeEach(() => {
  rds.reset();
  output = [jest.spyOn(console, 'log').mockImplementation(() => undefined), jest.spyOn(console, 'error').mockImplementation(() => undefined)];
});
afterEach(() => output.forEach((spy) => spy.mockRestore()));

describe('topology gate CLI (RDS through aws-sdk-client-mock)', () => {
  test('reads each instance in its own region; a promoted DR instance (younger than the old primary) refuses writerRegion=primary (exit 1) and allows dr', async () => {
    const regions: Record<string, string> = {};
    // InstanceCreateTime: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html (a Date in SDK v3).
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'paydb-primary-db-dev' }).resolves({ DBInstances: [{
      DBInstanceIdentifier: 'paydb-primary-db-dev', DBInstanceStatus: 'stopped', InstanceCreateTime: new Date('2026-01-01T00:00:00Z'),
    }] });
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' }).resolves({ DBInstances: [{
      DBInstanceIdentifier: 'paydb-dr-replica-db-dev', DBInstanceStatus: 'available', InstanceCreateTime: new Date('2026-01-02T00:00:00Z'),
    }] });
    const clientIn = (region: string) => { const client = new RDSClient({ region }); regions[region] = region; return client; };

    expect(await runTopologyGate(['--expected', 'primary', ...ARGS], clientIn)).toBe(1);
    expect(output[1]).toHaveBeenCalledWith(expect.stringMatching(/^Topology gate: Refused: the estate has failed over/));
    expect(await runTopologyGate(['--expected', 'dr', ...ARGS], clientIn)).toBe(0);
    expect(Object.keys(regions).sort()).toEqual(['us-east-1', 'us-east-2']);
    expect(output[0]).toHaveBeenLastCalledWith(expect.stringContaining('paydb-dr-replica-db-dev (us-east-2) is a standalone writer (status available, created 2026-01-02T00:00:00.000Z)'));
  });

  test('a replica named by its source ARN is the as-built estate; a missing instance is "does not exist", not an error', async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'paydb-primary-db-dev' }).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-db-dev' }] });
    expect(await runTopologyGate(['--expected', 'primary', ...ARGS])).toBe(0);

    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'paydb-dr-replica-db-dev' }).rejects(notFound());
    expect(await runTopologyGate(['--expected', 'primary', ...ARGS])).toBe(0);
    expect(output[0]).toHaveBeenLastCalledWith(expect.stringContaining('paydb-dr-replica-db-dev (us-east-2) does not exist'));
  });

  test('an RDS failure other than not-found is not a verdict: it throws (the CLI then refuses)', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(new Error('AccessDenied'));
    await expect(runTopologyGate(['--expected', 'primary', ...ARGS])).rejects.toThrow('AccessDenied');
    await expect(runTopologyGate(['--expected', 'sideways', ...ARGS])).rejects.toThrow('--expected must be one of primary, dr');
  });
});
