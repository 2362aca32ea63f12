import type { DatabaseMember, DatabasePair, RegionSide } from './estate-roles';
import type { LagAtPrimaryFailure, PrimaryEndEvidence } from './lag-at-primary-failure';
import type { MetricName } from './metric-names';
/**
 * The ports the failover core runs over. The AWS adapters (functions/adapters/aws) and the local
 * drill's adapters implement the same interfaces, so the same core decides and acts in both.
 *
 * Error contract, shared by every port: a method either does what it says or THROWS. A method
 * never reports success for something it could not verify; "I could not tell" is an error (or an
 * explicit `undefined` where the contract says so). The core retries with bounded backoff, keeps
 * its state, and never promotes on doubt.
 */

/** Result of a data-plane probe (connect + query) of one database. */
export interface ConnectivityProbe {
  readonly reachable: boolean;
  readonly latencyMs: number;
  /** `pg_is_in_recovery()` when the probe got that far. */
  readonly inRecovery?: boolean;
  readonly error?: string;
}

/** Control-plane view of an instance (RDS DescribeDBInstances, or the local process table). */
export interface InstanceStatus {
  /** Raw status, e.g. `available`, `modifying`, `stopped`, `storage-full`. */
  readonly status: string;
  readonly available: boolean;
}

/**
 * Role of the DR database as the control plane reports it:
 * - `replica`: still replicating from (attached to) the old primary;
 * - `promoting`: detached from the primary but not yet an available writer;
 * - `writer`: a standalone writer (it is `available` when `available` is true).
 */
export type ReplicaRole = 'replica' | 'promoting' | 'writer';

export interface ReplicaStatus extends InstanceStatus {
  readonly role: ReplicaRole;
  /** Replication health as the control plane reports it (RDS `StatusInfos` "read replication"), when known. */
  readonly replicationState?: string;
}

/** What fencing actually did to the old primary. */
export interface FenceOutcome {
  /** The primary now accepts connections from nowhere (deny-all security group / pg_hba / stopped). */
  readonly isolated: boolean;
  /** The primary is stopped or stopping. */
  readonly stopped: boolean;
  /**
   * The isolation was observed in effect, not only requested (AWS: the instance lists only the fence group and
   * RDS reports it `active`; locally: the server refuses writes or is down). The step is done only when true.
   */
  readonly verified: boolean;
  /** Why stopping was impossible or what else happened, for the report. */
  readonly detail?: string;
}

/** The old primary after a database-level fence: nothing can commit past `flushLsn`. */
export interface FrozenPrimary {
  /** `pg_current_wal_flush_lsn()` read after the fence was verified (text form `X/Y`). */
  readonly flushLsn: string;
  readonly detail: string;
}

/** What the database itself says about a writer (not the control plane). */
export interface WriterCheck {
  /** `pg_is_in_recovery()` is false and a test write committed. */
  readonly writable: boolean;
  readonly detail: string;
}

export interface DatabaseControl {
  /**
   * Data-plane probe of the OLD primary from where the orchestrator runs (TLS connect + query).
   * `reachable: true` whenever the server answered at all (even with an auth or SQL error): a server
   * that answers may still take writes. Connection failures (timeout, refused, TLS) are
   * `reachable: false` with `error`. THROWS only if the probe could not be attempted (e.g. the
   * credentials are unreadable): that is doubt, not evidence of an outage.
   */
  probePrimary(timeoutMs: number): Promise<ConnectivityProbe>;

  /** Control-plane status of the old primary. THROWS if its control plane does not answer (region down). */
  describePrimary(): Promise<InstanceStatus>;

  /** Control-plane status of the DR database. THROWS if the control plane does not answer or the instance is missing. */
  describeReplica(): Promise<ReplicaStatus>;

