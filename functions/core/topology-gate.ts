/**
 * The pipeline's topology gate: a deployment may only describe the estate as it is. The configuration says where the
 * writer is (`writerRegion`); RDS says which instance is a read replica of which. When they disagree, deploying would
 * undo or fake a recovery:
 * - the estate failed over (the DR instance is standalone) but the configuration still says `primary`: the templates
 *   describe the writer name on the old primary, and any change to the writer records re-sends them with its endpoint;
 * - the configuration says `dr` but the DR instance is still a replica: the templates would point the writer name at a
 *   replica that refuses writes while the primary still takes them — an outage nobody decided.
 * Pure: the caller reads RDS (DescribeDBInstances) and passes what it saw.
 */

/** Where the writer is: `primary` as built, `dr` after a regional failover promoted the DR replica. */
export type WriterRegion = 'primary' | 'dr';
export const WRITER_REGIONS: readonly WriterRegion[] = ['primary', 'dr'];

/** One instance as RDS reports it: absent, or its source when it is a read replica. */
export type ObservedInstance =
  | { readonly exists: false }
  | { readonly exists: true; readonly status: string; readonly replicaOf?: string };

export interface ObservedTopology {
  readonly primary: ObservedInstance;
  readonly dr: ObservedInstance;
  /** The replica a re-protection creates in the primary region (absent until an operator re-protects). */
  readonly reprotect: ObservedInstance;
}

export interface TopologyGateInput {
  readonly expected: WriterRegion;
  readonly observed: ObservedTopology;
  /** Identifiers and regions, for the messages and to recognise a replica's source (an id or an ARN). */
  readonly primaryInstanceId: string;
  readonly drInstanceId: string;
  readonly reprotectInstanceId: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
}

export interface TopologyGateVerdict {
  readonly allow: boolean;
  /** Where the writer is according to RDS (`unknown` when neither instance can be the writer). */
  readonly observedWriter: WriterRegion | 'none' | 'unknown' | 'failed-back';
  readonly message: string;
}

const RUNBOOK = 'docs/runbooks/reprotect-and-failback.md';

export function topologyGateVerdict(input: TopologyGateInput): TopologyGateVerdict {
  const { expected, observed, primaryInstanceId, drInstanceId, reprotectInstanceId, primaryRegion, drRegion } = input;
  const describe = (name: string, instance: ObservedInstance) => (!instance.exists ? `${name} does not exist`
    : instance.replicaOf ? `${name} is a read replica of ${instance.replicaOf} (status ${instance.status})` : `${name} is a standalone writer (status ${instance.status})`);
  const seen = `RDS reports: ${describe(`${primaryInstanceId} (${primaryRegion})`, observed.primary)}; ${describe(`${drInstanceId} (${drRegion})`, observed.dr)}` +
    `${observed.reprotect.exists ? `; ${describe(`${reprotectInstanceId} (${primaryRegion})`, observed.reprotect)}` : ''}.`;
  const isReplicaOf = (instance: ObservedInstance, sourceId: string) => instance.exists && instance.replicaOf !== undefined && sourceOf(instance.replicaOf) === sourceId;
  const isStandalone = (instance: ObservedInstance) => instance.exists && instance.replicaOf === undefined;

  if (observed.reprotect.exists) {
    // Re-protected (a replica of the DR writer in the primary region): still the failed-over estate, which writerRegion
    // "dr" describes; the templates do not name the new replica, so deploying them leaves it alone.
    if (isReplicaOf(observed.reprotect, drInstanceId) && isStandalone(observed.dr)) {
      if (expected === 'dr') return { allow: true, observedWriter: 'dr', message: `The writer is in ${drRegion}, protected by ${reprotectInstanceId}; the configuration says writerRegion "dr". ${seen}` };
    } else if (isStandalone(observed.reprotect)) {
      return {
        allow: false, observedWriter: 'failed-back',
        message: `Refused: the estate failed back — ${reprotectInstanceId} in ${primaryRegion} is the writer — and no writerRegion of this version describes it ` +
          `(its templates name ${primaryInstanceId} and ${drInstanceId}; deploying either topology would move the writer name away from the writer). ` +
          `Reconcile the estate first (${RUNBOOK}, "After the fail-back"). ${seen}`,
      };
    }
  }
  if (!observed.primary.exists && !observed.dr.exists) {
    return expected === 'primary'
      ? { allow: true, observedWriter: 'none', message: `First deployment: neither database exists yet. ${seen}` }
      : { allow: false, observedWriter: 'none', message: `Refused: writerRegion is "dr" but no database exists; a new estate starts with writerRegion "primary". ${seen}` };
  }
  if (isStandalone(observed.dr)) {
    if (expected === 'dr') return { allow: true, observedWriter: 'dr', message: `The writer is in ${drRegion} and the configuration says so. ${seen}` };
    return {
      allow: false, observedWriter: 'dr',
      message: `Refused: the estate has failed over — ${drInstanceId} in ${drRegion} is the writer — but the configuration says writerRegion "primary". ` +
        `Its templates point the writer name at ${primaryInstanceId}: any change to the writer records would move the name back there. ` +
        `Set the context value writerRegion to "dr" (cdk.json "context", or -c writerRegion=dr in the pipeline's synth command), push, and follow ${RUNBOOK} to re-protect and fail back. ${seen}`,
    };
  }
  if (isReplicaOf(observed.dr, primaryInstanceId) || (!observed.dr.exists && isStandalone(observed.primary))) {
    if (expected === 'primary') return { allow: true, observedWriter: 'primary', message: `The writer is in ${primaryRegion} and the configuration says so. ${seen}` };
    return {
      allow: false, observedWriter: 'primary',
      message: `Refused: the configuration says writerRegion "dr" but ${drInstanceId} is ${observed.dr.exists ? 'still a read replica' : 'missing'} and ${primaryInstanceId} is the writer. ` +
        `Deploying it would point the writer name at a replica that refuses writes while ${primaryInstanceId} still takes them (an outage). ` +
        `Fail over with the orchestrator (${RUNBOOK}), or set writerRegion back to "primary". ${seen}`,
    };
  }
  return {
    allow: false, observedWriter: 'unknown',
    message: `Refused: the databases are in a state no configuration describes (for example during a promotion, or after a re-protection ` +
      `this version cannot synthesize). Wait for the orchestrator's run to finish and check it with its "status" action; see ${RUNBOOK}. ${seen}`,
  };
}

/** `arn:aws:rds:<region>:<account>:db:<id>` or `<id>` → `<id>` (RDS reports a cross-region source by ARN). */
function sourceOf(replicaOf: string): string {
  return replicaOf.startsWith('arn:') ? replicaOf.slice(replicaOf.lastIndexOf(':') + 1) : replicaOf;
}
