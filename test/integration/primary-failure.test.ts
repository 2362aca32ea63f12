import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { PostgresCluster, startCluster } from '../../functions/adapters/local/postgres-cluster';
import { probeDatabase } from '../../functions/adapters/postgres/connectivity';
import { Heartbeat, measureReplicationLag, NotInRecoveryError, writeHeartbeat } from '../../functions/adapters/postgres/replication-probe';

const PROBE_TIMEOUT_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: PostgresCluster;
let primary: Client;
let replica: Client;

beforeAll(async () => {
  cluster = await startCluster();
  primary = await cluster.primary.connect();
  replica = await cluster.replica.connect();
});

afterAll(async () => {
  await primary?.end().catch(() => undefined);
  await replica?.end();
  await cluster?.stop();
});

// The tests run in order and tell one story: healthy, primary crashes, replica promoted, old primary back.

test('the probe reports both running nodes reachable, with their roles', async () => {
  const [primaryProbe, replicaProbe] = await Promise.all([
    probeDatabase(cluster.primary.target, PROBE_TIMEOUT_MS),
    probeDatabase(cluster.replica.target, PROBE_TIMEOUT_MS),
  ]);

  expect(primaryProbe).toEqual({ reachable: true, latencyMs: expect.any(Number), inRecovery: false });
  expect(replicaProbe).toEqual({ reachable: true, latencyMs: expect.any(Number), inRecovery: true });
});

test('a wrong password is unreachable with the SQLSTATE-prefixed server error, not a throw', async () => {
  const result = await probeDatabase({ ...cluster.primary.target, password: 'wrong' }, PROBE_TIMEOUT_MS);

  expect(result.reachable).toBe(false);
  // The orchestrator's RDS adapter reads a leading SQLSTATE as "the server itself answered".
  expect(result.error).toMatch(/^28P01: password authentication failed/);
});

test('a probe that requires TLS never falls back to plaintext', async () => {
  const result = await probeDatabase({ ...cluster.primary.target, ssl: { rejectUnauthorized: true } }, PROBE_TIMEOUT_MS);

  expect(result).toMatchObject({ reachable: false, error: expect.stringMatching(/does not support SSL/) });
});

test('a server that accepts TCP but never answers is unreachable after the timeout, not later', async () => {
  const accepted: net.Socket[] = [];
  const silent = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const result = await probeDatabase({ ...cluster.primary.target, port }, 500);

    expect(result.reachable).toBe(false);
    expect(result.error).toMatch(/timeout/i);
    expect(result.latencyMs).toBeGreaterThanOrEqual(450);
    expect(result.latencyMs).toBeLessThan(1500);
  } finally {
    accepted.forEach((socket) => socket.destroy());
    silent.close();
  }
});

test('a frozen primary (SIGSTOP) is unreachable after the probe timeout and reachable again once thawed', async () => {
  await cluster.primary.kill('SIGSTOP');
  let frozen;
  try {
    frozen = await probeDatabase(cluster.primary.target, 500);
  } finally {
    await cluster.primary.kill('SIGCONT');
  }

  expect(frozen).toMatchObject({ reachable: false, error: expect.stringMatching(/timeout/i) });
  expect(frozen.latencyMs).toBeLessThan(1500);
  expect(await probeDatabase(cluster.primary.target, PROBE_TIMEOUT_MS)).toMatchObject({ reachable: true, inRecovery: false });
});

let lastHeartbeat: Heartbeat;

test('after SIGKILL of the primary its probe fails fast and its open connections drop', async () => {
  lastHeartbeat = await writeHeartbeat(primary);
  await cluster.waitForReplicaCatchUp();

  await cluster.primary.kill('SIGKILL');

  expect(cluster.primary.isRunning()).toBe(false);
  await expect(primary.query('SELECT 1')).rejects.toThrow();
  const result = await probeDatabase(cluster.primary.target, PROBE_TIMEOUT_MS);
  expect(result.reachable).toBe(false);
  expect(result.error).toMatch(/ECONNREFUSED/);
  expect(result.latencyMs).toBeLessThan(PROBE_TIMEOUT_MS);
  expect(await probeDatabase(cluster.replica.target, PROBE_TIMEOUT_MS)).toMatchObject({ reachable: true, inRecovery: true });
});

test('with the primary gone, lag falls back to the age of the newest heartbeat on the replica', async () => {
  await sleep(1500);

  const lag = await measureReplicationLag(replica);

  expect(lag.method).toBe('heartbeat-age');
  expect(lag.heartbeatWrittenAt).toEqual(lastHeartbeat.writtenAt);
  expect(lag.bytesBehind).toBeUndefined();
  const expectedAge = (Date.now() - lastHeartbeat.writtenAt.getTime()) / 1000;
  expect(lag.lagSeconds).toBeGreaterThanOrEqual(1.5);
  expect(Math.abs(lag.lagSeconds - expectedAge)).toBeLessThan(0.5);
});

test('the promoted replica takes writes and is no longer measured as a replica', async () => {
  const startedAt = Date.now();
  await cluster.replica.promote();
  const promotionMs = Date.now() - startedAt;

  expect(promotionMs).toBeLessThan(2000); // wal_retrieve_retry_interval=100ms; ~5 s with the default
  expect(await probeDatabase(cluster.replica.target, PROBE_TIMEOUT_MS)).toMatchObject({ reachable: true, inRecovery: false });
  await expect(measureReplicationLag(replica)).rejects.toBeInstanceOf(NotInRecoveryError);
  await replica.query("INSERT INTO dr_monitor.heartbeat (id, written_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET written_at = now()");
});

test('the old primary restarts on its own data as a second writer: fencing is the caller\'s job', async () => {
  await cluster.primary.start();

  expect(await probeDatabase(cluster.primary.target, PROBE_TIMEOUT_MS)).toMatchObject({ reachable: true, inRecovery: false });
  const rows = await cluster.primary.query<{ written_at: Date }>('SELECT written_at FROM dr_monitor.heartbeat');
  expect(rows).toEqual([{ written_at: lastHeartbeat.writtenAt }]);
});

test('configure() fences the old primary read-only without a restart, and the fence survives one', async () => {
  await cluster.primary.configure({ default_transaction_read_only: 'on' });

  const write = () => cluster.primary.query('UPDATE dr_monitor.heartbeat SET written_at = now()');
  await expect(write()).rejects.toThrow(/read-only transaction/);
  await cluster.primary.stop();
  await cluster.primary.start();
  await expect(write()).rejects.toThrow(/read-only transaction/);
});

test('a cluster that fails to start removes its processes and directories and reports the server log', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-start-failure-'));
  fs.chmodSync(parent, 0o755);
  try {
    await expect(startCluster({ baseDir: parent, settings: { shared_buffers: 'plenty' } })).rejects.toThrow(
      /primary PostgreSQL exited during start-up[\s\S]*invalid value for parameter "shared_buffers"/,
    );
    expect(fs.readdirSync(parent)).toEqual([]);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
