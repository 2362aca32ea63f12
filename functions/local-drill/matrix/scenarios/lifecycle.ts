/**
 * The whole life of a regional failover, under concurrent client load (issue 11, item 9):
 *
 * 1. the primary region is lost (primary SIGKILLed with its keeper, quorum links, API and paths): the composite alarm
 *    fires and the orchestrator fails over automatically once the primary's lease ran out;
 * 2. the primary region comes back WITHOUT its database (the old primary stays down): its API answers again, so the
 *    failover's fence completes and the record is `completed`;
 * 3. an operator re-protects: the orchestrator renames the fenced old primary away (`primary-retired-<minute>`) and
 *    creates a new server under the name `primary` in the primary region, a base backup of the DR writer streaming from
 *    it, and replicates the writer's backups there (base backup + WAL archive);
 * 4. an operator fails back: the same zero-loss planned switchover, on the pair the re-protection left (the DR writer is
 *    frozen, the new `primary` catches up, the writer name moves, it is promoted, the DR database is fenced);
 * 5. an operator re-protects back: the fenced old DR writer is renamed away and a new server under the name `replica`
 *    streams from the primary: the configured pair again, on new servers, which the drills may rehearse again;
 * 6. re-armed: the primary region is lost again (the new primary SIGKILLed with its keeper, links and API) and the
 *    composite alarm fails the configured pair over automatically, as on the first day.
 *
 * The verdict is computed from the client history and the databases: one writer at any time (four tenures: the
 * original primary, the DR database, the new primary, the new DR database), each crash's loss bounded by what its
 * replica lacked, no acknowledged write lost in the planned switch back, exactly three promotions (the timeline history
 * files), and at each phase the topology gate allowing only the configuration that describes it.
 */
import type { Client } from 'pg';
import { readFailoverStatus, type FailoverResult } from '../../../core/failover-orchestrator';
import type { FailoverState } from '../../../core/ports';
import { describeMember, sameMember, whyNotOnConfiguredPair, type DatabaseMember } from '../../../core/estate-roles';
import type { NodeHandle } from '../../../adapters/local/postgres-cluster';
import { formatSeconds } from '../../../core/format-seconds';
import { MonitorMetric } from '../../../core/metric-names';
import { systemClock } from '../../../core/system-clock';
import { formatTimeline } from '../../../core/timeline';
import { topologyGateVerdict, type WriterRegion } from '../../../core/topology-gate';
import { readWrittenIds, serverIdentity } from '../../client-load';
import { LOCAL_MEMBERS, type LocalEstate } from '../../estate';
import type { CheckResult } from '../../history/checks';
import {
  acksBy, check, FAILOVER_WAIT_MS, losePrimaryRegion, newWriterAck, promotionsRecorded, replicaIdsOnceReplayed, waitFor,
  type Scenario, type ScenarioFacts,
} from '../scenario';

/** Each phase's wait (the local estate fails over, re-protects and switches back in seconds). */
const PHASE_WAIT_MS = 30_000;

