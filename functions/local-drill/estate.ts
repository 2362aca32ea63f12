/**
 * The local estate of the fault matrix: the AWS estate's parts, each reached over the path it has on AWS, every
 * path a fault proxy the scenarios can cut.
 *
 *   primary region                                   DR region
 *   ─────────────                                    ─────────
 *   primary ◄── keeper (same region, direct)         replica ── WAL stream ──► proxy `walStream` ──► primary
 *   primary ◄── proxy `directToPrimary` ◄── direct   monitor, orchestrator ──► proxy `drToPrimary` ──► primary
 *               clients (apps in the primary region) writer endpoint (the DNS name) ──► current writer
 *   keeper ──► lease quorum (replicas primary, DR, witness; links per region)
 *   "RDS API" of the primary region: `controlPlane` (status, parameter changes, stop)
 *
 * The orchestrator runs in-process (the same `runFailover` as the Lambda), triggered by the local composite alarm,
 * by a resume schedule (the AWS resume rule), or by a scenario acting as an operator.
 */
import { HistoryRecorder, type ServerId } from './history/history';
import { HISTORY_TABLE_SQL, runClientLoad, serverIdentity } from './client-load';
import { CompositeMonitor } from './composite-monitor';
import { KeeperLoop } from './keeper-loop';
import { DEFAULT_FAILOVER_SETTINGS, runFailover, type FailoverResult, type FailoverSettings } from '../core/failover-orchestrator';
import { validateFailoverRequest } from '../core/failover-request';
import { InMemoryFailoverStateStore } from '../core/in-memory-state-store';
import { LeaseKeeper } from '../core/lease-keeper';
import type { Logger } from '../core/ports';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import type { LeaseTimings } from '../core/write-lease';
import { FaultProxy } from '../adapters/local/fault-proxy';
import { LocalControlPlane, LocalDatabaseControl } from '../adapters/local/local-database-control';
import { LocalDns } from '../adapters/local/local-dns';
import { LocalPrimarySelfFence } from '../adapters/local/local-primary-self-fence';
import { LeaseQuorum, type QuorumLeaseClient } from '../adapters/local/local-write-lease';
import { reachedThrough, startCluster, type NodeHandle, type PostgresCluster } from '../adapters/local/postgres-cluster';
import { RecordingAlerts, RecordingMetrics, type ProgressSink } from '../adapters/local/recording-observability';
import { WriterEndpoint, type EndpointTarget } from '../adapters/local/writer-endpoint';
import type { DatabaseTarget } from '../adapters/postgres/connectivity';
import { ensureHeartbeatSchema } from '../adapters/postgres/replication-probe';
import { postgresReplicationProbes } from '../adapters/postgres/replication-probes';

/** The lease timings of AWS (45 s / 10 s / 15 s / 30 s), scaled to a loopback estate. */
export const LOCAL_LEASE_TIMINGS: LeaseTimings = { ttlMs: 1500, renewIntervalMs: 300, fenceBudgetMs: 500, takeoverMarginMs: 500 };
const PROBE_TIMEOUT_MS = 1000;
/** The orchestrator trusts monitor samples this recent (the AWS adapter's CloudWatch look-back, scaled down). */
const LAG_LOOKBACK_MS = 30_000;
const RUN_BUDGET_MS = 60_000;

/** The core's defaults, scaled to a loopback cluster: probes answer in milliseconds and promotion takes ~0.1 s. */
export const LOCAL_FAILOVER_SETTINGS: FailoverSettings = {
  ...DEFAULT_FAILOVER_SETTINGS,
  takeoverMarginMs: LOCAL_LEASE_TIMINGS.takeoverMarginMs,
  catchUpTimeoutMs: 20_000,
  decisionRetry: { baseDelayMs: 200, maxDelayMs: 1000 },
  maxPromotionLagSeconds: 60,
  promotionTimeoutSeconds: 30,
  primaryProbeAttempts: 3,
  primaryProbeTimeoutMs: PROBE_TIMEOUT_MS,
  primaryProbeIntervalMs: 250,
  writerPollIntervalMs: 50,
  retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
  leaseMarginMs: 5000,
};

