/**
 * The local failover drill: the orchestrator core (`runFailover`) and the AWS monitor's cycle, run against
 * a real PostgreSQL 14 primary + streaming replica on 127.0.0.1 through local adapters, with write load
 * through a stable writer endpoint. One fresh cluster per scenario:
 * - `crash`: SIGKILL of the primary; the composite monitor alarm triggers the orchestrator (`alarm` request).
 * - `switchover`: planned, with the write load still running: an operator request with `switchover: true`; the
 *   orchestrator takes the write lease, freezes the primary at the database (verified), waits until the replica
 *   has replayed the primary's last WAL position, then promotes (zero loss expected).
 * A lease keeper renews the write lease for the primary throughout and fences it itself when it cannot.
 * Afterwards the old primary is started again to prove it refuses writes and the endpoint does not fail back.
 */
import * as fs from 'node:fs';
import { Client } from 'pg';
import { runFailover, type FailoverResult } from '../core/failover-orchestrator';
import { validateFailoverRequest } from '../core/failover-request';
import { InMemoryFailoverStateStore } from '../core/in-memory-state-store';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import { formatTimeline, roundSeconds } from '../core/timeline';
import { LocalDatabaseControl } from '../adapters/local/local-database-control';
import { LeaseKeeper } from '../core/lease-keeper';
import { LocalDns } from '../adapters/local/local-dns';
import { LocalPrimarySelfFence } from '../adapters/local/local-primary-self-fence';
import { LeaseQuorum } from '../adapters/local/local-write-lease';
import { KeeperLoop } from './keeper-loop';
import { coreLogger, LOCAL_FAILOVER_SETTINGS, LOCAL_LEASE_TIMINGS, prefixedLogger, silentLogger } from './estate';
import { startCluster, type NodeHandle, type PostgresCluster } from '../adapters/local/postgres-cluster';
import { RecordingAlerts, RecordingMetrics, type ProgressSink, type RecordedAlert } from '../adapters/local/recording-observability';
import { WriterEndpoint, type EndpointTarget } from '../adapters/local/writer-endpoint';
import { ensureHeartbeatSchema, measureReplicationLag } from '../adapters/postgres/replication-probe';
import { postgresReplicationProbes } from '../adapters/postgres/replication-probes';
import { MonitorMetric } from '../core/metric-names';
import { CompositeMonitor } from './composite-monitor';
import { WRITE_TABLE_SQL, WriteLoad } from './write-load';