export const lifecycle: Scenario = {
  name: 'lifecycle',
  expected: 'primary crash → automatic failover → re-protect (old primary renamed away, a new replica under its name) → zero-loss switch back '
    + 'under load → re-protect back: the configured pair again, on new servers → a second crash fails it over automatically; exactly 3 promotions',
  failoverExpected: true,
  // The writer's WAL archive in the other region needs archive_mode, which only a restart changes: on from the start
  // (archive_command /bin/true until the re-protection points it at the primary region's backup directory).
  estate: { clusterSettings: { archive_mode: 'on', archive_command: '/bin/true' } },
  async run(estate, progress) {
    const checks: CheckResult[] = [];
    const notes: string[] = [];
    const stopped = (reason: string, faultAt: number, replicaIds?: ReadonlySet<string>): ScenarioFacts => {
      checks.push(check('lifecycle reached its end', false, reason));
      return { faultAt, checks, notes, ...(replicaIds ? { replicaIdsWhenPrimaryStopped: replicaIds } : {}) };
    };

    // The pipeline's topology gate at every phase, on the servers as they are: it must let through only the
    // configuration that describes the estate (issue 11: the pipeline cannot be used to skip a step).
    const gate = async (phase: string, allowed: WriterRegion | 'none', refusalMentions?: RegExp) => {
      // One observation, both configurations judged on it (as two pipeline runs would see the same estate).
      const observed = await estate.observedTopology();
      const [primary, dr] = (['primary', 'dr'] as const).map((expected) => topologyGateVerdict({
        expected, observed, primaryInstanceId: LOCAL_MEMBERS.primary.instanceId, drInstanceId: LOCAL_MEMBERS.replica.instanceId,
        primaryRegion: 'primary region', drRegion: 'DR region',
      }));
      const refused = allowed === 'primary' ? dr : primary;
      const ok = primary.allow === (allowed === 'primary') && dr.allow === (allowed === 'dr') && (!refusalMentions || refusalMentions.test(refused.message));
      checks.push(check(`topology gate ${phase}: ${allowed === 'none' ? 'refuses both topologies' : `allows only writerRegion "${allowed}"`}`, ok,
        `primary: ${primary.allow ? 'allowed' : 'refused'}; dr: ${dr.allow ? 'allowed' : 'refused'} — ${refused.message.split('. RDS reports')[0]}`));
    };
    await gate('as built', 'primary', /still a read replica/);

    // 1. Crash → automatic failover.
    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT: primary region lost (primary SIGKILLed, keeper dead, quorum links and API silent)');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    const failoverAck = await newWriterAck(estate, faultAt);
    if (!failoverAck) return stopped('no client saw the DR writer acknowledge a write after the crash', faultAt, replicaIds);
    notes.push(`failover: first write acknowledged by the DR writer ${formatSeconds((failoverAck.completedAt - faultAt) / 1000)} after the crash`);

    // 2. The primary region's API, quorum replica and lease keeper come back; its old database stays down (fenced on disk
    // by the resume). The keeper finds the lease with the DR side: it fences whatever answers to the primary's name, from
    // now on through the re-protection (the new replica under that name) until the fail-back hands the lease back.
    estate.primaryLease.setRemoteLinks('open');
    estate.controlPlane.answers = true;
    await estate.restartKeeper();
    progress('the primary region comes back without its database: API, lease replica and keeper back, old primary stays down');
    const failedOver = await recordIn(estate, (state) => state.mode === 'failover' && state.status === 'completed');
    if (!failedOver) return stopped(`the failover did not complete (record: ${await describeRecord(estate)})`, faultAt, replicaIds);
    checks.push(check('failover started by the alarm, completed', failedOver.trigger.startsWith('alarm:'), `failover ${failedOver.runId} (${failedOver.trigger}) completed at ${failedOver.completedAt}`));
    await gate('after the failover', 'dr', /Set the context value writerRegion to "dr"/);

    // 3. Operator: re-protect (the old primary renamed away, a new server under its name).
    const oldPrimaryNode = estate.cluster.primary;
    const reprotected = await reprotectAndCheck(estate, checks, notes, progress, {
      phase: 're-protected', reason: 'lifecycle drill: protect the promoted DR writer', writer: LOCAL_MEMBERS.replica, target: LOCAL_MEMBERS.primary,
    });
    if (typeof reprotected === 'string') return stopped(reprotected, faultAt, replicaIds);
    const newPrimary = reprotected;
    checks.push(check('the old primary is kept under a retired name, not deleted', estate.memberAt(oldPrimaryNode.port)?.instanceId.startsWith('primary-retired-') === true,
      `server ${oldPrimaryNode.name} answers to ${estate.memberAt(oldPrimaryNode.port)?.instanceId ?? 'nothing'}`));
    const newId = await newPrimary.session(serverIdentity);
    await gate('after the re-protection', 'dr');
    // The monitor follows the failover state: it now measures the DR writer and its new replica (on AWS the estate's
    // alarms return to OK and the synthetic drill becomes ready), not the dead old primary.
    const measured = await newPairMeasured(estate, Date.now());
    checks.push(check('the monitor measures the re-protected pair', measured !== undefined,
      measured ?? 'no monitor cycle saw the new replica reachable with a measured lag within the wait'));

    // 4. Operator: fail back, under load.
    const switchAt = Date.now();
    progress(`OPERATOR: switch back to the new ${LOCAL_MEMBERS.primary.instanceId} (planned, zero loss)`);
    const back = await estate.failover({ trigger: 'operator', reason: 'lifecycle drill: fail back to the primary region', switchover: true });
    notes.push(`switch back: ${back.outcome}\n${back.timeline ? formatTimeline(back.timeline) : ''}`);
    const backAck = await waitFor(() => acksBy(estate, newId, switchAt)[0], FAILOVER_WAIT_MS);
    if (!backAck) return stopped(`no client saw the new primary acknowledge a write after the switch back (${back.outcome}: ${back.message.split('\n')[0]})`, faultAt, replicaIds);
    notes.push(`switch back: first write acknowledged by the new primary ${formatSeconds((backAck.completedAt - switchAt) / 1000)} after the request`);
    checks.push(check('switch back started by the operator, completed', back.outcome === 'completed', `${back.outcome}: ${back.message.split('\n')[0]}`));

    // What the planned switch back may lose: nothing the DR writer acknowledged (its acks end at its freeze).
    const finalIds = await newPrimary.session((client: Client) => readWrittenIds(client));
    const drAcks = acksBy(estate, estate.ids.replica);
    const lostInSwitch = drAcks.filter((ack) => !finalIds.has(ack.id));
    checks.push(check('switch back lost no acknowledged write', lostInSwitch.length === 0,
      `${lostInSwitch.length} of the DR writer's ${drAcks.length} acknowledged writes missing on the new primary${lostInSwitch[0] ? `, e.g. ${lostInSwitch[0].id}` : ''}`));
    const [{ in_recovery: stillStandby }] = await newPrimary.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
    checks.push(check('the writer is back in the primary region, under the primary\'s name', !stillStandby && !estate.cluster.replica.isRunning(),
      `${LOCAL_MEMBERS.primary.instanceId} (server ${newPrimary.name}) ${stillStandby ? 'still a standby' : 'writes'}; the old DR writer ${estate.cluster.replica.isRunning() ? 'still runs' : 'is fenced and stopped'}`));
    // Both standalone now: the gate tells the new primary (created last) from the old DR writer.
    await gate('after the fail-back', 'primary', /the estate failed back/);

    // 5. Operator: re-protect back (the old DR writer renamed away, a new DR server under its name).
    const oldDrNode = estate.cluster.replica;
    const reprotectedBack = await reprotectAndCheck(estate, checks, notes, progress, {
      phase: 're-protected back', reason: 'lifecycle drill: protect the primary again', writer: LOCAL_MEMBERS.primary, target: LOCAL_MEMBERS.replica,
    });
    if (typeof reprotectedBack === 'string') return stopped(reprotectedBack, faultAt, replicaIds);
    checks.push(check('the old DR writer is kept under a retired name, not deleted', estate.memberAt(oldDrNode.port)?.instanceId.startsWith('replica-retired-') === true,
      `server ${oldDrNode.name} answers to ${estate.memberAt(oldDrNode.port)?.instanceId ?? 'nothing'}`));
    await gate('after the re-protection back (as built)', 'primary', /still a read replica/);
    const offPair = whyNotOnConfiguredPair(await estate.store.read());
    checks.push(check('the estate is on its configured pair again (the drills may rehearse it)', offPair === undefined, offPair ?? 'primary writes, replica replicates it'));
    const measuredBack = await newPairMeasured(estate, Date.now());
    checks.push(check('the monitor measures the configured pair on its new servers', measuredBack !== undefined,
      measuredBack ?? 'no monitor cycle saw both reachable with a measured lag within the wait'));

    // 6. Re-armed: the same crash again, on the new servers; nobody but the alarm acts.
    const keeperHolds = await waitFor(() => (estate.keeper.lastTick?.state === 'held' ? estate.keeper.lastTick.detail : undefined), PHASE_WAIT_MS, 50);
    checks.push(check('the primary region\'s keeper holds the lease again after the fail-back', keeperHolds !== undefined, keeperHolds ?? `keeper: ${estate.keeper.lastTick?.detail ?? 'no tick'}`));
    const newReplica = reprotectedBack;
    const newReplicaId = await newReplica.session(serverIdentity);
    const secondFaultAt = Date.now();
    estate.primaryLease.setRemoteLinks('blackhole');
    estate.controlPlane.answers = false;
    await estate.keeper.stop();
    await newPrimary.kill('SIGKILL');
    progress(`FAULT: the primary region lost again (${LOCAL_MEMBERS.primary.instanceId}, server ${newPrimary.name}, SIGKILLed; keeper dead, quorum links and API silent)`);
    const secondReplicaIds = await replicaIdsOnceReplayed(newReplica);
    const secondAck = await waitFor(() => acksBy(estate, newReplicaId, secondFaultAt)[0], FAILOVER_WAIT_MS);
    if (!secondAck) return stopped(`no client saw the new DR database acknowledge a write after the second crash (record: ${await describeRecord(estate)})`, faultAt, replicaIds);
    notes.push(`second failover: first write acknowledged by the new DR database ${formatSeconds((secondAck.completedAt - secondFaultAt) / 1000)} after the crash`);
    estate.primaryLease.setRemoteLinks('open');
    estate.controlPlane.answers = true;
    const second = await recordIn(estate, (state) => state.mode === 'failover' && state.status === 'completed' && Date.parse(state.startedAt) >= secondFaultAt);
    checks.push(check('re-armed: the alarm failed the configured pair over again, as on the first day', second !== undefined && second.trigger.startsWith('alarm:') && second.pair === undefined,
      second ? `failover ${second.runId} (${second.trigger}) of ${second.pair ? 'another pair' : 'the configured pair'} completed at ${second.completedAt}` : `record: ${await describeRecord(estate)}`));
    await gate('after the second failover', 'dr', /the estate has failed over/);

    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      laterCrashes: [{ writer: newId, replicaIds: secondReplicaIds }],
      checks,
      notes,
      writerChain: {
        writers: [estate.ids.primary, estate.ids.replica, newId, newReplicaId],
        finalWriter: newReplica,
        promotions: promotionsRecorded(estate.cluster.nodes),
        expectedPromotions: 3,
      },
    };
  },
};

