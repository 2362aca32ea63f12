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
 *
 * Databases by role (`LOCAL_MEMBERS`): `primary` (primary region) and `replica` (DR region) are the configured pair,
 * names the estate maps to servers (`nodeOf`). A re-protection renames the old writer's server away
 * (`primary-retired-<minute>`) and gives the name to a new server cloned from the writer (`primary-2`, reached
 * directly), as RDS renames an instance and creates another under the old identifier.
 */
import { randomBytes } from 'node:crypto';
import { HistoryRecorder, type ServerId } from './history/history';
import { HISTORY_TABLE_SQL, runClientLoad, serverIdentity } from './client-load';
import { CompositeMonitor } from './composite-monitor';
import { KeeperLoop } from './keeper-loop';
import type { DatabaseMember, DatabasePair, RegionSide } from '../core/estate-roles';
import { DEFAULT_FAILOVER_SETTINGS, runFailover, type FailoverPorts, type FailoverResult, type FailoverSettings } from '../core/failover-orchestrator';
import { validateFailoverRequest } from '../core/failover-request';
import { formatSeconds } from '../core/format-seconds';
import { InMemoryFailoverStateStore } from '../core/in-memory-state-store';
import { LeaseKeeper } from '../core/lease-keeper';
import type { DatabaseFleet, Logger } from '../core/ports';
import { describeError } from '../core/retry';
import { systemClock } from '../core/system-clock';
import type { ObservedInstance, ObservedTopology } from '../core/topology-gate';
import { silentSessionTimeoutMs, type LeaseTimings } from '../core/write-lease';
import { FaultProxy } from '../adapters/local/fault-proxy';
import { LocalControlPlane, LocalDatabaseControl } from '../adapters/local/local-database-control';
import { LocalDns } from '../adapters/local/local-dns';
import { LocalPrimarySelfFence } from '../adapters/local/local-primary-self-fence';
import { LeaseQuorum, type QuorumLeaseClient } from '../adapters/local/local-write-lease';
import { reachedThrough, startCluster, type NodeHandle, type PostgresCluster, type ServerSettings } from '../adapters/local/postgres-cluster';
import { LocalReplicaProvisioning } from '../adapters/local/local-replica-provisioning';
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
/** The monitor's own role when `monitorRole` is set: what it needs for probes, the heartbeat and the lag. */
const MONITOR_GRANTS = ['GRANT USAGE ON SCHEMA dr_monitor TO {role}', 'GRANT SELECT, INSERT, UPDATE ON dr_monitor.heartbeat TO {role}'];

/**
 * The databases of the local estate by role: the configured pair. A re-protection renames the old writer away and
 * creates its successor under the same configured name (a new server behind it), as on AWS.
 */
export const LOCAL_MEMBERS = {
  primary: { side: 'primary', instanceId: 'primary' },
  replica: { side: 'dr', instanceId: 'replica' },
} as const satisfies Record<string, DatabaseMember>;
export const LOCAL_CONFIGURED_PAIR: DatabasePair = { writer: LOCAL_MEMBERS.primary, replica: LOCAL_MEMBERS.replica };
const LOCAL_REPROTECT_TARGETS: Readonly<Record<RegionSide, DatabaseMember>> = { primary: LOCAL_MEMBERS.primary, dr: LOCAL_MEMBERS.replica };

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
  replicaPollIntervalMs: 100,
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
  /**
   * Client-side timeout of each step (connect, statement) of the DIRECT clients. Default 1000 ms, like the endpoint
   * clients; a value longer than a fault models a driver's defaults (no statement timeout): a session blocked by a
   * frozen server waits it out and carries on when the server does.
   */
  readonly directStepTimeoutMs?: number;
  /**
   * Each orchestrator invocation's budget (the Lambda's remaining time minus its safety margin); the run lock
   * outlives it by `settings.leaseMarginMs`, so a crashed run's lock frees this long after it started. Default 60 s.
   */
  readonly runBudgetMs?: number;
  /**
   * The monitor connects as this role (created at start with a random password; the "secret" holds it), instead
   * of the superuser, so a scenario can rotate its password without touching anything else. Default: the
   * superuser, whose password never changes.
   */
  readonly monitorRole?: string;
  /**
   * postgresql.conf settings of every server, at start (e.g. `archive_mode`, which only a restart changes: the
   * lifecycle scenario needs it for the writer's WAL archive in the other region).
   */
  readonly clusterSettings?: ServerSettings;
}

