/**
 * Re-protection on the local estate: the old writer holding the configured name of the "other region" is renamed away
 * (the estate's name registry: a server keeps its data directory, only the identifier the estate knows it by changes,
 * as an RDS rename keeps the instance), then that region gets a NEW PostgreSQL server under the configured name, a base
 * backup of the writer streaming from it through its own replication slot (`PostgresCluster.addStandby`), as RDS builds
 * a cross-region read replica from a snapshot of its source and then streams. The old writer is renamed only once it
 * is isolated by the local fence (`LocalDatabaseControl.fencePrimary`: the read-only default persisted, the server
 * down), the local counterpart of "stopped inside its fence security group"; a running one must refuse writes.
 * There is no shared parameter group locally (each server's settings are its own), so nothing is lifted: the new
 * server's settings come from the writer's base backup, which no fence touched. The writer's "automated backups
 * replicated to the other region" are a base backup of the writer plus continuous WAL archiving (`archive_command`)
 * into that region's backup directory: what a point-in-time restore there needs, as RDS replicates snapshots and
 * transaction logs.
 *
 * The status is read from the servers themselves (`pg_is_in_recovery`, `pg_stat_wal_receiver`, `pg_stat_archiver`),
 * never from what this adapter did.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeMember, type DatabaseMember, type RegionSide } from '../../core/estate-roles';
import {
  ReplicaTargetConflictError, type BackupReplicationStatus, type ReplicaProvisioning, type ReplicaTargetStatus, type RetirementProgress,
} from '../../core/ports';
import { FENCE_SETTINGS } from './local-database-control';
import type { NodeHandle, PostgresCluster } from './postgres-cluster';

export interface LocalReplicaProvisioningOptions {
  readonly cluster: PostgresCluster;
  /** The server behind a database of the estate (as the orchestrator reaches it), `undefined` while it does not exist. */
  readonly nodeOf: (member: DatabaseMember) => NodeHandle | undefined;
  /** The database listening on a local port (a replica's upstream, read from its WAL receiver). */
  readonly memberAt: (port: number) => DatabaseMember | undefined;
  /** The replica a re-protection creates in each region: the configured database of the region. */
  readonly targets: Partial<Record<RegionSide, DatabaseMember>>;
  /** Called once a new replica runs, so the estate knows it under `member`'s identifier. */
  readonly onCreated: (member: DatabaseMember, node: NodeHandle) => void;
  /** The estate's rename: the server known as `member` is known as `newId` from now on (in `member`'s region). */
  readonly rename: (member: DatabaseMember, newId: string) => void;
  /** postgresql.auto.conf settings of a new replica (e.g. its own archive_command once it writes). */
  readonly replicaSettings?: Record<string, string>;
}

/** Where a region's copy of a writer's backups goes, under the cluster's directory. */
export function backupDirectory(side: RegionSide, writer: DatabaseMember): string {
  return path.join(`backups-${side}-region`, writer.instanceId);
}

/** How long enabling the archive waits for a first segment to arrive (it reports `pending` after that). */
const SWITCH_TIMEOUT_MS = 5_000;

export class LocalReplicaProvisioning implements ReplicaProvisioning {
  constructor(private readonly options: LocalReplicaProvisioningOptions) {}

  targetFor(writer: DatabaseMember): DatabaseMember | undefined {
    return this.options.targets[writer.side === 'primary' ? 'dr' : 'primary'];
  }

  async describeTarget(target: DatabaseMember): Promise<ReplicaTargetStatus | undefined> {
    const node = this.options.nodeOf(target);
    if (!node) return undefined;
    if (!node.isRunning()) {
      const standby = fs.existsSync(path.join(node.dataDir, 'standby.signal'));
      return { status: 'stopped', available: false, ...(standby ? { source: { unknown: 'a standby that is not running' } } : {}) };
    }
    const [row] = await node.query<{ in_recovery: boolean; receiver: string | null; sender_port: number | null }>(
      'SELECT pg_is_in_recovery() AS in_recovery, r.status AS receiver, r.sender_port FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver r ON true',
    );
    if (!row.in_recovery) return { status: 'available', available: true };
    const upstream = row.sender_port === null ? undefined : this.options.memberAt(row.sender_port);
    return {
      status: 'available',
      available: true,
      source: upstream ?? { unknown: row.sender_port === null ? 'no WAL receiver' : `127.0.0.1:${row.sender_port}` },
      replicationState: row.receiver === 'streaming' ? 'replicating' : `not streaming (wal receiver ${row.receiver ?? 'stopped'})`,
    };
  }

  async createReplica(writer: DatabaseMember, target: DatabaseMember): Promise<void> {
    const existing = await this.describeTarget(target);
    if (existing) {
      const source = existing.source;
      if (source && 'side' in source && source.side === writer.side && source.instanceId === writer.instanceId) return;
      throw new ReplicaTargetConflictError(`${describeMember(target)} already exists and does not replicate from ${describeMember(writer)}`);
    }
    const writerNode = this.options.nodeOf(writer);
    if (!writerNode?.isRunning()) throw new Error(`the writer ${describeMember(writer)} is not running`);
    const node = await this.options.cluster.addStandby(this.newServerName(target), writerNode, this.options.replicaSettings);
    this.options.onCreated(target, node);
  }

