import type { DatabaseMember, DatabasePair, RegionSide } from '../../../functions/core/estate-roles';
import type { FailoverPorts } from '../../../functions/core/failover-orchestrator';
import {
  ReplicaTargetConflictError,
  type BackupReplicationStatus, type DatabaseControl, type DatabaseFleet, type ReplicaProvisioning, type ReplicaTargetStatus, type RetirementProgress,
} from '../../../functions/core/ports';
import { FakeDatabase, FakeDns, world } from './fakes';

/** The configured estate: the primary region's instance writes, the DR region's replicates it. */
export const PRIMARY: DatabaseMember = { side: 'primary', instanceId: 'paydb-primary-db-dev' };
export const DR: DatabaseMember = { side: 'dr', instanceId: 'paydb-dr-replica-db-dev' };
export const CONFIGURED: DatabasePair = { writer: PRIMARY, replica: DR };

const key = (pair: DatabasePair) => `${pair.writer.instanceId}→${pair.replica.instanceId}`;

/** `DatabaseControl` per pair; each pair's fake logs into its own list, created on first use (tests preset them). */
export class FakeFleet implements DatabaseFleet {
  readonly configured = CONFIGURED;
  readonly controls = new Map<string, { readonly database: FakeDatabase; readonly calls: string[] }>();
  constructor(private readonly configuredDatabase: FakeDatabase, private readonly log: string[]) {}

  control(pair: DatabasePair): DatabaseControl {
    if (pair.writer.instanceId === PRIMARY.instanceId && pair.replica.instanceId === DR.instanceId) return this.configuredDatabase;
    return this.pairDatabase(pair);
  }

  /** The fake behind `pair` (tests set its behaviour before the run). */
  pairDatabase(pair: DatabasePair): FakeDatabase {
    const existing = this.controls.get(key(pair));
    if (existing) return existing.database;
    const calls: string[] = [];
    // Every call also lands in the world's shared log, prefixed with the pair, so orders across ports can be asserted.
    const shared = { push: (...entries: string[]) => { calls.push(...entries); return this.log.push(...entries.map((entry) => `[${key(pair)}] ${entry}`)); } };
    const database = new FakeDatabase(shared as unknown as string[]);
    this.controls.set(key(pair), { database, calls });
    return database;
  }

  callsOf(pair: DatabasePair): string[] {
    return this.controls.get(key(pair))?.calls ?? [];
  }
}

/** The role-based DNS methods, on top of the configured ones. */
export class FakeRoleDns extends FakeDns {
  readonly moves: string[] = [];
  constructor(private readonly log: string[]) {
    super(log);
  }
  async moveWriterTo(member: DatabaseMember): Promise<void> {
    this.log.push(`moveWriterTo(${member.instanceId})`);
    this.moves.push(member.instanceId);
  }
  async pinWriterTo(member: DatabaseMember): Promise<void> {
    this.log.push(`pinWriterTo(${member.instanceId})`);
    this.target = member.instanceId;
  }
}

/**
 * The other region's control plane as re-protection sees it: `existing` is what a describe finds under the target's
 * name before any create (by default the old writer the failover fenced: standalone and stopped) until a retirement
 * finishes; each retirement call moves one state along `retireProgress` (the last repeats); after a create, each
 * describe moves one state along `progress` (the last repeats).
 */
export class FakeProvisioning implements ReplicaProvisioning {
  existing: ReplicaTargetStatus | undefined = { status: 'stopped', available: false };
  retireProgress: RetirementProgress[] = [{ done: false, detail: 'start requested' }, { done: true, detail: 'renamed' }];
  /** Thrown by every retirement call while set. */
  retireFailure: Error | undefined;
  /** `old→retired` per retirement call. */
  readonly retirements: string[] = [];
  progress: ReplicaTargetStatus[] = [
    { status: 'creating', available: false, source: DR },
    { status: 'available', available: true, source: DR, replicationState: 'replicating' },
  ];
  backups: BackupReplicationStatus | undefined;
  backupProgress: BackupReplicationStatus[] = [{ state: 'pending', detail: 'pending' }, { state: 'replicating', detail: 'replicating' }];
  /** Thrown by the next create (once), e.g. the request crossed a crash, or the name was taken meanwhile. */
  createFailure: Error | undefined;
  createFailureAfterAccept = false;
  creates = 0;
  backupStarts = 0;
  targets: Partial<Record<RegionSide, DatabaseMember>> = { primary: PRIMARY, dr: DR };
  private created = false;
  private retired = false;

  constructor(private readonly log: string[]) {}

  targetFor(writer: DatabaseMember): DatabaseMember | undefined {
    return writer.side === 'dr' ? this.targets.primary : this.targets.dr;
  }
  async describeTarget(target: DatabaseMember): Promise<ReplicaTargetStatus | undefined> {
    this.log.push(`describeTarget(${target.instanceId})`);
    if (!this.created) return this.retired ? undefined : this.existing;
    return this.progress.length > 1 ? this.progress.shift() : this.progress[0];
  }
  async createReplica(writer: DatabaseMember, target: DatabaseMember): Promise<void> {
    this.log.push(`createReplica(${writer.instanceId}→${target.instanceId})`);
    const failure = this.createFailure;
    this.createFailure = undefined;
    if (failure && !this.createFailureAfterAccept) throw failure;
    this.creates += 1;
    this.created = true;
    if (failure) throw failure;
  }
  async retireOldWriter(oldWriter: DatabaseMember, retiredId: string): Promise<RetirementProgress> {
    this.log.push(`retireOldWriter(${oldWriter.instanceId}→${retiredId})`);
    this.retirements.push(`${oldWriter.instanceId}→${retiredId}`);
    if (this.retireFailure) throw this.retireFailure;
    const step = this.retireProgress.length > 1 ? this.retireProgress.shift()! : this.retireProgress[0];
    if (step.done) this.retired = true;
    return step;
  }
  async backupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus | undefined> {
    this.log.push(`backupReplication(${writer.instanceId}→${destination})`);
    if (this.backups === undefined) return undefined;
    this.backups = this.backupProgress.length > 1 ? this.backupProgress.shift()! : this.backupProgress[0];
    return this.backups;
  }
  async startBackupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus> {
    this.log.push(`startBackupReplication(${writer.instanceId}→${destination})`);
    this.backupStarts += 1;
    this.backups = { state: 'pending', detail: 'requested' };
    return this.backups;
  }
}

export function conflict(message = 'the name is taken'): ReplicaTargetConflictError {
  return new ReplicaTargetConflictError(message);
}

/** The core fakes' world plus the fleet, the role-based DNS and re-protection. */
export function fleetWorld(...args: Parameters<typeof world>) {
  const base = world(...args);
  const dns = new FakeRoleDns(base.calls);
  const fleet = new FakeFleet(base.ports.database, base.calls);
  const reprotection = new FakeProvisioning(base.calls);
  const ports = { ...base.ports, dns, fleet, reprotection } satisfies FailoverPorts;
  return { ...base, ports, dns, fleet, reprotection };
}