export interface EstateOptions {
  /** Names the orchestrator's runs (`local-<name>-<n>`). */
  readonly name: string;
  readonly progress: ProgressSink;
  readonly monitorIntervalMs?: number;
  readonly badCyclesToAlarm?: number;
  /** Writer clients through the endpoint (pool-like, reconnecting). Default 4. */
  readonly endpointClients?: number;
  /** Writer clients connected to the primary directly, like applications in the primary region. Default 0. */
  readonly directClients?: number;
  /** How often the resume schedule re-invokes the orchestrator (the AWS resume rule). Default 1000 ms. */
  readonly resumeIntervalMs?: number;
  readonly settings?: Partial<FailoverSettings>;
}

/** One orchestrator invocation and what it returned (or threw). */
export interface OrchestratorRun {
  readonly request: unknown;
  readonly startedAt: number;
  readonly result?: FailoverResult;
  readonly error?: string;
}

export class LocalEstate {
  readonly history = new HistoryRecorder();
  readonly store = new InMemoryFailoverStateStore();
  readonly controlPlane = new LocalControlPlane();
  readonly quorum = new LeaseQuorum();
  readonly primaryLease: QuorumLeaseClient;
  readonly drLease: QuorumLeaseClient;
  readonly alerts: RecordingAlerts;
  readonly metrics: RecordingMetrics;
  readonly runs: OrchestratorRun[] = [];
  readonly settings: FailoverSettings;
  /** First transition of the local composite alarm into ALARM. */
  alarmAt: number | undefined;
  private keeperLoop: KeeperLoop | undefined;
  private monitorLoop: CompositeMonitor | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private load: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  private runCount = 0;
  private stopped = false;

  private constructor(
    readonly options: EstateOptions,
    readonly cluster: PostgresCluster,
    readonly endpoint: WriterEndpoint,
    readonly proxies: { readonly drToPrimary: FaultProxy; readonly walStream: FaultProxy; readonly directToPrimary: FaultProxy },
    readonly ids: { readonly primary: ServerId; readonly replica: ServerId },
  ) {
    this.primaryLease = this.quorum.clientFor('primary');
    this.drLease = this.quorum.clientFor('dr');
    this.alerts = new RecordingAlerts(options.progress);
    this.metrics = new RecordingMetrics(options.progress, { echo: new Set(['FailoverDurationSeconds']) });
    this.settings = { ...LOCAL_FAILOVER_SETTINGS, ...options.settings };
  }

  /** Starts the cluster, the paths, the keeper (until it holds the lease) and the monitor; the load starts separately. */
  static async start(options: EstateOptions): Promise<LocalEstate> {
    const cluster = await startCluster({ database: 'drill' });
    const proxies: Array<FaultProxy | WriterEndpoint> = [];
    try {
      await prepareSchema(cluster.primary);
      const address = { host: cluster.primary.connectionConfig.host, port: cluster.primary.port };
      const drToPrimary = await FaultProxy.start(address);
      proxies.push(drToPrimary);
      const walStream = await FaultProxy.start(address);
      proxies.push(walStream);
      const directToPrimary = await FaultProxy.start(address);
      proxies.push(directToPrimary);
      await streamThrough(cluster, walStream);
      const endpoint = await WriterEndpoint.start(endpointTarget(cluster.primary));
      proxies.push(endpoint);
      await cluster.waitForReplicaCatchUp();
      const ids = { primary: await cluster.primary.session(serverIdentity), replica: await cluster.replica.session(serverIdentity) };
      const estate = new LocalEstate(options, cluster, endpoint, { drToPrimary, walStream, directToPrimary }, ids);
      await estate.startKeeperAndMonitor();
      return estate;
    } catch (error) {
      for (const proxy of proxies) await proxy.close();
      await cluster.stop();
      throw error;
    }
  }

  /** The primary as the DR region reaches it: SQL over `drToPrimary`, control-plane actions through the "API". */
  get drPrimary(): NodeHandle {
    return reachedThrough(this.cluster.primary, this.proxies.drToPrimary);
  }