/**
 * Re-protection by the operator, checked on the servers: the old writer under `target`'s name renamed away, a new
 * server under it streaming from the writer, the writer's backups replicated to that region. Returns the new server,
 * or why the lifecycle cannot go on.
 */
async function reprotectAndCheck(
  estate: LocalEstate, checks: CheckResult[], notes: string[], progress: (line: string) => void,
  step: { readonly phase: string; readonly reason: string; readonly writer: DatabaseMember; readonly target: DatabaseMember },
): Promise<NodeHandle | string> {
  const startedAt = Date.now();
  progress(`OPERATOR: re-protect ${describeMember(step.writer)} (${step.phase})`);
  const request = await estate.failover({ trigger: 'reprotect', reason: step.reason });
  notes.push(`reprotect request (${step.phase}): ${request.outcome}`);
  const record = await recordIn(estate, (state) => state.mode === 'reprotect' && sameMember(state.reprotect?.writer, step.writer) && state.status !== 'in_progress');
  if (record?.status !== 'completed') return `re-protection (${step.phase}) did not complete (${request.outcome}: ${request.message.split('\n')[0]})`;
  notes.push(`${step.phase} in ${formatSeconds((Date.parse(record.completedAt!) - startedAt) / 1000)}:\n${formatTimeline(await timelineOf(estate, request))}`);
  const retired = record.steps.retireOldWriter?.detail ?? '';
  checks.push(check(`${step.phase}: the old writer under ${step.target.instanceId} renamed away first`, record.reprotect?.retiredAs !== undefined && /renamed/.test(retired), retired));
  const node = estate.nodeOf(step.target);
  const writerNode = estate.nodeOf(step.writer);
  if (!node || !writerNode) return `re-protection (${step.phase}) completed but no server answers to ${!node ? step.target.instanceId : step.writer.instanceId}`;
  const [{ in_recovery: inRecovery }] = await node.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
  const [streaming] = await writerNode.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [node.name]);
  checks.push(check(`${step.phase}: a new server under ${step.target.instanceId} streams from the writer`, inRecovery && streaming?.state === 'streaming',
    `${step.target.instanceId} is server ${node.name}, in recovery: ${inRecovery}; the writer's walsender to it: ${streaming?.state ?? 'none'}`));
  const backups = record.steps.waitForReplica?.detail ?? '';
  checks.push(check(`${step.phase}: the writer's backups replicate to the ${step.target.side === 'primary' ? 'primary' : 'DR'} region`, /automated backups replicate/.test(backups), backups));
  return node;
}

