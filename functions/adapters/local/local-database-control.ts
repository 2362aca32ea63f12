import * as fs from 'node:fs';
import * as path from 'node:path';
import { lagAtPrimaryFailure, type LagAtPrimaryFailure, type LagSample, type PrimaryEndEvidence } from '../../core/lag-at-primary-failure';
import type {
  ConnectivityProbe, DatabaseControl, FenceOutcome, FrozenPrimary, InstanceStatus, ReplicaStatus, WriterCheck,
} from '../../core/ports';
import { MonitorMetric } from '../../core/metric-names';
import { probeDatabase, reachableIfAnswered } from '../postgres/connectivity';
import {
  checkWriter, FENCE_APPLICATION_NAME, serverTime, terminateSessionsBefore, verifyWriteFence, walFlushLsn, walReplayLsn,
} from '../postgres/write-fence';
import type { NodeHandle, ServerSettings } from './postgres-cluster';
import type { RecordedDatum } from './recording-observability';

export interface LocalDatabaseControlOptions {
  readonly primary: NodeHandle;
  readonly replica: NodeHandle;
  /**
   * What the local monitor recorded, cycle by cycle (the local CloudWatch): its `PrimaryReachable` and
   * `ReplicationLagSeconds` are read back as the AWS adapter reads them from GetMetricData.
   */
  readonly monitorHistory: () => readonly RecordedDatum[];
  /** The monitor's cycle interval: the local probe interval. */
  readonly probeIntervalSeconds: number;
  /** Only cycles this recent count (the AWS adapter's look-back, scaled down). */
  readonly lagLookbackMs: number;
  readonly now?: () => number;
  /** The primary region's "RDS API" (default: answers, reports the process state). */
  readonly primaryControlPlane?: LocalControlPlane;
}

/**
 * The primary region's control plane as the drill injects it: whether its API answers at all (a regional outage or
 * a partition from the caller), and a status it reports instead of the process state (maintenance while the
 * server keeps serving: `storage-optimization`, `modifying`, ...). Parameter changes, stops and the status all go
 * through it, as they go through the RDS API on AWS; SQL does not.
 */
export class LocalControlPlane {
  answers = true;
  reportedStatus: string | undefined;

  describe(node: NodeHandle): InstanceStatus {
    this.assertAnswers('DescribeDBInstances');
    if (this.reportedStatus !== undefined && node.isRunning()) return { status: this.reportedStatus, available: this.reportedStatus === 'available' };
    return processStatus(node);
  }

  /** THROWS like an API call that got no answer (the AWS adapter's SDK deadline). */
  assertAnswers(action: string): void {
    if (!this.answers) throw new Error(`${action}: the primary region's API did not answer within its deadline`);
  }
}

/** SQLSTATE 55000 object_not_in_prerequisite_state: pg_promote() on a server that is no longer in recovery. */
const NOT_IN_RECOVERY = '55000';

/**
 * Survives restarts (postgresql.auto.conf): every transaction on the old primary starts read-only, so it
 * refuses writes from any ordinary client even if someone starts it again.
 */
export const FENCE_SETTINGS: ServerSettings = { default_transaction_read_only: 'on' };
export const UNFENCE_SETTINGS: ServerSettings = { default_transaction_read_only: 'off' };

