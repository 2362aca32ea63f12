import type { PrimaryEndEvidence } from '../../../functions/core/lag-at-primary-failure';
import {
  DEFAULT_FAILOVER_SETTINGS, type FailoverPorts, type FailoverSettings, type RunOptions,
} from '../../../functions/core/failover-orchestrator';
import { InMemoryFailoverStateStore } from '../../../functions/core/in-memory-state-store';
import type {
  Alerts, Clock, ConnectivityProbe, DatabaseControl, Dns, FenceOutcome, FrozenPrimary, InstanceStatus, Logger, MetricDatum, Metrics,
  ReplicaStatus, WriterCheck,
} from '../../../functions/core/ports';
import { LeaseConflictError, type WriteLease, type WriteLeaseStore } from '../../../functions/core/write-lease';

export const START = Date.parse('2026-11-21T10:00:00.000Z');

/** Time moves only when the code under test sleeps (or a fake op takes time): tests never wait. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = START) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

type Behaviour<T> = () => T | Promise<T>;

/** Every port call lands in `calls` so tests can assert the order of effects. */
export class FakeDatabase implements DatabaseControl {
  probe: Behaviour<ConnectivityProbe> = () => ({ reachable: false, latencyMs: 5000, error: 'timeout' });
  primary: Behaviour<InstanceStatus> = () => { throw new Error('primary region control plane unreachable'); };
  lag: Behaviour<number | undefined> = () => 4;
  replica: ReplicaStatus = { role: 'replica', status: 'available', available: true, replicationState: 'error' };
  /** Role/status the replica reaches on each describe after promotion was requested. */
  promotionProgress: ReplicaStatus[] = [
    { role: 'promoting', status: 'modifying', available: false },
    { role: 'writer', status: 'available', available: true },
  ];
  describeReplicaFailures: Behaviour<void> = () => undefined;
  promote: Behaviour<void> = () => undefined;
  fence: Behaviour<FenceOutcome> = () => ({ isolated: true, stopped: true, verified: true });
  /** Database view of the promoted replica (`verifyWriter`). */
  writer: Behaviour<WriterCheck> = () => ({ writable: true, detail: 'test write committed' });
  freeze: Behaviour<FrozenPrimary> = () => ({ flushLsn: '0/5000', detail: 'frozen' });
  /** Replay positions the replica reports, one per call (the last repeats). */
  replayPositions: string[] = ['0/5000'];
  promoteCalls = 0;
  thawCalls = 0;

  constructor(private readonly calls: string[]) {}

  async probePrimary(timeoutMs: number): Promise<ConnectivityProbe> {
    this.calls.push(`probePrimary(${timeoutMs})`);
    return this.probe();
  }
  async describePrimary(): Promise<InstanceStatus> {
    this.calls.push('describePrimary');
    return this.primary();
  }
  async describeReplica(): Promise<ReplicaStatus> {
    this.calls.push('describeReplica');
    await this.describeReplicaFailures();
    if (this.replica.role !== 'replica' && this.promotionProgress.length > 0) {
      this.replica = this.promotionProgress.shift()!;
      return this.replica;
    }
    return this.replica;
  }
  /** What the core told the lag source about its own failed probes, per call. */
  readonly lagAskedWith: Array<PrimaryEndEvidence | undefined> = [];
  async replicationLagSeconds(evidence?: PrimaryEndEvidence): Promise<number | undefined> {
    this.calls.push('replicationLagSeconds');
    this.lagAskedWith.push(evidence);
    return this.lag();
  }
  async promoteReplica(): Promise<void> {
    this.calls.push('promoteReplica');
    await this.promote();
    this.promoteCalls++;
    this.replica = { role: 'promoting', status: 'modifying', available: false };
  }
  async fencePrimary(): Promise<FenceOutcome> {
    this.calls.push('fencePrimary');
    return this.fence();
  }
  async freezePrimary(): Promise<FrozenPrimary> {
    this.calls.push('freezePrimary');
    return this.freeze();
  }
  async thawPrimary(): Promise<void> {
    this.calls.push('thawPrimary');
    this.thawCalls++;
  }
  async replicaReplayLsn(): Promise<string | undefined> {
    this.calls.push('replicaReplayLsn');
    return this.replayPositions.length > 1 ? this.replayPositions.shift() : this.replayPositions[0];
  }
  async verifyWriter(): Promise<WriterCheck> {
    this.calls.push('verifyWriter');
    return this.writer();
  }
}

