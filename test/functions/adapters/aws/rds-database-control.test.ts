import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBInstancesCommand, ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, PromoteReadReplicaCommand, RDSClient, StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchReplicationLag } from '../../../../functions/adapters/aws/cloudwatch-replication-lag';
import { RdsDatabaseControl, replicaStatusOf } from '../../../../functions/adapters/aws/rds-database-control';
import type { TargetProvider } from '../../../../functions/adapters/aws/database-session';
import type { DatabaseTarget, ProbeResult } from '../../../../functions/adapters/postgres/connectivity';

const rds = mockClient(RDSClient);
const cloudWatch = mockClient(CloudWatchClient);
const SOURCE = 'arn:aws:rds:us-east-1:111111111111:db:paydb-primary-dev';
const NOW = new Date('2026-11-21T10:00:00Z');
const stateFault = () => Object.assign(new Error('not in available state'), { name: 'InvalidDBInstanceStateFault' });

const target = (host: string): TargetProvider => async () => ({ host, port: 5432, database: 'payments', user: 'u', password: 'p', ssl: true });

function control(
  probeResult: ProbeResult | ((target: DatabaseTarget) => ProbeResult) = { reachable: false, latencyMs: 1 },
  primaryTarget: TargetProvider = target('primary'),
) {
  return new RdsDatabaseControl({
    primaryRds: new RDSClient({ region: 'us-east-1' }), drRds: new RDSClient({ region: 'us-east-2' }),
    primaryInstanceId: 'paydb-primary-dev', replicaInstanceId: 'paydb-replica-dev', fenceSecurityGroupId: 'sg-fence',
    primaryParameterGroup: 'paydb-primary-dev-params',
    primaryTarget, replicaTarget: target('replica'),
    probe: async (probed) => (typeof probeResult === 'function' ? probeResult(probed) : probeResult),
    replicationLag: new CloudWatchReplicationLag({
      cloudWatch: new CloudWatchClient({ region: 'us-east-2' }), metricNamespace: 'PaymentsDR', environmentSuffix: 'dev',
      lagLookbackSeconds: 600, probeIntervalSeconds: 60, now: () => NOW,
    }),
  });
}

beforeEach(() => {
  rds.reset();
  cloudWatch.reset();
});

describe('probePrimary', () => {
  test('a PostgreSQL error (SQLSTATE) means the server answered', async () => {
    const probe = await control({ reachable: false, latencyMs: 30, error: '57P03: the database system is starting up' }).probePrimary(5000);
    expect(probe.reachable).toBe(true);
  });
  test('a network error means unreachable', async () => {
    expect((await control({ reachable: false, latencyMs: 5000, error: 'ECONNREFUSED: connect ECONNREFUSED' }).probePrimary(5000)).reachable).toBe(false);
  });
  test('unreadable credentials throw (doubt, not evidence)', async () => {
    await expect(control(undefined, async () => { throw new Error('AccessDenied'); }).probePrimary(5000)).rejects.toThrow('AccessDenied');
  });
  test('53300 (too many connections) counts as reachable', async () => {
    expect((await control({ reachable: false, latencyMs: 9, error: '53300: sorry, too many clients already' }).probePrimary(5000)).reachable).toBe(true);
  });
  test('28P01 then success after re-reading the secret: the probe is repeated once with fresh credentials', async () => {
    const reads: (boolean | undefined)[] = [];
    const rotating: TargetProvider = async (options) => {
      reads.push(options?.refreshCredentials);
      return { host: 'primary', port: 5432, database: 'payments', user: 'u', password: options?.refreshCredentials ? 'rotated' : 'old', ssl: true };
    };
    const probe = await control((probed) => (probed.password === 'rotated'
      ? { reachable: true, latencyMs: 12, inRecovery: false }
      : { reachable: false, latencyMs: 7, error: '28P01: password authentication failed for user "u"' }), rotating).probePrimary(5000);

    expect(reads).toEqual([undefined, true]);
    expect(probe).toEqual({ reachable: true, latencyMs: 12, inRecovery: false });
  });
  test('still refused after the one re-read: the server answered, so it is reachable (never "down")', async () => {
    const reads: (boolean | undefined)[] = [];
    const probe = await control({ reachable: false, latencyMs: 7, error: '28P01: password authentication failed' }, async (options) => {
      reads.push(options?.refreshCredentials);
      return { host: 'primary', port: 5432, database: 'payments', user: 'u', password: 'p', ssl: true };
    }).probePrimary(5000);
    expect(reads).toEqual([undefined, true]);
    expect(probe.reachable).toBe(true);
  });
});

test.each([
  [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE, StatusInfos: [{ StatusType: 'read replication', Status: 'replicating' }] },
    { role: 'replica', status: 'available', available: true, replicationState: 'replicating' }],
  [{ DBInstanceStatus: 'modifying' }, { role: 'promoting', status: 'modifying', available: false }],
  [{ DBInstanceStatus: 'available' }, { role: 'writer', status: 'available', available: true }],
])('replicaStatusOf(%j)', (instance, expected) => {
  expect(replicaStatusOf(instance)).toEqual(expected);
});