  /**
   * The most recent replication lag measurement in seconds, taken while replication was still
   * measurable (e.g. the monitor's last `ReplicationLagSeconds` datum inside a short look-back).
   * Returns `undefined` when there is no recent measurement (the core treats that as over budget).
   * `evidence`: what the caller knows of the primary's end (its own first failed probe, the expiry of the primary's
   * write lease), which can widen the window of commits at risk (`lagAtPrimaryFailure`).
   * THROWS only if the source of measurements itself fails.
   */
  replicationLagSeconds(evidence?: PrimaryEndEvidence): Promise<number | undefined>;

  /**
   * The same estimate with how it was obtained (`basis`), when the source can say: the orchestrator tells an operator
   * why the lag is unknown (for example a primary that committed after its lease expired) instead of only that it is.
   */
  replicationLagEstimate?(evidence?: PrimaryEndEvidence): Promise<LagAtPrimaryFailure>;

  /**
   * Starts promoting the DR database to a standalone writer (RDS keeps automated backups, so it has
   * PITR once promoted). Returns once the promotion is accepted, not when it is finished (the core
   * polls `describeReplica`). If the database is already promoting or promoted, resolves without
   * acting. THROWS if the request is rejected for any other reason.
   */
  promoteReplica(): Promise<void>;

  /**
   * Fences the OLD primary so it cannot take writes again without an operator: isolate it
   * (deny-all security group with immediate effect) and, where possible, stop it. Idempotent.
   * A refused stop is not an error (reported in `detail`) as long as isolation succeeded.
   * THROWS if the primary's control plane does not answer or isolation is refused.
   */
  fencePrimary(): Promise<FenceOutcome>;

  /**
   * Planned switchover, data plane only: makes every new transaction on the OLD primary read-only, terminates
   * every other client session (so pooled connections cannot keep writing), VERIFIES both from a new session,
   * then reads the WAL flush position. THROWS if the primary cannot be reached or the fence is not verified.
   */
  freezePrimary(): Promise<FrozenPrimary>;

  /** Undoes `freezePrimary` (a switchover abandoned before any promotion request). THROWS on failure. */
  thawPrimary(): Promise<void>;

  /** `pg_last_wal_replay_lsn()` of the DR database; `undefined` once it is no longer in recovery. THROWS if unreachable. */
  replicaReplayLsn(): Promise<string | undefined>;

  /** The promoted database, asked directly: out of recovery and a test write commits. THROWS if unreachable. */
  verifyWriter(): Promise<WriterCheck>;
}

export interface Dns {
  /**
   * Data-plane failover signal: from now on the writer name must resolve to the DR database without
   * any call to the DNS control plane (AWS: `FailedOver=1` in the DR region, which keeps the PRIMARY
   * record's alarm health check unhealthy). THROWS if the signal could not be published.
   */
  publishFailoverSignal(): Promise<void>;

  /**
   * Withdraws the data-plane signal (a failover abandoned before any promotion request): the writer name
   * resolves to the primary again. THROWS if the signal could not be withdrawn.
   */
  withdrawFailoverSignal(): Promise<void>;

  /**
   * Sticky control-plane change: the PRIMARY writer record itself points at the DR database, so the
   * name never fails back to the old primary, even if the signal stops. Idempotent. THROWS if the
   * DNS control plane does not answer or rejects the change.
   */
  pinWriterToDr(): Promise<void>;

  /** Current target of the PRIMARY writer record, `undefined` if the record is missing. THROWS if the control plane fails. */
  currentWriterTarget(): Promise<string | undefined>;

  /**
   * Direction-agnostic move, for a pair other than the configured one (a fail-back toward a re-protected replica, or
   * its undo): from now on the writer name resolves to `member`. AWS: toward the configured DR database it is the
   * failed-over signal alone; toward any other database the PRIMARY record is pointed at it and the signal withdrawn.
   * Idempotent. THROWS if the change could not be made. Optional: an adapter without it cannot serve such a pair.
   */
  moveWriterTo?(member: DatabaseMember): Promise<void>;

  /** Sticky control-plane change for such a pair: the PRIMARY writer record points at `member`. Idempotent. THROWS on failure. */
  pinWriterTo?(member: DatabaseMember): Promise<void>;
}

