import { Client } from 'pg';
import { LocalDatabaseControl } from '../../functions/adapters/local/local-database-control';
import { LocalDns } from '../../functions/adapters/local/local-dns';
import { LocalReplicaProvisioning } from '../../functions/adapters/local/local-replica-provisioning';
import type { DatabaseMember } from '../../functions/core/estate-roles';
import { NodeHandle, PostgresCluster, startCluster } from '../../functions/adapters/local/postgres-cluster';
import type { RecordedDatum } from '../../functions/adapters/local/recording-observability';
import { WriterEndpoint } from '../../functions/adapters/local/writer-endpoint';

let cluster: PostgresCluster;
let endpoint: WriterEndpoint;
let control: LocalDatabaseControl;
/** The local monitor's records: one healthy cycle. */
let monitorHistory: RecordedDatum[] = [];
const localControl = (primary: NodeHandle) => new LocalDatabaseControl({
  primary, replica: cluster.replica, monitorHistory: () => monitorHistory, probeIntervalSeconds: 0.25, lagLookbackMs: 5000,
});

beforeAll(async () => {
  cluster = await startCluster({ database: 'drill' });
  endpoint = await WriterEndpoint.start({ name: 'primary', host: '127.0.0.1', port: cluster.primary.port });
  control = localControl(cluster.primary);
});

afterAll(async () => {
  await endpoint?.close();
  await cluster?.stop();
});