/**
 * A monitor cycle after `since` that measured the new pair: the writer and its replica reachable, the replica's lag
 * measured, the writer protected. Reads what the monitor published, as the AWS alarms read CloudWatch.
 */
function newPairMeasured(estate: LocalEstate, since: number): Promise<string | undefined> {
  return waitFor(() => {
    const cycle = (name: string) => estate.metrics.recorded.filter((datum) => datum.at >= since && datum.name === name).at(-1)?.value;
    const [writer, replica, lag, protectedFlag] = [MonitorMetric.PrimaryReachable, MonitorMetric.ReplicaReachable, MonitorMetric.ReplicationLagSeconds, MonitorMetric.WriterProtected].map(cycle);
    return writer === 1 && replica === 1 && lag !== undefined && protectedFlag === 1
      ? `writer reachable, replica reachable, lag ${formatSeconds(lag)}, WriterProtected=1`
      : undefined;
  }, PHASE_WAIT_MS, 50);
}

/** The stored record once `done` holds for it (the resume schedule finishes pending steps); `undefined` after the wait. */
function recordIn(estate: LocalEstate, done: (state: FailoverState) => boolean): Promise<FailoverState | undefined> {
  return waitFor(async () => {
    const state = await estate.store.read();
    return state && done(state) ? state : undefined;
  }, PHASE_WAIT_MS, 50);
}

async function describeRecord(estate: LocalEstate): Promise<string> {
  const state = await estate.store.read();
  return state ? `${state.mode} ${state.runId} ${state.status}, steps ${Object.entries(state.steps).map(([step, record]) => `${step}=${record.status}`).join(' ')}` : 'none';
}

/** The re-protection's timeline as it ended (a resume may have finished it after the operator's request returned). */
async function timelineOf(estate: LocalEstate, request: FailoverResult): Promise<NonNullable<FailoverResult['timeline']>> {
  const status = await readFailoverStatus({ store: estate.store, clock: systemClock });
  return status.timeline ?? request.timeline ?? { steps: [], totalSeconds: 0 };
}