  get keeper(): KeeperLoop {
    return this.keeperLoop!;
  }

  get monitor(): CompositeMonitor {
    return this.monitorLoop!;
  }

  /** The orchestrator, entered as the Lambda is: an untrusted request is validated, then handed to the core. */
  async failover(request: unknown): Promise<FailoverResult> {
    const startedAt = Date.now();
    const runId = `local-${this.options.name}-${++this.runCount}`;
    try {
      const result = await runFailover(validateFailoverRequest(request), this.ports(), this.settings, { runId, deadline: Date.now() + RUN_BUDGET_MS });
      this.runs.push({ request, startedAt, result });
      return result;
    } catch (error) {
      this.runs.push({ request, startedAt, error: describeError(error) });
      throw error;
    }
  }

  /** The AWS resume rule: re-invokes the orchestrator while a recorded failover is unfinished. */
  startResumeSchedule(): void {
    const tick = async () => {
      if (this.stopped) return;
      const state = await this.store.read();
      if (state && state.status === 'in_progress') {
        await this.failover({ trigger: 'resume' }).catch(() => undefined);
      }
      if (!this.stopped) this.resumeTimer = setTimeout(() => void tick(), this.options.resumeIntervalMs ?? 1000);
    };
    this.resumeTimer = setTimeout(() => void tick(), this.options.resumeIntervalMs ?? 1000);
  }

  /** Writer clients through the endpoint and, if configured, directly to the primary; every operation goes into `history`. */
  startLoad(): void {
    const abort = new AbortController();
    const { user, password, database } = this.cluster.primary.connectionConfig;
    const as = (host: string, port: number): DatabaseTarget => ({ host, port, database, user, password, ssl: false });
    const loads = [runClientLoad({
      history: this.history, path: 'endpoint', signal: abort.signal, clients: this.options.endpointClients ?? 4,
      target: () => as(this.endpoint.host, this.endpoint.port),
    })];
    if ((this.options.directClients ?? 0) > 0) {
      loads.push(runClientLoad({
        history: this.history, path: 'direct', signal: abort.signal, clients: this.options.directClients,
        target: () => as(this.proxies.directToPrimary.host, this.proxies.directToPrimary.port),
      }));
    }
    this.load = { abort, done: Promise.all(loads).then(() => undefined) };
  }

  async stopLoad(): Promise<void> {
    this.load?.abort.abort();
    await this.load?.done;
    this.load = undefined;
  }