/**
 * The estate's databases by role. The configured pair is what the infrastructure deployed; `control` binds the
 * `DatabaseControl` methods to any other pair: their "primary" is `pair.writer` (probed, frozen, fenced) and their
 * "replica" `pair.replica` (described, caught up, promoted, checked as the new writer).
 */
export interface DatabaseFleet {
  readonly configured: DatabasePair;
  /** THROWS if this deployment cannot reach one of the two (e.g. a region it has no settings for). */
  control(pair: DatabasePair): DatabaseControl;
}

/** A re-protection replica as its region's control plane reports it. */
export interface ReplicaTargetStatus {
  /** Raw status (`creating`, `available`, `stopped`, ...). */
  readonly status: string;
  readonly available: boolean;
  /**
   * The database it replicates from, as reported (AWS: `ReadReplicaSourceDBInstanceIdentifier`, an ARN for a
   * cross-region replica, read back as region + identifier); `undefined` when it is not a replica. `unknown` holds a
   * source the adapter could not place in either region of the estate.
   */
  readonly source?: DatabaseMember | { readonly unknown: string };
  /** Replication health as reported (AWS `StatusInfos` "read replication": `replicating`, `error`, ...). */
  readonly replicationState?: string;
}

/** Cross-region replication of the writer's automated backups, toward one region. */
export interface BackupReplicationStatus {
  /** `replicating`: backups and transaction logs are being copied; `pending`: requested, not copying yet. */
  readonly state: 'pending' | 'replicating';
  readonly detail: string;
}

/** Thrown when a re-protection's target identifier is taken by a database that does not replicate from the writer. */
export class ReplicaTargetConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicaTargetConflictError';
  }
}

/**
 * Creates the replica that re-protects a writer after a failover, in the other region (AWS: RDS
 * CreateDBInstanceReadReplica in the target region; locally: a base backup of the writer into a new server).
 */
export interface ReplicaProvisioning {
  /**
   * The replica a re-protection of `writer` creates: the configured database of the other region (the core refuses
   * any other); `undefined` when this deployment has no settings to create one there.
   */
  targetFor(writer: DatabaseMember): DatabaseMember | undefined;
  /** `undefined` when no database has `target`'s identifier in its region. THROWS if that control plane does not answer. */
  describeTarget(target: DatabaseMember): Promise<ReplicaTargetStatus | undefined>;
  /**
   * Requests a new replica of `writer` named `target`, in `target`'s region. Returns once the request is accepted.
   * An identifier already taken by a replica of `writer` is not an error (adopted); taken by anything else it THROWS
   * `ReplicaTargetConflictError`. Other refusals THROW as they are.
   */
  createReplica(writer: DatabaseMember, target: DatabaseMember): Promise<void>;
  /** Replication of `writer`'s automated backups into `destination`; `undefined` when not enabled. THROWS if unknown. */
  backupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus | undefined>;
  /** Starts that replication. THROWS if refused. */
  startBackupReplication(writer: DatabaseMember, destination: RegionSide): Promise<BackupReplicationStatus>;
  /**
   * Frees `oldWriter`'s identifier for its successor: the database a failover or switchover replaced keeps the
   * configured name of its region until it is isolated from every client and renamed to `retiredId` (AWS: its fence
   * security group only, then ModifyDBInstance `NewDBInstanceIdentifier`). One call advances by one step and says
   * where it stands; `done` once `retiredId` exists and nothing answers to the old identifier. Never deletes anything.
   * THROWS `ReplicaTargetConflictError` when it cannot be done safely (for example a stopped database outside its fence,
   * which would have to start reachable); other refusals THROW as they are.
   */
  retireOldWriter(oldWriter: DatabaseMember, retiredId: string): Promise<RetirementProgress>;
}

/** Where the renaming of an old writer stands (`ReplicaProvisioning.retireOldWriter`). */
export interface RetirementProgress {
  readonly done: boolean;
  readonly detail: string;
}