/** A reload is asynchronous: waits (bounded) until a new session sees the wanted read-only default. */
export async function waitForReadOnlyDefault(node: NodeHandle, readOnly: boolean, timeoutMs = 3000): Promise<void> {
  const want = readOnly ? 'on' : 'off';
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await node.query<{ value: string }>("SELECT current_setting('default_transaction_read_only') AS value");
    if (row.value === want) return;
    if (Date.now() > giveUpAt) throw new Error(`default_transaction_read_only still ${row.value} ${timeoutMs} ms after the reload`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `DatabaseControl` over the local cluster: the "control plane" is the process table and the data
 * directory, the data plane the same probe the AWS adapter uses.
 */
export class LocalDatabaseControl implements DatabaseControl {
  private readonly controlPlane: LocalControlPlane;

  constructor(private readonly options: LocalDatabaseControlOptions) {
    this.controlPlane = options.primaryControlPlane ?? new LocalControlPlane();
  }

  async probePrimary(timeoutMs: number): Promise<ConnectivityProbe> {
    return reachableIfAnswered(await probeDatabase(this.options.primary.target, timeoutMs));
  }

  async describePrimary(): Promise<InstanceStatus> {
    return this.controlPlane.describe(this.options.primary);
  }

  async describeReplica(): Promise<ReplicaStatus> {
    const { replica } = this.options;
    if (!replica.isRunning()) {
      // A stopped node's role is on disk: a standby keeps standby.signal until its promotion completes.
      const standby = fs.existsSync(path.join(replica.dataDir, 'standby.signal'));
      return { ...processStatus(replica), role: standby ? 'replica' : 'writer' };
    }
    const [row] = await replica.query<{ in_recovery: boolean; receiver: string | null }>(
      'SELECT pg_is_in_recovery() AS in_recovery, (SELECT status FROM pg_stat_wal_receiver) AS receiver',
    );
    if (!row.in_recovery) return { role: 'writer', status: 'available', available: true };
    return {
      role: 'replica',
      status: 'available',
      available: true,
      replicationState: row.receiver === 'streaming' ? 'replicating' : `not streaming (wal receiver ${row.receiver ?? 'stopped'})`,
    };
  }

  /** The lag at the primary's failure over the monitor's recent cycles, as on AWS (`lagAtPrimaryFailure`). */
  async replicationLagSeconds(evidence?: PrimaryEndEvidence): Promise<number | undefined> {
    return (await this.replicationLagEstimate(evidence)).lagSeconds;
  }

  async replicationLagEstimate(evidence?: PrimaryEndEvidence): Promise<LagAtPrimaryFailure> {
    const { monitorHistory, probeIntervalSeconds, lagLookbackMs, now = Date.now } = this.options;
    return lagAtPrimaryFailure(monitorSamples(monitorHistory(), now() - lagLookbackMs), probeIntervalSeconds, evidence);
  }

  /** `pg_promote(wait => false)`: returns once the request is signalled; the core polls `describeReplica`. */
  async promoteReplica(): Promise<void> {
    const { replica } = this.options;
    const [{ in_recovery }] = await replica.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
    if (!in_recovery) return;
    try {
      await replica.query('SELECT pg_promote(false)');
    } catch (error) {
      // A second caller raced us and the promotion has already finished.
      if ((error as { code?: string }).code !== NOT_IN_RECOVERY) throw error;
    }
  }

  /** Planned switchover: read-only default (not replicated), older sessions cut, verified, then the flush position. */
  async freezePrimary(): Promise<FrozenPrimary> {
    const { primary } = this.options;
    this.controlPlane.assertAnswers('ModifyDBParameterGroup');
    await primary.configure(FENCE_SETTINGS);
    await waitForReadOnlyDefault(primary, true);
    return primary.session(async (client) => {
      const fencedAt = await serverTime(client);
      const terminated = await terminateSessionsBefore(client, fencedAt);
      const check = await primary.session((verifier) => verifyWriteFence(verifier, fencedAt), FENCE_APPLICATION_NAME);
      if (!check.fenced) throw new Error(`freeze not verified: ${check.detail}`);
      return { flushLsn: await walFlushLsn(client), detail: `${terminated} client sessions terminated` };
    }, FENCE_APPLICATION_NAME);
  }

  async thawPrimary(): Promise<void> {
    this.controlPlane.assertAnswers('ModifyDBParameterGroup');
    await this.options.primary.configure(UNFENCE_SETTINGS);
    if (this.options.primary.isRunning()) await waitForReadOnlyDefault(this.options.primary, false);
  }

  replicaReplayLsn(): Promise<string | undefined> {
    return this.options.replica.session(walReplayLsn);
  }

  verifyWriter(): Promise<WriterCheck> {
    return this.options.replica.session(checkWriter);
  }

  /**
   * Persists the read-only fence, then stops a running old primary (fast shutdown: a live primary ships
   * all its WAL to the standby before it exits). Idempotent: the setting is the same every time.
   */
  async fencePrimary(): Promise<FenceOutcome> {
    const { primary } = this.options;
    this.controlPlane.assertAnswers('ModifyDBInstance');
    const wasRunning = primary.isRunning();
    await primary.configure(FENCE_SETTINGS);
    if (wasRunning) await primary.stop();
    return {
      isolated: true,
      stopped: true,
      // Locally isolation is the stopped server: verified when no postmaster runs.
      verified: !primary.isRunning(),
      detail: `default_transaction_read_only=on persisted in postgresql.auto.conf; ${wasRunning ? 'server stopped (fast shutdown)' : 'server was already down'}`,
    };
  }
}

/** One sample per monitor cycle (a cycle records all its data at one instant). */
function monitorSamples(history: readonly RecordedDatum[], since: number): LagSample[] {
  const byCycle = new Map<number, { at: Date; lagSeconds?: number; primaryReachable?: boolean; primaryWritable?: boolean }>();
  for (const datum of history) {
    if (datum.at < since) continue;
    const sample = byCycle.get(datum.at) ?? { at: new Date(datum.at) };
    if (datum.name === MonitorMetric.ReplicationLagSeconds) sample.lagSeconds = datum.value;
    else if (datum.name === MonitorMetric.PrimaryReachable) sample.primaryReachable = datum.value >= 1;
    else if (datum.name === MonitorMetric.PrimaryWritable) sample.primaryWritable = datum.value >= 1;
    else continue;
    byCycle.set(datum.at, sample);
  }
  return [...byCycle.values()];
}

function processStatus(node: NodeHandle): InstanceStatus {
  // The RDS words for the same facts, so the core classifies local and AWS states alike.
  return node.isRunning() ? { status: 'available', available: true } : { status: 'stopped', available: false };
}