describe('replicationLagSeconds', () => {
  const minute = (n: number) => new Date(Date.UTC(2026, 10, 21, 9, 50 + n));
  /** GetMetricData answers newest first (ScanBy TimestampDescending). */
  const answer = (lag: Array<[number, number]>, reachable: Array<[number, number]>) => ({
    MetricDataResults: [
      { Id: 'lag', Timestamps: lag.map(([n]) => minute(n)).reverse(), Values: lag.map(([, value]) => value).reverse() },
      { Id: 'primaryReachable', Timestamps: reachable.map(([n]) => minute(n)).reverse(), Values: reachable.map(([, value]) => value).reverse() },
    ],
  });

  test('reads ReplicationLagSeconds (Maximum), PrimaryReachable (Minimum) and PrimaryWritable (Maximum) of the environment in one call over the look-back', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(answer([[0, 3]], [[0, 1]]));
    await control().replicationLagSeconds();
    const dimensions = [{ Name: 'EnvironmentSuffix', Value: 'dev' }];
    expect(cloudWatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input)).toEqual([{
      StartTime: new Date('2026-11-21T09:50:00Z'), EndTime: NOW, ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        { Id: 'lag', ReturnData: true, MetricStat: { Metric: { Namespace: 'PaymentsDR', MetricName: 'ReplicationLagSeconds', Dimensions: dimensions }, Period: 60, Stat: 'Maximum' } },
        { Id: 'primaryReachable', ReturnData: true, MetricStat: { Metric: { Namespace: 'PaymentsDR', MetricName: 'PrimaryReachable', Dimensions: dimensions }, Period: 60, Stat: 'Minimum' } },
        { Id: 'primaryWritable', ReturnData: true, MetricStat: { Metric: { Namespace: 'PaymentsDR', MetricName: 'PrimaryWritable', Dimensions: dimensions }, Period: 60, Stat: 'Maximum' } },
      ],
    }]);
  });

  test('primary reachable: the newest lag datum', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(answer([[0, 400], [1, 7]], [[0, 1], [1, 1]]));
    expect(await control().replicationLagSeconds()).toBe(7);
  });

  test('primary unreachable: the lag measured while it was reachable plus one probe interval; growing heartbeat ages after it are ignored', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(answer(
      [[0, 30], [1, 4], [2, 64], [3, 124], [4, 184], [5, 244], [6, 304], [7, 364]],
      [[0, 1], [1, 1], [2, 0], [3, 0], [4, 0], [5, 0], [6, 0], [7, 0]],
    ));
    expect(await control().replicationLagSeconds()).toBe(64);
  });

  test('a heartbeat committed in a period that began after the primary\'s lease expired: unknown (its keeper was not fencing it)', async () => {
    const withWritable = (writable: Array<[number, number]>) => {
      const response = answer([[0, 2], [1, 2], [2, 2]], [[0, 1], [1, 1], [2, 0]]);
      return { MetricDataResults: [...response.MetricDataResults,
        { Id: 'primaryWritable', Timestamps: writable.map(([n]) => minute(n)).reverse(), Values: writable.map(([, value]) => value).reverse() }] };
    };
    const leaseExpiredAt = minute(1);
    cloudWatch.on(GetMetricDataCommand).resolves(withWritable([[0, 1], [1, 1], [2, 0]]));
    expect(await control().replicationLagSeconds({ primaryLeaseExpiresAt: leaseExpiredAt })).toBeUndefined();
    // The last commit in a period that began before the expiry: bounded as usual (lag 2 s + the minute to the first failure).
    cloudWatch.on(GetMetricDataCommand).resolves(withWritable([[0, 1], [1, 0], [2, 0]]));
    expect(await control().replicationLagSeconds({ primaryLeaseExpiresAt: new Date(leaseExpiredAt.getTime() + 30_000) })).toBe(2 + 60);
  });

  test('a period with any failed probe (Minimum 0) does not count as reachable', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(answer([[0, 2], [1, 45], [2, 105]], [[0, 1], [1, 0], [2, 0]]));
    expect(await control().replicationLagSeconds()).toBe(62);
  });

  test.each<[string, ReturnType<typeof answer>]>([
    ['the primary was unreachable in the whole look-back', answer([[0, 310], [1, 370]], [[0, 0], [1, 0]])],
    ['no lag data', answer([], [[0, 1]])],
    ['no reachability data', answer([[0, 5]], [])],
    ['no data at all', { MetricDataResults: [] }],
  ])('unknown when %s', async (_name, response) => {
    cloudWatch.on(GetMetricDataCommand).resolves(response);
    expect(await control().replicationLagSeconds()).toBeUndefined();
  });
});