export interface Alerts {
  /** Sends a human-readable notification. THROWS on failure (the core logs it and carries on). */
  notify(subject: string, message: string): Promise<void>;
}

export type MetricUnit = 'Seconds' | 'Milliseconds' | 'Count';

export interface MetricDatum {
  /** Only names of metric-names.ts: the alarms and the dashboard read those (test/contract/metric-names.test.ts). */
  readonly name: MetricName;
  readonly value: number;
  readonly unit: MetricUnit;
  /** Extra dimensions; the adapter always adds the environment's own dimension. */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** When the measured event happened, when that matters more than when it is published (default: publication). */
  readonly at?: Date;
}

export interface Metrics {
  /** Publishes the data (one call where the backend allows). THROWS on failure. */
  record(data: readonly MetricDatum[]): Promise<void>;
}

/** Progress of one failover step, persisted after every step. */
export type StepStatus = 'pending' | 'done' | 'failed';

export interface StepRecord {
  readonly status: StepStatus;
  readonly attempts: number;
  /** Seconds spent in this step, summed over all runs that worked on it. */
  readonly seconds: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly detail?: string;
  readonly error?: string;
}

/**
 * `in_progress`: a trigger is recorded and either its decision is still waiting (`phase: 'deciding'`) or some
 *   step is not done (`phase: 'acting'`); a live run holds the run lock, or the lock is free and the next
 *   trigger/resume continues; `completed`: every step done; `aborted`: closed before any promotion request
 *   (false alarm, cancel, abandoned switchover). A record with `promoteRequestedAt` is never `aborted`.
 */
export type FailoverStatus = 'in_progress' | 'completed' | 'aborted';

/** `reprotect`: a replica of the writer in the other region after a failover (no promotion, no DNS change). */
export type FailoverMode = 'failover' | 'switchover' | 'reprotect';

/** What was asked, kept so that a waiting decision is re-evaluated with the same (or a newer operator's) intent. */
export interface RecordedRequest {
  /** `alarm:<name>` or `operator`. */
  readonly trigger: string;
  readonly reason: string;
  readonly force: boolean;
  readonly switchover: boolean;
  readonly confirmPrimaryDead: boolean;
}

export interface FailoverState {
  readonly runId: string;
  readonly status: FailoverStatus;
  /** `deciding` until the decision to act was taken (and the steps below exist), then `acting`. */
  readonly phase: 'deciding' | 'acting';
  readonly mode: FailoverMode;
  readonly request: RecordedRequest;
  /** What started the failover: `alarm:<name>` or `operator`. */
  readonly trigger: string;
  readonly reason: string;
  readonly force: boolean;
  /** ISO time the trigger was recorded (the measured timeline starts here). */
  readonly startedAt: string;
  readonly completedAt?: string;
  /** ISO time the DR database was verified writable with the writer name already on it (RTO end). */
  readonly recoveredAt?: string;
  /** Set once the data-plane DNS signal says "failed over" (the monitor re-publishes `FailedOver` from it). */
  readonly failedOver: boolean;
  /** The run lock: which run acts and until when (epoch ms). A lock in the past is free. */
  readonly leaseOwner: string;
  readonly leaseExpiresAt: number;
  /** Optimistic-concurrency counter, incremented by every successful `save`. */
  readonly version: number;
  /** Lag estimate at the first decision that had one (kept: a late retry must not see "unknown" from age alone). */
  readonly lagSecondsAtDecision?: number;
  /**
   * The primary's lease expiry that estimate assumed (epoch ms): a primary that renewed its lease afterwards may
   * have committed that much longer, so a later fallback to the estimate adds the difference.
   */
  readonly lagEstimateLeaseExpiresAt?: number;
  /** How many times the decision was evaluated, and why it last waited. */
  readonly decisionAttempts: number;
  readonly lastDecision?: string;
  /** Epoch of the write lease this failover took (the DR side holds it from then on). */
  readonly writeLeaseEpoch?: number;
  /** Switchover: the old primary's WAL flush position after its verified freeze. */
  readonly frozenAtLsn?: string;
  /** Written BEFORE the first promotion request (write-ahead intent): from then on the failover never aborts. */
  readonly promoteRequestedAt?: string;
  readonly promoteRequests?: number;
  /** Subjects of the alerts already sent about lasting situations (they are not sent again). */
  readonly sentAlerts?: readonly string[];
  readonly steps: Readonly<Record<string, StepRecord>>;
  /**
   * Failover/switchover: the pair it acts on when that is not the configured one (a fail-back from the promoted DR
   * database toward its re-protection replica). Absent: the configured pair.
   */
  readonly pair?: DatabasePair;
  /** Re-protection: what it protects and with what. */
  readonly reprotect?: ReprotectionRecord;
  /** Written before the writer name is moved on a pair other than the configured one: the move an undo reverts. */
  readonly writerNameMovedTo?: DatabaseMember;
  /** The runId of the COMPLETED record this one replaced (the store's condition for replacing a completed record). */
  readonly follows?: string;
  /** Earlier records this one replaced, oldest first (bounded). */
  readonly history?: readonly OperationSummary[];
}