/** The write lease as a strongly consistent store would keep it; `failing` makes every call throw (no quorum). */
export class FakeLeaseStore implements WriteLeaseStore {
  failing: Error | undefined;
  writes = 0;
  constructor(private readonly calls: string[], public lease: WriteLease | undefined = undefined) {}
  async read(): Promise<WriteLease | undefined> {
    this.calls.push('readLease');
    if (this.failing) throw this.failing;
    return this.lease;
  }
  async compareAndSet(expected: WriteLease | undefined, next: WriteLease): Promise<WriteLease> {
    this.calls.push(`casLease(${next.holder}#${next.epoch})`);
    if (this.failing) throw this.failing;
    const same = expected === undefined ? this.lease === undefined
      : this.lease !== undefined && this.lease.holder === expected.holder && this.lease.epoch === expected.epoch && this.lease.expiresAt === expected.expiresAt;
    if (!same) throw new LeaseConflictError('changed', this.lease);
    this.lease = next;
    this.writes++;
    return next;
  }
}

export class FakeDns implements Dns {
  signal: Behaviour<void> = () => undefined;
  pin: Behaviour<void> = () => undefined;
  target = 'primary.example';
  constructor(private readonly calls: string[]) {}
  async publishFailoverSignal(): Promise<void> {
    this.calls.push('publishFailoverSignal');
    await this.signal();
  }
  async withdrawFailoverSignal(): Promise<void> {
    this.calls.push('withdrawFailoverSignal');
  }
  async pinWriterToDr(): Promise<void> {
    this.calls.push('pinWriterToDr');
    await this.pin();
    this.target = 'replica.example';
  }
  async currentWriterTarget(): Promise<string | undefined> {
    this.calls.push('currentWriterTarget');
    return this.target;
  }
}

export class FakeAlerts implements Alerts {
  readonly sent: { subject: string; message: string }[] = [];
  failing = false;
  async notify(subject: string, message: string): Promise<void> {
    if (this.failing) throw new Error('SNS down');
    this.sent.push({ subject, message });
  }
  get subjects(): string[] {
    return this.sent.map((alert) => alert.subject);
  }
}

export class FakeMetrics implements Metrics {
  readonly data: MetricDatum[] = [];
  async record(data: readonly MetricDatum[]): Promise<void> {
    this.data.push(...data);
  }
}

export class SilentLogger implements Logger {
  readonly entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  info(message: string, fields?: Record<string, unknown>): void { this.entries.push({ level: 'info', message, fields }); }
  warn(message: string, fields?: Record<string, unknown>): void { this.entries.push({ level: 'warn', message, fields }); }
  error(message: string, fields?: Record<string, unknown>): void { this.entries.push({ level: 'error', message, fields }); }
}

/** Store that records its calls into the shared log. */
export class RecordingStore extends InMemoryFailoverStateStore {
  constructor(private readonly calls: string[]) {
    super();
  }
  override async acquire(...args: Parameters<InMemoryFailoverStateStore['acquire']>) {
    this.calls.push('acquireLock');
    return super.acquire(...args);
  }
}

export const SETTINGS: FailoverSettings = {
  ...DEFAULT_FAILOVER_SETTINGS,
  maxPromotionLagSeconds: 300,
  promotionTimeoutSeconds: 600,
};

/** A primary lease that expired long ago: its keeper stopped renewing (the region is gone). */
export const EXPIRED_PRIMARY_LEASE: WriteLease = { holder: 'primary', epoch: 3, expiresAt: START - 600_000, writtenBy: 'keeper:old', writtenAt: START - 645_000 };

/** `null`: no write lease was ever established. */
export function world(lease: WriteLease | null = EXPIRED_PRIMARY_LEASE) {
  const calls: string[] = [];
  const clock = new FakeClock();
  const ports = {
    database: new FakeDatabase(calls),
    dns: new FakeDns(calls),
    lease: new FakeLeaseStore(calls, lease ?? undefined),
    alerts: new FakeAlerts(),
    metrics: new FakeMetrics(),
    store: new RecordingStore(calls),
    clock,
    logger: new SilentLogger(),
  } satisfies FailoverPorts;
  const run = (id: string, budgetMs = 840_000): RunOptions => ({ runId: id, deadline: clock.now() + budgetMs });
  return { calls, clock, ports, run };
}