export const SCENARIOS = ['crash', 'switchover'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface DrillOptions {
  readonly scenarios: readonly ScenarioName[];
  /** Write load runs this long before the fault (time to attach your own client to the endpoint). */
  readonly faultAfterSeconds: number;
  /**
   * `crash` only: stop the replica's WAL receiver this long before the kill (a network partition just before
   * the crash), so a known set of acknowledged commits never reaches the replica. 0 = a plain crash.
   */
  readonly replicationCutBeforeCrashMs?: number;
  /** Keep the last scenario's cluster and endpoint running; the caller ends them with `release()`. */
  readonly hold?: boolean;
  readonly monitorIntervalMs?: number;
  readonly badCyclesToAlarm?: number;
  readonly progress: ProgressSink;
}

/** One row of `--json`: the fields the issue names first, then the evidence behind the verdict. */
export interface ScenarioReport {
  readonly scenario: ScenarioName;
  /** Fault → first write acknowledged by the new writer through the endpoint (what a client experiences). */
  readonly rtoSeconds: number | null;
  /** Fault → composite alarm fired (0 for a planned switchover: nothing to detect). */
  readonly detectSeconds: number;
  /** Orchestrator steps promoteReplica + waitForWriter. */
  readonly promoteSeconds: number;
  /** Orchestrator steps publishDnsSignal + pinDnsRecord (the endpoint switch). */
  readonly switchSeconds: number;
  /**
   * Seconds of data at risk at the fault: 0 when the replica held every acknowledged commit, else fault time
   * minus the commit time of the newest transaction the replica had replayed (from the shared lag probe).
   */
  readonly rpoSeconds: number;
  /** The monitor's last replication-lag measurement before the fault (what the orchestrator decided on). */
  readonly monitorLagAtFaultSeconds: number | null;
  readonly writesAcknowledged: number;
  /** Acknowledged commits missing on the new primary. */
  readonly lostCommittedWrites: number;
  readonly promoted: boolean;
  /** The restarted old primary refused a write (SQLSTATE 25006 read_only_sql_transaction). */
  readonly oldPrimaryFenced: boolean;
  /** Commits the old primary acknowledged that the replica did not have at the fault (0 for a switchover). */
  readonly expectedLostWrites: number;
  /** With the old primary back up, the endpoint still reached the new writer. */
  readonly noFailBack: boolean;
  /** switchover: the orchestrator's catch-up step (frozen primary → replica replayed its last WAL position). */
  readonly catchUpSeconds?: number;
  readonly orchestratorOutcome: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

export interface ScenarioRun {
  readonly report: ScenarioReport;
  readonly timeline: string;
  readonly alerts: readonly RecordedAlert[];
  /** What the scenario started, so callers can verify that teardown removed it. */
  readonly resources: { readonly baseDir: string; readonly pids: readonly number[]; readonly endpoint: string };
}

export interface HeldCluster {
  readonly endpoint: string;
  readonly oldPrimary: string;
  /** Stops the endpoint and the cluster and removes its directories. */
  release(): Promise<void>;
}

export interface DrillRun {
  readonly runs: readonly ScenarioRun[];
  readonly held?: HeldCluster;
}

const LOCAL_ALARM_NAME = 'local-primary-down-composite';
const PROBE_TIMEOUT_MS = 1000;
/** The orchestrator trusts a lag measurement this recent (the AWS adapter's CloudWatch look-back, scaled down). */
const LAG_LOOKBACK_MS = 5000;
const RUN_BUDGET_MS = 60_000;
const WAIT_FOR_FAILOVER_MS = 30_000;
const WAIT_FOR_WRITES_MS = 10_000;
const READ_ONLY_SQL_TRANSACTION = '25006';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => roundSeconds(ms / 1000);

export async function runLocalDrill(options: DrillOptions): Promise<DrillRun> {
  const runs: ScenarioRun[] = [];
  let held: HeldCluster | undefined;
  for (const [index, scenario] of options.scenarios.entries()) {
    const keep = options.hold === true && index === options.scenarios.length - 1;
    const outcome = await runScenario(scenario, options, keep);
    runs.push(outcome.run);
    held = outcome.held;
  }
  return { runs, ...(held ? { held } : {}) };
}

function endpointTarget(node: NodeHandle): EndpointTarget {
  return { name: node.name, host: node.connectionConfig.host, port: node.port };
}

async function runScenario(scenario: ScenarioName, options: DrillOptions, keep: boolean): Promise<{ run: ScenarioRun; held?: HeldCluster }> {
  const scenarioStart = Date.now();
  const progress: ProgressSink = (line) => options.progress(`[${scenario} ${seconds(Date.now() - scenarioStart).toFixed(3).padStart(7)} s] ${line}`);
  const cluster = await startCluster({ database: 'drill' });
  const pids = new Set<number>();
  const notePids = () => [cluster.primary.pid, cluster.replica.pid].forEach((pid) => pid !== undefined && pids.add(pid));
  notePids();
  let endpoint: WriterEndpoint | undefined;
  let monitor: CompositeMonitor | undefined;
  let load: WriteLoad | undefined;
  let keeper: KeeperLoop | undefined;
  let released = false;
  let holding = false;
  const release = async () => {
    if (released) return;
    released = true;
    await monitor?.stop();
    await keeper?.stop();
    await load?.stop();
    await endpoint?.close();
    await cluster.stop();
  };
  try {
    progress(`cluster up in ${cluster.startupTimings.totalMs} ms: primary 127.0.0.1:${cluster.primary.port}, replica 127.0.0.1:${cluster.replica.port} (streaming), data in ${cluster.baseDir}`);
    await prepareSchema(cluster);
    endpoint = await WriterEndpoint.start(endpointTarget(cluster.primary));
    const { user, password, database } = cluster.primary.connectionConfig;
    const endpointUrl = `postgresql://${user}:${password}@${endpoint.host}:${endpoint.port}/${database}`;
    progress(`WRITER ENDPOINT ${endpointUrl}  (forwards to the primary)`);

    const alerts = new RecordingAlerts(progress);
    const metrics = new RecordingMetrics(progress, { echo: new Set(['FailoverDurationSeconds']) });
    const store = new InMemoryFailoverStateStore();
    const monitorIntervalMs = options.monitorIntervalMs ?? 250;
    const databaseControl = new LocalDatabaseControl({
      primary: cluster.primary,
      replica: cluster.replica,
      monitorHistory: () => metrics.recorded,
      probeIntervalSeconds: monitorIntervalMs / 1000,
      lagLookbackMs: LAG_LOOKBACK_MS,
    });
    // The write lease: three replicas (primary, DR, witness) with majority reads and writes, as on AWS (MRSC).
    const leaseQuorum = new LeaseQuorum();
    const primaryRegionLease = leaseQuorum.clientFor('primary');
    const drRegionLease = leaseQuorum.clientFor('dr');
    keeper = new KeeperLoop(new LeaseKeeper({
      lease: primaryRegionLease,
      fence: new LocalPrimarySelfFence(cluster.primary),
      clock: systemClock,
      logger: prefixedLogger(progress, 'keeper'),
      alerts,
    }, LOCAL_LEASE_TIMINGS, 'keeper:local'));
    keeper.start();
    await keeper.waitUntilHeld(WAIT_FOR_WRITES_MS);
    progress('lease keeper holds the write lease for the primary');
    const ports = {
      database: databaseControl,
      dns: new LocalDns(endpoint, endpointTarget(cluster.replica), endpointTarget(cluster.primary)),
      lease: drRegionLease,
      alerts,
      metrics,
      store,
      clock: systemClock,
      logger: coreLogger(progress),
    };
    let runs = 0;
    // The same entry as the AWS handler: an untrusted request is validated, then handed to the core.
    const failover = (request: unknown): Promise<FailoverResult> =>
      runFailover(validateFailoverRequest(request), ports, LOCAL_FAILOVER_SETTINGS, { runId: `local-${scenario}-${++runs}`, deadline: Date.now() + RUN_BUDGET_MS });

    let alarmAt: number | undefined;
    monitor = new CompositeMonitor({
      dependencies: {
        probes: async () => postgresReplicationProbes({ primary: cluster.primary.target, replica: cluster.replica.target, timeoutMs: PROBE_TIMEOUT_MS }),
        describePrimary: () => databaseControl.describePrimary(),
        describeReplica: () => databaseControl.describeReplica(),
        failoverState: store,
        metrics,
        logger: silentLogger,
      },
      intervalMs: monitorIntervalMs,
      badCyclesToAlarm: options.badCyclesToAlarm ?? 3,
      onAlarm: async (reason) => {
        alarmAt ??= Date.now();
        progress(`composite alarm ${LOCAL_ALARM_NAME} → ALARM (${reason}); invoking the orchestrator`);
        const result = await failover({ trigger: 'alarm', alarmName: LOCAL_ALARM_NAME, reason });
        progress(`orchestrator (alarm trigger) finished: ${result.outcome}`);
        return result;
      },
      onSignalChange: (name, from, to) => progress(`monitor: ${name} ${from ?? '-'} → ${to ?? '-'}`),
    });
    monitor.start();
    await monitor.waitForCycles(2);

    load = new WriteLoad({ host: endpoint.host, port: endpoint.port, database, user, password, retryDelayMs: 50 });
    load.start();
    progress(`write load running through the endpoint; fault in ${options.faultAfterSeconds} s`);
    await sleep(options.faultAfterSeconds * 1000);

    const fault = scenario === 'crash'
      ? await crashPrimary(cluster, monitor, metrics, options.replicationCutBeforeCrashMs ?? 0, progress)
      : await planSwitchover(metrics, failover, progress);
    const { faultAt } = fault;
    const result = fault.result;
    progress(`failover ${result?.outcome ?? 'not run'}: ${result?.message.split('\n')[0] ?? 'no orchestrator result'}`);

    const firstNewWrite = await load.firstAcknowledgedBy(cluster.replica.port, faultAt, WAIT_FOR_WRITES_MS);
    if (firstNewWrite) progress(`write load resumed on the new writer (id ${firstNewWrite.id})`);

    const verification = await verifyAfterFailover(cluster, endpoint, load, monitor, options.badCyclesToAlarm ?? 3, progress);
    notePids();
    await load.stop();
    const survivors = await committedIds(cluster.replica);
    const lost = load.acknowledged.filter((write) => !survivors.has(write.id)).length;
    const expectedLost = fault.replicaIdsAtFault
      ? load.acknowledged.filter((write) => write.serverPort === cluster.primary.port && !fault.replicaIdsAtFault?.has(write.id)).length
      : 0;

    const step = (name: string) => result?.timeline?.steps.find((entry) => entry.step === name)?.seconds ?? 0;
    const promoted = result?.promoted === true;
    const reportFields = {
      scenario,
      rtoSeconds: firstNewWrite ? seconds(firstNewWrite.at - faultAt) : null,
      detectSeconds: scenario === 'crash' && alarmAt !== undefined ? seconds(alarmAt - faultAt) : 0,
      promoteSeconds: roundSeconds(step('promoteReplica') + step('waitForWriter')),
      switchSeconds: roundSeconds(step('publishDnsSignal') + step('pinDnsRecord')),
      rpoSeconds: expectedLost > 0 && fault.newestReplicatedCommitAt ? seconds(Math.max(0, faultAt - fault.newestReplicatedCommitAt.getTime())) : 0,
      monitorLagAtFaultSeconds: fault.lagAtFaultSeconds !== undefined ? roundSeconds(fault.lagAtFaultSeconds) : null,
      writesAcknowledged: load.acknowledged.length,
      lostCommittedWrites: lost,
      promoted,
      oldPrimaryFenced: verification.oldPrimaryFenced,
      expectedLostWrites: expectedLost,
      noFailBack: verification.noFailBack,
      ...(fault.catchUpSeconds !== undefined ? { catchUpSeconds: fault.catchUpSeconds } : {}),
      orchestratorOutcome: result?.outcome ?? 'not run',
    };
    const failures = [
      ...(result?.outcome === 'completed' ? [] : [`orchestrator outcome ${result?.outcome ?? 'none'} (expected completed)`]),
      ...(promoted ? [] : ['the replica was not promoted']),
      ...(reportFields.rtoSeconds !== null ? [] : ['no write was acknowledged by the new writer through the endpoint']),
      ...(verification.oldPrimaryFenced ? [] : ['the restarted old primary accepted a write']),
      ...(verification.noFailBack ? [] : ['the endpoint failed back to the old primary']),
      ...(lost === expectedLost ? [] : [`${lost} acknowledged commits lost, expected ${expectedLost}`]),
    ];
    const report: ScenarioReport = { ...reportFields, passed: failures.length === 0, failures };
    progress(`${report.passed ? 'PASS' : 'FAIL'}${failures.length ? `: ${failures.join('; ')}` : ''}`);

    const run: ScenarioRun = {
      report,
      timeline: result?.timeline ? formatTimeline(result.timeline) : '(no orchestrator timeline)',
      alerts: alerts.sent,
      resources: { baseDir: cluster.baseDir, pids: [...pids], endpoint: `${endpoint.host}:${endpoint.port}` },
    };
    if (keep) {
      await monitor.stop();
      holding = true;
      return { run, held: { endpoint: endpointUrl, oldPrimary: `127.0.0.1:${cluster.primary.port}`, release } };
    }
    return { run };
  } catch (error) {
    progress(`drill error: ${describeError(error)}`);
    throw error;
  } finally {
    if (!holding) await release();
  }
}

async function prepareSchema(cluster: PostgresCluster): Promise<void> {
  const client = await cluster.primary.connect();
  try {
    await ensureHeartbeatSchema(client); // the objects the AWS monitor writes and reads
    await client.query(WRITE_TABLE_SQL);
  } finally {
    await client.end();
  }
  await cluster.waitForReplicaCatchUp();
}

interface FaultOutcome {
  readonly faultAt: number;
  readonly result: FailoverResult | undefined;
  readonly lagAtFaultSeconds: number | undefined;
  /** Rows the replica held once it had replayed everything it received (crash only). */
  readonly replicaIdsAtFault?: ReadonlySet<number>;
  /** Commit time of the newest transaction the replica had replayed (crash only). */
  readonly newestReplicatedCommitAt?: Date;
  readonly catchUpSeconds?: number;
}

async function crashPrimary(
  cluster: PostgresCluster, monitor: CompositeMonitor, metrics: RecordingMetrics, cutBeforeMs: number, progress: ProgressSink,
): Promise<FaultOutcome> {
  if (cutBeforeMs > 0) {
    // An empty primary_conninfo stops the WAL receiver at the next reload: the replica keeps what it has.
    await cluster.replica.configure({ primary_conninfo: '' });
    progress(`replica's WAL stream cut; primary keeps acknowledging writes for ${cutBeforeMs} ms`);
    await sleep(cutBeforeMs);
  }
  const lagAtFaultSeconds = metrics.latest(MonitorMetric.ReplicationLagSeconds, LAG_LOOKBACK_MS);
  const faultAt = Date.now();
  await cluster.primary.kill('SIGKILL');
  progress(`FAULT: primary killed (SIGKILL); last measured replication lag ${lagAtFaultSeconds ?? 'unknown'} s`);
  const { ids: replicaIdsAtFault, newestReplicatedCommitAt } = await replicaStateOnceReplayed(cluster.replica);
  const alarm = await waitFor(() => monitor.alarmActions[0], WAIT_FOR_FAILOVER_MS);
  const result = alarm ? ((await alarm) as FailoverResult) : undefined;
  return { faultAt, result, lagAtFaultSeconds, replicaIdsAtFault, ...(newestReplicatedCommitAt ? { newestReplicatedCommitAt } : {}) };
}

async function planSwitchover(
  metrics: RecordingMetrics, failover: (request: unknown) => Promise<FailoverResult>, progress: ProgressSink,
): Promise<FaultOutcome> {
  const lagAtFaultSeconds = metrics.latest(MonitorMetric.ReplicationLagSeconds, LAG_LOOKBACK_MS);
  const faultAt = Date.now();
  progress('SWITCHOVER requested while the write load keeps running; the orchestrator freezes the primary and waits for the replica itself');
  const result = await failover({ trigger: 'operator', reason: 'planned switchover (local drill)', switchover: true });
  const catchUp = result.timeline?.steps.find((entry) => entry.step === 'catchUp');
  return { faultAt, result, lagAtFaultSeconds, ...(catchUp ? { catchUpSeconds: catchUp.seconds } : {}) };
}

async function verifyAfterFailover(
  cluster: PostgresCluster, endpoint: WriterEndpoint, load: WriteLoad, monitor: CompositeMonitor, cycles: number, progress: ProgressSink,
): Promise<{ oldPrimaryFenced: boolean; noFailBack: boolean }> {
  await cluster.primary.start();
  progress(`old primary restarted on its own data (127.0.0.1:${cluster.primary.port})`);
  let oldPrimaryFenced = false;
  try {
    await cluster.primary.query('INSERT INTO drill_writes (id) VALUES ($1)', [-1]);
    progress('old primary ACCEPTED a write: not fenced');
  } catch (error) {
    oldPrimaryFenced = (error as { code?: string }).code === READ_ONLY_SQL_TRANSACTION;
    progress(`old primary refuses writes: ${describeError(error)}`);
  }
  // Let the monitor see the old primary answering again for longer than the alarm needs to change its mind.
  const since = Date.now();
  await monitor.waitForCycles(cycles + 1);
  const reachedPort = await serverPortThrough(endpoint, cluster);
  const writesSince = load.acknowledged.filter((write) => write.at >= since);
  const noFailBack = endpoint.target.port === cluster.replica.port && reachedPort === cluster.replica.port
    && writesSince.length > 0 && writesSince.every((write) => write.serverPort === cluster.replica.port);
  progress(`endpoint reaches ${reachedPort === cluster.replica.port ? 'the new writer' : `port ${reachedPort}`}; `
    + `${writesSince.length} writes since the restart, ${writesSince.filter((write) => write.serverPort !== cluster.replica.port).length} of them on the old primary`);
  return { oldPrimaryFenced, noFailBack };
}

async function serverPortThrough(endpoint: WriterEndpoint, cluster: PostgresCluster): Promise<number | undefined> {
  const client = new Client({ ...cluster.replica.connectionConfig, host: endpoint.host, port: endpoint.port });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0].port;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function committedIds(node: NodeHandle): Promise<Set<number>> {
  const rows = await node.query<{ id: string }>('SELECT id FROM drill_writes');
  return new Set(rows.map((row) => Number(row.id)));
}

/**
 * The replica's rows, and the commit time of the newest transaction it replayed, once it has replayed all WAL
 * it received (nothing more arrives after the kill). Raced by the promotion, which replays the same WAL first.
 */
async function replicaStateOnceReplayed(replica: NodeHandle): Promise<{ ids: Set<number>; newestReplicatedCommitAt?: Date }> {
  await waitFor(async () => {
    const [row] = await replica.query<{ done: boolean }>(
      'SELECT NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() AS done',
    );
    return row.done || undefined;
  }, 2000);
  const client = await replica.connect();
  try {
    const lag = await measureReplicationLag(client).catch(() => undefined); // undefined once promoted
    const ids = await committedIds(replica);
    return { ids, ...(lag?.lastReplayedCommitAt ? { newestReplicatedCommitAt: lag.lastReplayedCommitAt } : {}) };
  } finally {
    await client.end();
  }
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(20);
  }
}

/** For callers that verify teardown: true once no process of `pids` is alive and `baseDir` is gone. */
export function resourcesReleased(resources: ScenarioRun['resources']): boolean {
  const alive = resources.pids.some((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  return !alive && !fs.existsSync(resources.baseDir);
}