async function endpointClient(): Promise<Client> {
  const client = new Client({ ...cluster.primary.connectionConfig, host: endpoint.host, port: endpoint.port });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Re-protection's renaming of the old primary over a name registry, as the local estate keeps one. */
const PRIMARY_MEMBER: DatabaseMember = { side: 'primary', instanceId: 'primary' };
function retirement() {
  const names = new Map<string, NodeHandle>([['primary', cluster.primary]]);
  const renames: string[] = [];
  const provisioning = new LocalReplicaProvisioning({
    cluster,
    nodeOf: (member) => names.get(member.instanceId),
    memberAt: () => undefined,
    targets: { primary: PRIMARY_MEMBER },
    onCreated: () => undefined,
    rename: (member, newId) => {
      renames.push(`${member.instanceId}→${newId}`);
      names.set(newId, names.get(member.instanceId)!);
      names.delete(member.instanceId);
    },
  });
  return { provisioning, renames };
}

const serverPort = async (client: Client) => (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0].port;

// In order: healthy cluster, endpoint switch, fence, promote, restarted old primary.

test('a healthy cluster: primary answers as a writer, the replica streams, lag comes from the monitor\'s records', async () => {
  expect(await control.probePrimary(1000)).toMatchObject({ reachable: true, inRecovery: false });
  expect(await control.describePrimary()).toEqual({ status: 'available', available: true });
  expect(await control.describeReplica()).toEqual({ role: 'replica', status: 'available', available: true, replicationState: 'replicating' });
  const cycle = (at: number, primaryReachable: number, lagSeconds: number): RecordedDatum[] => [
    { name: 'PrimaryReachable', value: primaryReachable, unit: 'Count', at },
    { name: 'ReplicationLagSeconds', value: lagSeconds, unit: 'Seconds', at },
  ];
  const now = Date.now();
  monitorHistory = [...cycle(now - 9000, 1, 7), ...cycle(now - 1000, 1, 0.2)];
  expect(await control.replicationLagSeconds()).toBe(0.2);
  monitorHistory = [...cycle(now - 1000, 1, 0.2), ...cycle(now - 500, 0, 0.7), ...cycle(now, 0, 1.2)];
  expect(await control.replicationLagSeconds()).toBeCloseTo(0.7, 3);
  monitorHistory = [...cycle(now - 9000, 1, 0.2)];
  expect(await control.replicationLagSeconds()).toBeUndefined();
});

test('a primary that answers with an error (wrong password) counts as reachable: it may still take writes', async () => {
  const wrongPassword: NodeHandle = Object.create(cluster.primary, { target: { value: { ...cluster.primary.target, password: 'wrong' } } });
  const strict = localControl(wrongPassword);

  expect(await strict.probePrimary(1000)).toMatchObject({ reachable: true, error: expect.stringMatching(/^28P01: password authentication failed/) });
});

test('the endpoint forwards to the writer; switching cuts old connections and routes new ones to the DR node, once', async () => {
  const before = await endpointClient();
  expect(await serverPort(before)).toBe(cluster.primary.port);
  const dns = new LocalDns(endpoint, { name: 'replica', host: '127.0.0.1', port: cluster.replica.port }, { name: 'primary', host: '127.0.0.1', port: cluster.primary.port });
  expect(await dns.currentWriterTarget()).toBe(`primary (127.0.0.1:${cluster.primary.port})`);

  await dns.publishFailoverSignal();
  await dns.pinWriterToDr();

  await expect(before.query('SELECT 1')).rejects.toThrow();
  const after = await endpointClient();
  expect(await serverPort(after)).toBe(cluster.replica.port);
  await after.end();
  expect(endpoint.switchCount).toBe(1);
  expect(dns.isPinnedToDr).toBe(true);
  expect(await dns.currentWriterTarget()).toBe(`replica (127.0.0.1:${cluster.replica.port})`);
});

test('re-protection never renames an old writer that is not fenced: a running primary that takes writes is refused, nothing renamed', async () => {
  const { provisioning, renames } = retirement();

  await expect(provisioning.retireOldWriter(PRIMARY_MEMBER, 'primary-retired-202612010600'))
    .rejects.toThrow(/primary \(primary region\) is not fenced \(server running, default_transaction_read_only=off\)/);
  expect(renames).toEqual([]);
});

test('fencing stops the old primary and is safe to repeat', async () => {
  const first = await control.fencePrimary();
  const second = await control.fencePrimary();

  expect(first).toMatchObject({ isolated: true, stopped: true, detail: expect.stringContaining('server stopped') });
  expect(second).toMatchObject({ isolated: true, stopped: true, detail: expect.stringContaining('already down') });
  expect(await control.describePrimary()).toEqual({ status: 'stopped', available: false });
  expect(await control.probePrimary(1000)).toMatchObject({ reachable: false, error: expect.stringMatching(/ECONNREFUSED/) });
  expect((await control.describeReplica()).replicationState).toMatch(/^not streaming/);
});

test('the stopped old primary whose data directory keeps the fence is renamed away (the local "stopped inside its fence group"), once', async () => {
  const { provisioning, renames } = retirement();

  expect(await provisioning.retireOldWriter(PRIMARY_MEMBER, 'primary-retired-202612010600'))
    .toEqual({ done: true, detail: expect.stringMatching(/server down, default_transaction_read_only=on in its postgresql.auto.conf\) is known as primary-retired-202612010600/) });
  expect(await provisioning.retireOldWriter(PRIMARY_MEMBER, 'primary-retired-202612010600'))
    .toEqual({ done: true, detail: expect.stringMatching(/^primary-retired-202612010600 is server primary; nothing answers to primary any more/) });
  expect(renames).toEqual(['primary→primary-retired-202612010600']);
});

test('promotion is safe to request twice and ends with an available writer', async () => {
  await Promise.all([control.promoteReplica(), control.promoteReplica()]);
  const deadline = Date.now() + 10_000;
  while ((await control.describeReplica()).role !== 'writer' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  expect(await control.describeReplica()).toEqual({ role: 'writer', status: 'available', available: true });
  await expect(control.promoteReplica()).resolves.toBeUndefined();
});

test('the fenced old primary, started again, answers but refuses writes', async () => {
  await cluster.primary.start();

  expect(await control.probePrimary(1000)).toMatchObject({ reachable: true, inRecovery: false });
  await expect(cluster.primary.query('CREATE TABLE t (id int)')).rejects.toMatchObject({ code: '25006' });
});
