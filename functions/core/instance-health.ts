/**
 * One meaning for "is the database there?", used by the monitor, the orchestrator and the drills.
 *
 * Two independent kinds of evidence, never mixed:
 * - data plane: did the server answer a connection? A server that refused us with its own SQLSTATE (too many
 *   connections 53300, starting up 57P03, authentication 28P01 …) is ALIVE: it may still take writes from others.
 *   Only connection-level failures (timeout, refused, reset, TLS, DNS) count as "not reachable".
 * - control plane: what RDS reports. Routine states (maintenance, backups, modifications, storage optimization
 *   that can last a day) mean the instance serves queries; only failed states are evidence of an outage; an API
 *   that does not answer is no evidence about the database at all.
 *
 * RDS status values and their meaning: "Viewing Amazon RDS DB instance status",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
 * (storage-optimization: "the instance is operational … your application availability isn't affected",
 * https://repost.aws/knowledge-center/rds-stuck-in-storage-optimization).
 */

/** A PostgreSQL error code (SQLSTATE, 5 characters) at the start of an error text: the server itself answered. */
const SERVER_ANSWERED = /^[0-9A-Z]{5}: /;

/** SQLSTATE class 28 (invalid authorization): the password was rotated under us. */
const AUTHENTICATION_FAILED = /^28(000|P01): /;

export interface ProbeOutcome {
  readonly reachable: boolean;
  readonly error?: string;
}

/** The data-plane verdict: reachable, or failed with the server's own SQLSTATE (alive). */
export function serverAnswered(probe: ProbeOutcome): boolean {
  return probe.reachable || (probe.error !== undefined && SERVER_ANSWERED.test(probe.error));
}

/** The probe failed because our credentials are stale (the secret rotated): re-read them and probe again. */
export function isAuthenticationFailure(probe: ProbeOutcome): boolean {
  return !probe.reachable && probe.error !== undefined && AUTHENTICATION_FAILED.test(probe.error);
}

/** How the control plane's status reads for failover decisions. */
export type ControlPlaneHealth =
  /** `available`. */
  | 'available'
  /** A routine, serving state: never a failure signal, and the writer name stays where it is. */
  | 'routine'
  /** The instance cannot serve (failed, storage-full, stopped, inaccessible key, …): evidence of an outage. */
  | 'failed'
  /** The API did not answer or timed out: no evidence either way. */
  | 'unknown';

/** States in which RDS documents the instance as operating (billed, serving) while work happens on it. */
const ROUTINE_STATES: ReadonlySet<string> = new Set([
  'backing-up',
  'configuring-activity-stream',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'maintenance',
  'modifying',
  'moving-to-vpc',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'storage-config-upgrade',
  'storage-initialization',
  'storage-optimization',
  'upgrading',
]);

/** States in which the instance does not serve and will not by itself. */
const FAILED_STATES: ReadonlySet<string> = new Set([
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-parameters',
  'incompatible-restore',
  'insufficient-capacity',
  'restore-error',
  'stopped',
  'stopping',
  'storage-full',
]);

/**
 * Classifies an RDS status. A status this list does not know is treated as routine: an unknown word from the
 * API is not evidence that the database is down (the data-plane probe decides).
 */
export function classifyInstanceStatus(status: string | undefined): ControlPlaneHealth {
  if (status === undefined) return 'unknown';
  if (status === 'available') return 'available';
  if (FAILED_STATES.has(status)) return 'failed';
  if (ROUTINE_STATES.has(status)) return 'routine';
  return 'routine';
}

/** The instance serves queries per its control plane (available or a routine state). */
export function servesPerControlPlane(health: ControlPlaneHealth): boolean {
  return health === 'available' || health === 'routine';
}