/** The monitor's database credentials as its secret holds them (AWS: Secrets Manager's AWSCURRENT version). */
export interface MonitorSecret {
  readonly username: string;
  readonly password: string;
}

/**
 * Wraps the ports of each orchestrator invocation (fault injection inside the orchestrator's own calls). `crash`
 * ends the invocation at that point, as a Lambda that dies there: its caller sees the invocation fail, and the
 * core's run never continues (the promise `crash` returns never settles, so no step after it runs, nothing is
 * saved and its run lock is not released: it expires `leaseMarginMs` after the run's deadline).
 */
export type PortInterceptor = (ports: FailoverPorts, crash: (point: string) => Promise<never>) => FailoverPorts;

/** What the caller of a crashed invocation sees (as EventBridge sees a Lambda that died). */
export class OrchestratorCrashedError extends Error {
  constructor(readonly runId: string, readonly point: string) {
    super(`orchestrator run ${runId} crashed ${point}`);
    this.name = 'OrchestratorCrashedError';
  }
}

/** One orchestrator invocation and what it returned (or threw). */
export interface OrchestratorRun {
  readonly request: unknown;
  readonly startedAt: number;
  readonly runId?: string;
  readonly result?: FailoverResult;
  readonly error?: string;
  /** The crash point, when the invocation was crashed by a `PortInterceptor`. */
  readonly crashedAt?: string;
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
  /** Set by a scenario: wraps the ports of every orchestrator invocation from then on (see `PortInterceptor`). */
  interceptPorts: PortInterceptor | undefined;
  /** The monitor's secret (a scenario rotating the password updates it, as rotation moves AWSCURRENT). */
  monitorSecret: MonitorSecret;
  /** How often the monitor read its secret: once at its first cycle, then once per refusal of the cached password. */
  monitorSecretReads = 0;
  private monitorCredentials: MonitorSecret | undefined;
  private keeperLoop: KeeperLoop | undefined;
  private monitorLoop: CompositeMonitor | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private load: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;
  private runCount = 0;
  private stopped = false;
  /** The DR region's "RDS API" (the scenarios never cut it). */
  private readonly drControlPlane = new LocalControlPlane();
  /**
   * Which server answers to which instance identifier, as RDS names instances: the configured pair at start; a
   * re-protection renames the old writer and registers its successor under the freed name.
   */
  private readonly instances = new Map<string, LocalInstance>();

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
    // The replica was built from a base backup of the primary: created after it (RDS's InstanceCreateTime order).
    const startedAt = Date.now();
    this.instances.set(LOCAL_MEMBERS.primary.instanceId, { member: LOCAL_MEMBERS.primary, node: cluster.primary, createdAt: startedAt - 1 });
    this.instances.set(LOCAL_MEMBERS.replica.instanceId, { member: LOCAL_MEMBERS.replica, node: cluster.replica, createdAt: startedAt });
    const { user, password } = cluster.primary.connectionConfig;
    this.monitorSecret = { username: user, password };
  }

  /** Starts the cluster, the paths, the keeper (until it holds the lease) and the monitor; the load starts separately. */
  static async start(options: EstateOptions): Promise<LocalEstate> {
    const cluster = await startCluster({ database: 'drill', ...(options.clusterSettings ? { settings: options.clusterSettings } : {}) });
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
      if (options.monitorRole) {
        estate.monitorSecret = await createMonitorRole(cluster.primary, options.monitorRole);
        await cluster.waitForReplicaCatchUp(); // the role must exist on the replica before the monitor's first probe
      }
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

  /**
   * The server behind a database of the estate, as the orchestrator (DR region) reaches it: the original primary
   * through `drToPrimary`, the others directly. `undefined` for a name no server answers to (yet).
   */
  nodeOf(member: DatabaseMember): NodeHandle | undefined {
    const node = this.serverOf(member);
    return node === this.cluster.primary ? this.drPrimary : node;
  }

  /** The server that answers to `member`'s identifier now, as applications reach it (no DR-region path). */
  private serverOf(member: DatabaseMember): NodeHandle | undefined {
    return this.instances.get(member.instanceId)?.node;
  }

  /** The database whose server (or whose path from the DR region) listens on `port`. */
  memberAt(port: number): DatabaseMember | undefined {
    const originalPrimaryPorts = [this.cluster.primary.port, this.proxies.walStream.port, this.proxies.drToPrimary.port];
    for (const { member, node } of this.instances.values()) {
      if (node.port === port || (node === this.cluster.primary && originalPrimaryPorts.includes(port))) return member;
    }
    return undefined;
  }

  /**
   * The databases as the pipeline's topology gate sees them on AWS (DescribeDBInstances: exists, status, the source of
   * a replica), read from the servers: the gate's decision runs on the same facts the drill creates.
   */
  async observedTopology(): Promise<ObservedTopology> {
    const provisioning = this.reprotection();
    const observe = async (member: DatabaseMember): Promise<ObservedInstance> => {
      const seen = await provisioning.describeTarget(member);
      const createdAt = this.instances.get(member.instanceId)?.createdAt;
      if (!seen || createdAt === undefined) return { exists: false };
      const source = seen.source;
      return {
        exists: true, status: seen.status, createdAt: new Date(createdAt).toISOString(),
        ...(source ? { replicaOf: 'side' in source ? source.instanceId : source.unknown } : {}),
      };
    };
    const [primary, dr] = await Promise.all([observe(LOCAL_MEMBERS.primary), observe(LOCAL_MEMBERS.replica)]);
    return { primary, dr };
  }

  /** THROWS like DescribeDBInstances for an instance that does not exist (a re-protection replica not created yet). */
  private requireNode(member: DatabaseMember): NodeHandle {
    const node = this.nodeOf(member);
    if (!node) throw new Error(`DBInstanceNotFound: ${member.instanceId}`);
    return node;
  }

  /** The estate's databases by role, for the orchestrator (`FailoverPorts.fleet`). */
  get fleet(): DatabaseFleet {
    return {
      configured: LOCAL_CONFIGURED_PAIR,
      control: (pair) => {
        const writer = this.nodeOf(pair.writer);
        const replica = this.nodeOf(pair.replica);
        if (!writer || !replica) throw new Error(`no server for ${!writer ? pair.writer.instanceId : pair.replica.instanceId}`);
        return new LocalDatabaseControl({
          primary: writer,
          replica,
          // The monitor measures the configured pair only: no lag data for any other (a switchover needs none).
          monitorHistory: () => [],
          probeIntervalSeconds: (this.options.monitorIntervalMs ?? 250) / 1000,
          lagLookbackMs: LAG_LOOKBACK_MS,
          primaryControlPlane: pair.writer.side === 'primary' ? this.controlPlane : this.drControlPlane,
        });
      },
    };
  }

  /** Where the writer endpoint sends a database's clients: the server itself, as applications reach it. */
  private endpointTargetOf(member: DatabaseMember): EndpointTarget {
    const node = this.serverOf(member);
    if (!node) throw new Error(`no server for ${member.instanceId}`);
    return endpointTarget(node);
  }

  private reprotection(): LocalReplicaProvisioning {
    return new LocalReplicaProvisioning({
      cluster: this.cluster,
      nodeOf: (member) => this.nodeOf(member),
      memberAt: (port) => this.memberAt(port),
      targets: LOCAL_REPROTECT_TARGETS,
      onCreated: (member, node) => {
        this.instances.set(member.instanceId, { member, node, createdAt: Date.now() });
        this.options.progress(`re-protection: ${member.instanceId} (${member.side} region) is server ${node.name} on 127.0.0.1:${node.port}, streaming from the writer`);
      },
      rename: (member, newId) => {
        const entry = this.instances.get(member.instanceId);
        if (!entry) throw new Error(`DBInstanceNotFound: ${member.instanceId}`);
        if (this.instances.has(newId)) throw new Error(`DBInstanceAlreadyExists: ${newId}`);
        this.instances.delete(member.instanceId);
        this.instances.set(newId, { ...entry, member: { side: member.side, instanceId: newId } });
        this.options.progress(`re-protection: ${member.instanceId} (server ${entry.node.name}) renamed ${newId}`);
      },
      // Once it writes, a re-protection replica keeps its own WAL (its backups are a later re-protection's business).
      replicaSettings: { archive_command: '/bin/true' },
    });
  }

  get monitor(): CompositeMonitor {
    return this.monitorLoop!;
  }

  /**
   * The orchestrator, entered as the Lambda is: an untrusted request is validated, then handed to the core.
   * THROWS `OrchestratorCrashedError` when an intercepted port crashed the run (the core's run stays suspended).
   */
  async failover(request: unknown): Promise<FailoverResult> {
    const startedAt = Date.now();
    const runId = `local-${this.options.name}-${++this.runCount}`;
    let crashed: (point: string) => void = () => undefined;
    const crash = new Promise<string>((resolve) => {
      crashed = resolve;
    });
    const ports = this.interceptPorts
      ? this.interceptPorts(this.ports(), (point) => {
        crashed(point);
        return new Promise<never>(() => undefined);
      })
      : this.ports();
    try {
      const deadline = Date.now() + (this.options.runBudgetMs ?? RUN_BUDGET_MS);
      const run = runFailover(validateFailoverRequest(request), ports, this.settings, { runId, deadline });
      const ended = await Promise.race([run.then((result) => ({ result })), crash.then((point) => ({ point }))]);
      if ('point' in ended) {
        this.runs.push({ request, startedAt, runId, crashedAt: ended.point });
        this.options.progress(`orchestrator run ${runId} CRASHED ${ended.point} (its run lock is left to expire)`);
        throw new OrchestratorCrashedError(runId, ended.point);
      }
      this.runs.push({ request, startedAt, runId, result: ended.result });
      return ended.result;
    } catch (error) {
      if (!(error instanceof OrchestratorCrashedError)) this.runs.push({ request, startedAt, runId, error: describeError(error) });
      throw error;
    }
  }

  /**
   * The keeper starts again from nothing (a cold start in a recovered primary region): it knows no earlier renewal,
   * so it fences at once unless it can renew. Resolves once the new keeper has ticked.
   */
  async restartKeeper(): Promise<void> {
    await this.keeperLoop?.stop();
    this.keeperLoop = this.newKeeperLoop();
    this.keeperLoop.start();
    const loop = this.keeperLoop;
    while (loop.lastTick === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
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
        ...(this.options.directStepTimeoutMs !== undefined ? { stepTimeoutMs: this.options.directStepTimeoutMs } : {}),
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

  /** The configured pair's control, on the servers that answer to its names now (the original ones until a re-protection replaced one). */
  private databaseControl(): LocalDatabaseControl {
    return new LocalDatabaseControl({
      primary: this.nodeOf(LOCAL_MEMBERS.primary) ?? this.drPrimary,
      replica: this.nodeOf(LOCAL_MEMBERS.replica) ?? this.cluster.replica,
      monitorHistory: () => this.metrics.recorded,
      probeIntervalSeconds: (this.options.monitorIntervalMs ?? 250) / 1000,
      lagLookbackMs: LAG_LOOKBACK_MS,
      primaryControlPlane: this.controlPlane,
    });
  }

  private ports(): FailoverPorts {
    return {
      database: this.databaseControl(),
      dns: new LocalDns(
        this.endpoint,
        endpointTarget(this.serverOf(LOCAL_MEMBERS.replica) ?? this.cluster.replica),
        endpointTarget(this.serverOf(LOCAL_MEMBERS.primary) ?? this.cluster.primary),
        (member) => this.endpointTargetOf(member),
      ),
      lease: this.drLease,
      fleet: this.fleet,
      reprotection: this.reprotection(),
      alerts: this.alerts,
      metrics: this.metrics,
      store: this.store,
      clock: systemClock,
      logger: coreLogger(this.options.progress),
    };
  }

  private newKeeperLoop(): KeeperLoop {
    return new KeeperLoop(new LeaseKeeper({
      lease: this.primaryLease,
      fence: new LocalPrimarySelfFence(() => this.serverOf(LOCAL_MEMBERS.primary) ?? this.cluster.primary),
      clock: systemClock,
      logger: prefixedLogger(this.options.progress, 'keeper'),
      alerts: this.alerts,
    }, LOCAL_LEASE_TIMINGS, 'keeper:local'));
  }

  /**
   * The monitor's credentials, cached as the AWS monitor caches its secret per container: read once, and again
   * only when the database refused the cached password (`refresh`, SQLSTATE 28P01).
   */
  private monitorCredentialsFor(refresh: boolean): MonitorSecret {
    if (refresh || !this.monitorCredentials) {
      this.monitorCredentials = { ...this.monitorSecret };
      this.monitorSecretReads += 1;
    }
    return this.monitorCredentials;
  }

  private async startKeeperAndMonitor(): Promise<void> {
    const { progress } = this.options;
    this.keeperLoop = this.newKeeperLoop();
    this.keeperLoop.start();
    await this.keeperLoop.waitUntilHeld(10_000);
    this.monitorLoop = new CompositeMonitor({
      dependencies: {
        configured: LOCAL_CONFIGURED_PAIR,
        // As the AWS monitor: the writer and replica the failover state names, each reached as the DR region reaches it.
        probes: async (options) => {
          const { username: user, password } = this.monitorCredentialsFor(options?.refreshCredentials === true);
          const targetOf = (member: DatabaseMember) => async () => ({ ...this.requireNode(member).target, user, password });
          return (roles) => postgresReplicationProbes({
            primary: targetOf(roles.writer),
            ...(roles.replica ? { replica: targetOf(roles.replica) } : {}),
            timeoutMs: PROBE_TIMEOUT_MS,
          });
        },
        describe: async (member) => (member.side === 'primary' ? this.controlPlane : this.drControlPlane).describe(this.requireNode(member)),
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

/** One database of the estate: the server answering to its identifier, and when the estate created it (RDS `InstanceCreateTime`). */
interface LocalInstance {
  readonly member: DatabaseMember;
  readonly node: NodeHandle;
  readonly createdAt: number;
}

export function endpointTarget(node: NodeHandle): EndpointTarget {
  return { name: node.name, host: node.connectionConfig.host, port: node.port };
}

async function prepareSchema(primary: NodeHandle): Promise<void> {
  await primary.session(async (client) => {
    await ensureHeartbeatSchema(client); // the objects the AWS monitor writes and reads
    await client.query(HISTORY_TABLE_SQL);
  });
  // What the primary's parameter group sets on AWS (lib/constructs/database/primary-database.ts), at the local scale.
  const silentSessionTimeout = `${silentSessionTimeoutMs(LOCAL_LEASE_TIMINGS)}ms`;
  await primary.configure({ idle_session_timeout: silentSessionTimeout, idle_in_transaction_session_timeout: silentSessionTimeout });
}

/** A login role for the monitor with what its cycle needs, and a random password: the monitor's initial secret. */
async function createMonitorRole(primary: NodeHandle, role: string): Promise<MonitorSecret> {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`monitor role ${role} is not a plain lower-case identifier`);
  const password = randomBytes(12).toString('hex');
  await primary.session(async (client) => {
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    for (const grant of MONITOR_GRANTS) await client.query(grant.replace('{role}', role));
  });
  return { username: role, password };
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
      if (message === 'step done') progress(`orchestrator: ${String(extra?.step)} done in ${typeof extra?.seconds === 'number' ? formatSeconds(extra.seconds) : `${String(extra?.seconds)} s`} — ${String(extra?.detail)}`);
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