describe('promoteReplica', () => {
  test('promotes the replica keeping its backup retention', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE, BackupRetentionPeriod: 14 }] });
    rds.on(PromoteReadReplicaCommand).resolves({});
    await control().promoteReplica();
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: 'paydb-replica-dev' });
    expect(rds.commandCalls(PromoteReadReplicaCommand).map((call) => call.args[0].input))
      .toEqual([{ DBInstanceIdentifier: 'paydb-replica-dev', BackupRetentionPeriod: 14 }]);
  });
  test('an instance that is no longer a replica is not promoted again', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'modifying' }] });
    await control().promoteReplica();
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });
  test('InvalidDBInstanceState is rethrown even while the replica is busy: the core asks again while it is still a replica', async () => {
    rds.on(PromoteReadReplicaCommand).rejects(stateFault());
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: SOURCE }] });
    await expect(control().promoteReplica()).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'backing-up', ReadReplicaSourceDBInstanceIdentifier: SOURCE }] });
    await expect(control().promoteReplica()).rejects.toThrow('not in available state');
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(2);
  });
  test('a repeated request after the promotion was accepted returns silently: RDS lists no source any more', async () => {
    rds.on(PromoteReadReplicaCommand).resolves({});
    rds.on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'modifying' }] });
    await control().promoteReplica();
    await control().promoteReplica();
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });
  test('other errors propagate', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: SOURCE }] });
    rds.on(PromoteReadReplicaCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(control().promoteReplica()).rejects.toThrow('Rate exceeded');
  });
});

describe('fencePrimary', () => {
  const groups = (...memberships: [string, string][]) => memberships.map(([VpcSecurityGroupId, Status]) => ({ VpcSecurityGroupId, Status }));

  test('replaces every security group with the deny-all one immediately, then asks to stop', async () => {
    rds.on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-app' }] }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'modifying', VpcSecurityGroups: groups(['sg-fence', 'adding'], ['sg-app', 'removing']) }] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(StopDBInstanceCommand).resolves({});
    expect(await control().fencePrimary()).toMatchObject({ isolated: true, stopped: true, verified: false });
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0].args[0].input)
      .toEqual({ DBInstanceIdentifier: 'paydb-primary-dev', VpcSecurityGroupIds: ['sg-fence'], ApplyImmediately: true });
    expect(rds.commandCalls(StopDBInstanceCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: 'paydb-primary-dev' });
  });
  test('verified only once RDS lists the fence group alone and active', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(StopDBInstanceCommand).rejects(stateFault());
    for (const [memberships, verified] of [
      [groups(['sg-fence', 'adding']), false],
      [groups(['sg-fence', 'active'], ['sg-app', 'removing']), false],
      [groups(['sg-fence', 'active']), true],
    ] as const) {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: [...memberships] }] });
      expect((await control().fencePrimary()).verified).toBe(verified);
    }
  });
  test('a refused stop is reported, not an error', async () => {
    rds.on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-app' }] }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: 'modifying', VpcSecurityGroups: groups(['sg-fence', 'active']) }] });
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(StopDBInstanceCommand).rejects(stateFault());
    expect(await control().fencePrimary()).toEqual({
      isolated: true, stopped: false, verified: true,
      detail: 'stop refused: InvalidDBInstanceStateFault: not in available state; only the fence security group is listed and active (sg-fence (active))',
    });
  });
  test('idempotent: an isolated, stopped primary is left alone', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'stopped', VpcSecurityGroups: groups(['sg-fence', 'active']) }] });
    expect(await control().fencePrimary()).toMatchObject({ isolated: true, stopped: true, verified: true, detail: expect.stringMatching(/^already stopped; /) });
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(StopDBInstanceCommand)).toHaveLength(0);
  });
  test('a primary region that does not answer throws', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(new Error('connect ETIMEDOUT'));
    await expect(control().fencePrimary()).rejects.toThrow('ETIMEDOUT');
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });
  test('a refused isolation throws', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available', VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-app' }] }] });
    rds.on(ModifyDBInstanceCommand).rejects(stateFault());
    await expect(control().fencePrimary()).rejects.toThrow('not in available state');
  });
});

describe('thawPrimary', () => {
  test('puts the read-only default of the primary\'s own parameter group back, in the primary region, immediately', async () => {
    rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'paydb-primary-dev-params' });
    await control().thawPrimary();
    const calls = rds.commandCalls(ModifyDBParameterGroupCommand);
    expect(calls.map((call) => call.args[0].input)).toEqual([{
      DBParameterGroupName: 'paydb-primary-dev-params',
      Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '0', ApplyMethod: 'immediate' }],
    }]);
    expect(await (calls[0].thisValue as RDSClient).config.region()).toBe('us-east-1');
  });
  test('a refused change throws', async () => {
    rds.on(ModifyDBParameterGroupCommand).rejects(Object.assign(new Error('group is being modified'), { name: 'InvalidDBParameterGroupStateFault' }));
    await expect(control().thawPrimary()).rejects.toThrow('group is being modified');
  });
});