  async retireOldWriter(oldWriter: DatabaseMember, retiredId: string): Promise<RetirementProgress> {
    const node = this.options.nodeOf(oldWriter);
    if (!node) {
      const renamed = this.options.nodeOf({ side: oldWriter.side, instanceId: retiredId });
      return { done: true, detail: renamed ? `${retiredId} is server ${renamed.name}; nothing answers to ${oldWriter.instanceId} any more` : `neither ${oldWriter.instanceId} nor ${retiredId} exists: the name is free` };
    }
    const seen = await this.describeTarget(oldWriter);
    if (seen?.source !== undefined) throw new ReplicaTargetConflictError(`${describeMember(oldWriter)} is a standby, not an old writer: nothing renamed`);
    const isolation = await isolationOf(node);
    if (!isolation.isolated) {
      throw new ReplicaTargetConflictError(`${describeMember(oldWriter)} is not fenced (${isolation.detail}): renamed, it could still take writes from clients `
        + 'that reach it. Nothing renamed or created; fence it, then re-protect again');
    }
    this.options.rename(oldWriter, retiredId);
    return { done: true, detail: `server ${node.name} (${isolation.detail}) is known as ${retiredId} now` };
  }

  /** A server name not used yet in the cluster: `<instance>-2`, `<instance>-3` … (the instance name stays the estate's). */
  private newServerName(target: DatabaseMember): string {
    const taken = new Set(this.options.cluster.nodes.map((node) => node.name));
    for (let generation = 2; ; generation++) {
      const name = `${target.instanceId}-${generation}`;
      if (!taken.has(name)) return name;
    }
  }

  /** Enabled when the writer archives into the destination's directory; replicating once a segment arrived there. */
  async backupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus | undefined> {
    const node = this.runningWriter(writer);
    const walDir = path.join(this.options.cluster.baseDir, backupDirectory(destination, writer), 'wal');
    const [row] = await node.query<{ command: string; archived: string; last_wal: string | null; failed: string; last_error_wal: string | null }>(
      `SELECT current_setting('archive_command') AS command, archived_count::text AS archived, last_archived_wal AS last_wal,
              failed_count::text AS failed, last_failed_wal AS last_error_wal FROM pg_stat_archiver`,
    );
    if (!row.command.includes(walDir)) return undefined;
    const arrived = row.last_wal !== null && fs.existsSync(path.join(walDir, row.last_wal));
    const base = fs.existsSync(path.join(path.dirname(walDir), 'base', 'backup_label'));
    const detail = `base backup ${base ? 'in' : 'NOT in'} ${path.dirname(walDir)}; WAL archived there up to ${row.last_wal ?? 'nothing yet'}`
      + `${Number(row.failed) > 0 ? ` (${row.failed} archive failures, last ${row.last_error_wal})` : ''}`;
    return { state: arrived && base ? 'replicating' : 'pending', detail };
  }

  /** A base backup of the writer into the destination region, then every WAL segment archived there. THROWS if it cannot archive. */
  async startBackupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus> {
    const node = this.runningWriter(writer);
    const [{ mode }] = await node.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode");
    if (mode === 'off') throw new Error(`archive_mode is off on ${describeMember(writer)}: WAL cannot be archived without a restart`);
    const { cluster } = this.options;
    const directory = cluster.serverDirectory(backupDirectory(destination, writer));
    const walDir = cluster.serverDirectory(path.join(backupDirectory(destination, writer), 'wal'));
    const baseDir = path.join(directory, 'base');
    if (!fs.existsSync(path.join(baseDir, 'backup_label'))) {
      fs.rmSync(baseDir, { recursive: true, force: true });
      await cluster.baseBackup(node, baseDir);
    }
    // archive_timeout: a segment at least every 10 s while the writer writes (RDS uploads transaction logs every 5 min).
    await node.configure({ archive_command: `test ! -f ${walDir}/%f && cp %p ${walDir}/%f`, archive_timeout: '10s' });
    // The archiver picks the new command up at its reload, asynchronously: switch segments until one arrives (bounded),
    // so the first copy does not wait for 16 MB of writes.
    const giveUpAt = Date.now() + SWITCH_TIMEOUT_MS;
    for (;;) {
      await node.query('SELECT pg_switch_wal()');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const status = await this.backupReplication(writer, destination);
      if (status?.state === 'replicating' || Date.now() > giveUpAt) return status ?? { state: 'pending', detail: `archive_command set toward ${walDir}` };
    }
  }

  private runningWriter(writer: DatabaseMember): NodeHandle {
    const node = this.options.nodeOf(writer);
    if (!node?.isRunning()) throw new Error(`the writer ${describeMember(writer)} is not running`);
    return node;
  }
}

/** The local fence in effect: a stopped server whose data directory persists the read-only default, or a running one that refuses writes. */
async function isolationOf(node: NodeHandle): Promise<{ isolated: boolean; detail: string }> {
  const [[setting, value]] = Object.entries(FENCE_SETTINGS);
  if (!node.isRunning()) {
    // ALTER SYSTEM / configure() append: the last line of a setting is the one the server starts with.
    const lines = fs.readFileSync(path.join(node.dataDir, 'postgresql.auto.conf'), 'utf8').split('\n');
    const last = lines.map((line) => line.match(/^\s*([a-z_]+)\s*=\s*'?([^'\s]*)'?\s*$/)).filter((match) => match?.[1] === setting).at(-1)?.[2];
    return { isolated: last === value, detail: `server down, ${setting}=${last ?? 'default'} in its postgresql.auto.conf` };
  }
  const [row] = await node.query<{ value: string }>('SELECT current_setting($1) AS value', [setting]);
  return { isolated: row.value === value, detail: `server running, ${setting}=${row.value}` };
}
