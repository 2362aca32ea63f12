import {
  DescribeDBInstancesCommand, ModifyDBInstanceCommand, ModifyDBParameterGroupCommand, RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import * as net from 'node:net';
import { AwsPrimarySelfFence } from '../../../../functions/adapters/aws/aws-primary-self-fence';
import type { TargetProvider } from '../../../../functions/adapters/aws/database-session';
import { systemClock } from '../../../../functions/core/system-clock';

/**
 * The RDS half of the keeper's self-fence, with the database unreachable (a closed local port): every API call, its
 * arguments and order, and that a failing part never skips the others. The SQL half against a real PostgreSQL is in
 * write-fence-postgres.test.ts.
 */
const rds = mockClient(RDSClient);
let closedPort: number;

beforeAll(async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

beforeEach(() => rds.reset());

const unreachable: TargetProvider = async () => ({ host: '127.0.0.1', port: closedPort, database: 'payments', user: 'keeper', password: 'p', ssl: false });
const fence = (primaryTarget: TargetProvider = unreachable) => new AwsPrimarySelfFence({
  rds: new RDSClient({ region: 'us-east-1' }), instanceId: 'paydb-primary-dev', parameterGroupName: 'paydb-primary-dev-params',
  primarySecurityGroupId: 'sg-primary', fenceSecurityGroupId: 'sg-fence', primaryTarget, sqlTimeoutMs: 1_000, settleTimeoutMs: 0, clock: systemClock,
});
const instance = (...groups: [string, string][]) => ({
  DBInstances: [{ DBInstanceIdentifier: 'paydb-primary-dev', DBInstanceStatus: 'available', VpcSecurityGroups: groups.map(([VpcSecurityGroupId, Status]) => ({ VpcSecurityGroupId, Status })) }],
});
const callOrder = () => rds.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);

test('fence: read-only default, then (SQL), then the fence group, in that order; a database it cannot reach fails the fence after the other parts', async () => {
  rds.on(ModifyDBParameterGroupCommand).resolves({});
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-primary', 'active']));
  rds.on(ModifyDBInstanceCommand).resolves({});

  await expect(fence().fence('the write lease could not be renewed')).rejects.toThrow(
    /^self-fence incomplete \(the write lease could not be renewed\): terminate sessions: .*ECONNREFUSED.*; done: default_transaction_read_only=1 requested on paydb-primary-dev-params; moved into sg-fence$/,
  );

  expect(callOrder()).toEqual(['ModifyDBParameterGroupCommand', 'DescribeDBInstancesCommand', 'ModifyDBInstanceCommand']);
  expect(rds.commandCalls(ModifyDBParameterGroupCommand)[0].args[0].input).toEqual({
    DBParameterGroupName: 'paydb-primary-dev-params',
    Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
  });
  expect(rds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: 'paydb-primary-dev' });
  expect(rds.commandCalls(ModifyDBInstanceCommand)[0].args[0].input).toEqual({
    DBInstanceIdentifier: 'paydb-primary-dev', VpcSecurityGroupIds: ['sg-fence'], ApplyImmediately: true,
  });
  expect(await (rds.calls()[0].thisValue as RDSClient).config.region()).toBe('us-east-1');
});

test('a refused parameter change does not stop the network fence', async () => {
  rds.on(ModifyDBParameterGroupCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-primary', 'active']));
  rds.on(ModifyDBInstanceCommand).resolves({});

  await expect(fence().fence('lost')).rejects.toThrow(/read-only default: ThrottlingException: Rate exceeded; terminate sessions: /);
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(1);
});

test('idempotent: an instance already only in the fence group is not modified again', async () => {
  rds.on(ModifyDBParameterGroupCommand).resolves({});
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-fence', 'active']));

  await expect(fence().fence('lost')).rejects.toThrow(/done: .*already only in sg-fence/);
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
});

test('verify needs the database AND the network: without a fence time it is not verified, whatever RDS lists', async () => {
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-fence', 'active']));

  expect(await fence().verify()).toEqual({
    fenced: false,
    detail: 'the read-only default had not reached new sessions when fencing (the parameter applies asynchronously); '
      + 'only the fence security group is listed and active (sg-fence (active))',
  });
});

test('release: the read-only default back to 0 and the primary group back, even if one of them fails', async () => {
  rds.on(ModifyDBParameterGroupCommand).resolves({});
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-fence', 'active']));
  rds.on(ModifyDBInstanceCommand).resolves({});

  await fence().release();

  expect(callOrder()).toEqual(['ModifyDBParameterGroupCommand', 'DescribeDBInstancesCommand', 'ModifyDBInstanceCommand']);
  expect(rds.commandCalls(ModifyDBParameterGroupCommand)[0].args[0].input.Parameters)
    .toEqual([{ ParameterName: 'default_transaction_read_only', ParameterValue: '0', ApplyMethod: 'immediate' }]);
  expect(rds.commandCalls(ModifyDBInstanceCommand)[0].args[0].input).toEqual({
    DBInstanceIdentifier: 'paydb-primary-dev', VpcSecurityGroupIds: ['sg-primary'], ApplyImmediately: true,
  });

  rds.reset();
  rds.on(ModifyDBParameterGroupCommand).rejects(Object.assign(new Error('group is being modified'), { name: 'InvalidDBParameterGroupStateFault' }));
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-fence', 'active']));
  rds.on(ModifyDBInstanceCommand).resolves({});
  await expect(fence().release()).rejects.toThrow('releasing the self-fence failed: read-only default: InvalidDBParameterGroupStateFault: group is being modified');
  expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(1);
});

test('release when nothing is fenced (a fresh keeper does not know): one parameter call, no instance change', async () => {
  rds.on(ModifyDBParameterGroupCommand).resolves({});
  rds.on(DescribeDBInstancesCommand).resolves(instance(['sg-primary', 'active']));

  await fence().release();

  expect(callOrder()).toEqual(['ModifyDBParameterGroupCommand', 'DescribeDBInstancesCommand']);
});

test('a primary that does not answer its keeper (connection refused)', async () => {
  expect(await fence().primaryAnswers()).toBe(false);
});