  /** Stops everything and removes the data. Idempotent; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.resumeTimer);
    // Heal every path first: a black-holed connection would keep its holder waiting.
    for (const proxy of Object.values(this.proxies)) proxy.heal();
    this.primaryLease.setRemoteLinks('open');
    this.drLease.setRemoteLinks('open');
    await this.stopLoad().catch(() => undefined);
    await this.monitorLoop?.stop().catch(() => undefined);
    await this.keeperLoop?.stop().catch(() => undefined);
    for (const proxy of Object.values(this.proxies)) await proxy.close().catch(() => undefined);
    await this.endpoint.close().catch(() => undefined);
    await this.cluster.stop().catch(() => undefined);
  }

  private databaseControl(): LocalDatabaseControl {
    return new LocalDatabaseControl({
      primary: this.drPrimary,
      replica: this.cluster.replica,
      monitorHistory: () => this.metrics.recorded,
      probeIntervalSeconds: (this.options.monitorIntervalMs ?? 250) / 1000,
      lagLookbackMs: LAG_LOOKBACK_MS,
      primaryControlPlane: this.controlPlane,
    });
  }

  private ports() {
    return {
      database: this.databaseControl(),
      dns: new LocalDns(this.endpoint, endpointTarget(this.cluster.replica), endpointTarget(this.cluster.primary)),
      lease: this.drLease,
      alerts: this.alerts,
      metrics: this.metrics,
      store: this.store,
      clock: systemClock,
      logger: coreLogger(this.options.progress),
    };
  }

  private async startKeeperAndMonitor(): Promise<void> {
    const { progress } = this.options;
    this.keeperLoop = new KeeperLoop(new LeaseKeeper({
      lease: this.primaryLease,
      fence: new LocalPrimarySelfFence(this.cluster.primary),
      clock: systemClock,
      logger: prefixedLogger(progress, 'keeper'),
      alerts: this.alerts,
    }, LOCAL_LEASE_TIMINGS, 'keeper:local'));
    this.keeperLoop.start();
    await this.keeperLoop.waitUntilHeld(10_000);
    const control = this.databaseControl();
    const drPrimary = this.drPrimary;
    this.monitorLoop = new CompositeMonitor({
      dependencies: {
        probes: async () => postgresReplicationProbes({ primary: drPrimary.target, replica: this.cluster.replica.target, timeoutMs: PROBE_TIMEOUT_MS }),
        describePrimary: () => control.describePrimary(),
        describeReplica: () => control.describeReplica(),
        failoverState: this.store,
        metrics: this.metrics,
        logger: silentLogger,
      },
      intervalMs: this.options.monitorIntervalMs ?? 250,
      badCyclesToAlarm: this.options.badCyclesToAlarm ?? 3,
      onAlarm: async (reason) => {
        this.alarmAt ??= Date.now();
        progress(`composite alarm → ALARM (${reason}); invoking the orchestrator`);
        return this.failover({ trigger: 'alarm', alarmName: 'local-primary-region-failed', reason });
      },
      onSignalChange: (name, from, to) => progress(`monitor: ${name} ${from ?? '-'} → ${to ?? '-'}`),
    });
    this.monitorLoop.start();
    await this.monitorLoop.waitForCycles(2);
  }
}

export function endpointTarget(node: NodeHandle): EndpointTarget {
  return { name: node.name, host: node.connectionConfig.host, port: node.port };
}

async function prepareSchema(primary: NodeHandle): Promise<void> {
  await primary.session(async (client) => {
    await ensureHeartbeatSchema(client); // the objects the AWS monitor writes and reads
    await client.query(HISTORY_TABLE_SQL);
  });
}

/** Points the replica's WAL receiver at `proxy` (a reload restarts the receiver with the new conninfo). */
async function streamThrough(cluster: PostgresCluster, proxy: FaultProxy): Promise<void> {
  const [{ primary_conninfo: conninfo }] = await cluster.replica.query<{ primary_conninfo: string }>('SHOW primary_conninfo');
  const routed = conninfo.replace(/\bhost=\S+/, `host=${proxy.host}`).replace(/\bport=\d+/, `port=${proxy.port}`);
  await cluster.replica.configure({ primary_conninfo: routed });
  const giveUpAt = Date.now() + 10_000;
  for (;;) {
    const rows = await cluster.primary.query<{ port: number }>("SELECT client_port AS port FROM pg_stat_replication WHERE application_name = 'replica' AND state = 'streaming'");
    // Streaming again, now from the proxy's side of the connection.
    if (rows.length > 0 && proxy.openConnections > 0) return;
    if (Date.now() > giveUpAt) throw new Error('the replica did not stream through the WAL proxy within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function coreLogger(progress: ProgressSink): Logger {
  const fields = (extra?: Record<string, unknown>) => (extra ? ` ${JSON.stringify(extra)}` : '');
  return {
    info: (message, extra) => {
      if (message === 'step done') progress(`orchestrator: ${String(extra?.step)} done in ${String(extra?.seconds)} s — ${String(extra?.detail)}`);
    },
    warn: (message, extra) => progress(`orchestrator WARN ${message}${fields(extra)}`),
    error: (message, extra) => progress(`orchestrator ERROR ${message}${fields(extra)}`),
  };
}

export function prefixedLogger(progress: ProgressSink, prefix: string): Logger {
  const fields = (extra?: Record<string, unknown>) => (extra ? ` ${JSON.stringify(extra)}` : '');
  return {
    info: () => undefined,
    warn: (message, extra) => progress(`${prefix}: ${message}${fields(extra)}`),
    error: (message, extra) => progress(`${prefix} ERROR ${message}${fields(extra)}`),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
