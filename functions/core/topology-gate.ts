/**
 * The pipeline's topology gate: a deployment may only describe the estate as it is. The configuration says where the
 * writer is (`writerRegion`); RDS says which instance is a read replica of which. When they disagree, deploying would
 * undo or fake a recovery:
 * - the estate failed over (the DR instance is standalone) but the configuration still says `primary`: the templates
 *   describe the writer name on the old primary, and any change to the writer records would re-send them with its endpoint;
 * - the configuration says `dr` but the DR instance is still a replica: the templates would point the writer name at a
 *   replica that refuses writes while the primary still takes them — an outage nobody decided.
 * The estate only ever runs on the two configured instance names: a re-protection renames the old writer away and
 * creates the new replica under the configured name of its region. So between a failover or fail-back and the
 * re-protection that follows it, both instances are standalone; the writer is then the younger one: a replica is
 * always created from the writer of its time, and promotion keeps its creation time (`InstanceCreateTime`,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html).
 * Pure: the caller reads RDS (DescribeDBInstances) and passes what it saw.
 */

/** Where the writer is: `primary` as built (and after a fail-back), `dr` after a regional failover promoted the DR replica. */
export type WriterRegion = 'primary' | 'dr';
export const WRITER_REGIONS: readonly WriterRegion[] = ['primary', 'dr'];

/** One instance as RDS reports it: absent, or its source when it is a read replica. */
export type ObservedInstance =
  | { readonly exists: false }
  | { readonly exists: true; readonly status: string; readonly replicaOf?: string; /** `InstanceCreateTime`, ISO 8601. */ readonly createdAt?: string };

export interface ObservedTopology {
  readonly primary: ObservedInstance;
  readonly dr: ObservedInstance;
}

export interface TopologyGateInput {
  readonly expected: WriterRegion;
  readonly observed: ObservedTopology;
  /** Identifiers and regions, for the messages and to recognise a replica's source (an id or an ARN). */
  readonly primaryInstanceId: string;
  readonly drInstanceId: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
}

export interface TopologyGateVerdict {
  readonly allow: boolean;
  /** Where the writer is according to RDS (`unknown` when RDS does not say which instance writes). */
  readonly observedWriter: WriterRegion | 'none' | 'unknown';
  readonly message: string;
}

const RUNBOOK = 'docs/runbooks/reprotect-and-failback.md';

export function topologyGateVerdict(input: TopologyGateInput): TopologyGateVerdict {
  const { expected, observed, primaryInstanceId, drInstanceId, primaryRegion, drRegion } = input;
  const describe = (name: string, instance: ObservedInstance) => (!instance.exists ? `${name} does not exist`
    : `${name} is ${instance.replicaOf ? `a read replica of ${instance.replicaOf}` : 'a standalone writer'} (status ${instance.status}${instance.createdAt ? `, created ${instance.createdAt}` : ''})`);
  const seen = `RDS reports: ${describe(`${primaryInstanceId} (${primaryRegion})`, observed.primary)}; ${describe(`${drInstanceId} (${drRegion})`, observed.dr)}.`;

  if (!observed.primary.exists && !observed.dr.exists) {
    return expected === 'primary'
      ? { allow: true, observedWriter: 'none', message: `First deployment: neither database exists yet. ${seen}` }
      : { allow: false, observedWriter: 'none', message: `Refused: writerRegion is "dr" but no database exists; a new estate starts with writerRegion "primary". ${seen}` };
  }
  const writer = writerOf(observed, primaryInstanceId, drInstanceId);
  if (writer === 'unknown') {
    return {
      allow: false, observedWriter: 'unknown',
      message: `Refused: the databases are in a state no configuration describes (for example during a promotion, or two standalone instances whose `
        + `creation times RDS did not report). Wait for the orchestrator's run to finish and check it with its "status" action; see ${RUNBOOK}. ${seen}`,
    };
  }
  if (writer === expected) {
    const protection = writer === 'dr'
      ? (isReplicaOf(observed.primary, drInstanceId) ? `, protected by ${primaryInstanceId} (re-protected)` : ', unprotected until a re-protection')
      : (isReplicaOf(observed.dr, primaryInstanceId) ? '' : isStandalone(observed.dr) ? `, unprotected until the re-protection back (${drInstanceId} is the old writer the fail-back fenced)` : '');
    return { allow: true, observedWriter: writer, message: `The writer is in ${writer === 'dr' ? drRegion : primaryRegion}${protection}, and the configuration says so. ${seen}` };
  }
  if (writer === 'dr') {
    return {
      allow: false, observedWriter: 'dr',
      message: `Refused: the estate has failed over — ${drInstanceId} in ${drRegion} is the writer — but the configuration says writerRegion "primary". ` +
        `Its templates point the writer name at ${primaryInstanceId}: any change to the writer records would move the name back there. ` +
        `Set the context value writerRegion to "dr" (cdk.json "context", or -c writerRegion=dr in the pipeline's synth command), push, and follow ${RUNBOOK} to re-protect and fail back. ${seen}`,
    };
  }
  const failedBack = isStandalone(observed.dr);
  return {
    allow: false, observedWriter: 'primary',
    message: failedBack
      ? `Refused: the estate failed back — ${primaryInstanceId} in ${primaryRegion} is the writer again (created after ${drInstanceId}, the old writer) — but the configuration says `
        + `writerRegion "dr". Set writerRegion back to "primary" (${RUNBOOK}, "After the fail-back"). ${seen}`
      : `Refused: the configuration says writerRegion "dr" but ${drInstanceId} is ${observed.dr.exists ? 'still a read replica' : 'missing'} and ${primaryInstanceId} is the writer. ` +
        `Deploying it would point the writer name at a replica that refuses writes while ${primaryInstanceId} still takes them (an outage). ` +
        `Fail over with the orchestrator (${RUNBOOK}), or set writerRegion back to "primary". ${seen}`,
  };
}

/**
 * Which instance writes: the standalone one whose partner is its replica or missing; of two standalone instances, the
 * younger (the last one promoted). `unknown` for anything else (both replicas, a replica of a third database, a
 * standalone pair without creation times).
 */
function writerOf(observed: ObservedTopology, primaryInstanceId: string, drInstanceId: string): WriterRegion | 'unknown' {
  const { primary, dr } = observed;
  if (isStandalone(primary) && isStandalone(dr)) {
    const primaryCreated = primary.exists ? Date.parse(primary.createdAt ?? '') : NaN;
    const drCreated = dr.exists ? Date.parse(dr.createdAt ?? '') : NaN;
    if (Number.isNaN(primaryCreated) || Number.isNaN(drCreated) || primaryCreated === drCreated) return 'unknown';
    return primaryCreated > drCreated ? 'primary' : 'dr';
  }
  if (isStandalone(dr) && (!primary.exists || isReplicaOf(primary, drInstanceId))) return 'dr';
  if (isStandalone(primary) && (!dr.exists || isReplicaOf(dr, primaryInstanceId))) return 'primary';
  return 'unknown';
}

function isReplicaOf(instance: ObservedInstance, sourceId: string): boolean {
  return instance.exists && instance.replicaOf !== undefined && sourceOf(instance.replicaOf) === sourceId;
}

function isStandalone(instance: ObservedInstance): boolean {
  return instance.exists && instance.replicaOf === undefined;
}

/** `arn:aws:rds:<region>:<account>:db:<id>` or `<id>` → `<id>` (RDS reports a cross-region source by ARN). */
function sourceOf(replicaOf: string): string {
  return replicaOf.startsWith('arn:') ? replicaOf.slice(replicaOf.lastIndexOf(':') + 1) : replicaOf;
}