export interface ReprotectionRecord {
  /** The writer it protects (it held the write lease when the re-protection started). */
  readonly writer: DatabaseMember;
  /**
   * The replica it creates (or adopts) in the other region: always the configured database of that region, so that
   * after a fail-back and the re-protection back the estate runs on exactly the instances its templates name.
   */
  readonly target: DatabaseMember;
  /**
   * The identifier the old writer that held `target`'s name is renamed to, chosen (and saved) before the first rename
   * request so that a resumed run finishes the same rename.
   */
  readonly retiredAs?: string;
  /** Written before the first creation request (write-ahead intent). */
  readonly createRequestedAt?: string;
  /** The target existed already as a replica of the writer and was adopted. */
  readonly adopted?: boolean;
  /** Set once the replica was seen available and replicating from the writer, with backups replicated. */
  readonly protectedAt?: string;
}

/** One earlier record, as the record that replaced it remembers it. */
export interface OperationSummary {
  readonly runId: string;
  readonly mode: FailoverMode;
  readonly status: FailoverStatus;
  readonly trigger: string;
  readonly startedAt: string;
  readonly completedAt?: string;
  /** The estate's roles once that record ended, in words. */
  readonly roles: string;
}

export type AcquireResult =
  | { readonly acquired: true; readonly state: FailoverState; readonly resumed: boolean }
  | { readonly acquired: false; readonly state: FailoverState };

export interface FailoverStateStore {
  /**
   * Atomically takes the single failover lock:
   * - no record, or an `aborted` one → stores `initial` (acquired, `resumed: false`);
   * - a `completed` record whose `runId` is `initial.follows` (an operator's next step after it: re-protection,
   *   fail-back) → stores `initial` (acquired, `resumed: false`);
   * - an `in_progress` record whose lease expired (`leaseExpiresAt <= now`) → sets `leaseOwner`/
   *   `leaseExpiresAt` to `initial`'s, keeps all progress (acquired, `resumed: true`);
   * - otherwise (lease held, or `completed` and not followed) → not acquired, returns the existing record.
   * Two concurrent callers never both acquire. THROWS if the store does not answer.
   */
  acquire(initial: FailoverState, now: number): Promise<AcquireResult>;

  /** The current record, `undefined` if none. THROWS if the store does not answer. */
  read(): Promise<FailoverState | undefined>;

  /**
   * Persists `state` only if the stored record still has `state.version` and `state.leaseOwner`;
   * returns it with `version + 1`. THROWS `LeaseLostError` if the condition fails, other errors if
   * the store does not answer.
   */
  save(state: FailoverState): Promise<FailoverState>;
}

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Structured logs: a short stable message plus fields. Never throws. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
