/**
 * duplicate-triggers — several alarm deliveries at once, racing an operator's switchover, while the primary is dead.
 *
 * Fault: the primary database crashes (SIGKILL); its region stays up (keeper, quorum links, API, paths), so RDS
 * reports it `stopped` (the composite's failed-state term) and its keeper lets the lease run out. One monitor cycle
 * before the composite alarm fires, an operator asks for a planned switchover (they saw trouble and try to move the
 * writer): its run takes the run lock and decides. While it decides, the composite alarm fires and the same alarm is
 * delivered three more times at once (EventBridge delivers at least once; async invocations are retried). The
 * switchover must be refused (the primary does not answer), the alarm must still fail over.
 *
 * AWS behaviour modelled: the run lock on the failover record (one run acts, others get `already_in_progress`), a
 * composite alarm that invokes the orchestrator once per transition into ALARM and never again while it stays in
 * ALARM, the resume rule that only continues a record still in progress. What differs: the orchestrator's probe
 * interval is 1 s (AWS 5 s; locally 0.25 s by default) so the switchover's decision (~2 s) spans the alarm; on AWS
 * it takes ~25 s, so an operator request up to ~25 s before the alarm meets the same interleaving.
 *
 * Expected: exactly one promotion requested and one fence of the old primary (through its API, verified); no freeze
 * (the switchover is refused, not carried out); the operator is answered `refused`; every alarm invocation ends as
 * acted, `already_in_progress` or `already_completed` — and one of them fails over.
 */
import type { FenceOutcome } from '../../../core/ports';
import { MonitorMetric } from '../../../core/metric-names';
import { formatSeconds } from '../../../core/format-seconds';
import type { FailoverResult } from '../../../core/failover-orchestrator';
import { check, newWriterAck, override, replicaIdsOnceReplayed, waitFor, type Scenario } from '../scenario';

const DUPLICATES = 3;

export const duplicateTriggers: Scenario = {
  name: 'duplicate-triggers',
  expected: 'primary crashed; an operator switchover decides while the composite alarm and 3 duplicate deliveries arrive: switchover refused, one promotion, one fence',
  failoverExpected: true,
  estate: { settings: { primaryProbeIntervalMs: 1000 } },
  async run(estate, progress) {
    const promotes: number[] = [];
    const fences: FenceOutcome[] = [];
    let freezes = 0;
    estate.interceptPorts = (ports) => ({
      ...ports,
      database: override(ports.database, {
        promoteReplica: async () => {
          promotes.push(Date.now());
          await ports.database.promoteReplica();
        },
        fencePrimary: async () => {
          const outcome = await ports.database.fencePrimary();
          fences.push(outcome);
          return outcome;
        },
        freezePrimary: async () => {
          freezes += 1;
          return ports.database.freezePrimary();
        },
      }),
    });

    const faultAt = Date.now();
    await estate.cluster.primary.kill('SIGKILL');
    progress('FAULT: the primary database crashed (SIGKILL); its region (keeper, API, paths) stays up');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    const badCycles = () => estate.metrics.recorded.filter((datum) => datum.at >= faultAt && datum.name === MonitorMetric.PrimaryReachable && datum.value === 0).length;
    const alarmIn = (estate.options.badCyclesToAlarm ?? 3) - 1;
    await waitFor(() => (badCycles() >= alarmIn ? true : undefined), 10_000, 5);
    progress(`${alarmIn} bad monitor cycles: an operator requests a planned switchover`);
    const switchover = estate.failover({ trigger: 'operator', reason: 'planned switchover (fault matrix: racing the alarm)', switchover: true });
    switchover.catch(() => undefined);
    const switchoverState = await waitFor(async () => (await estate.store.read())?.request.switchover ? true : undefined, 2000, 5);
    const alarmed = await waitFor(() => estate.alarmAt, 10_000, 5);
    const duplicates = alarmed === undefined ? [] : Array.from({ length: DUPLICATES }, (_, index) =>
      estate.failover({ trigger: 'alarm', alarmName: 'local-primary-region-failed', reason: `duplicate delivery ${index + 1} of the composite alarm` }));
    if (alarmed) progress(`composite alarm fired while the switchover ${switchoverState ? 'holds the run lock' : 'had NOT yet taken the run lock'}; ${DUPLICATES} duplicate deliveries invoked at once`);
    const settled = await Promise.allSettled([switchover, ...estate.monitor.alarmActions, ...duplicates]);
    const [switchoverResult, ...alarmResults] = settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value as FailoverResult : undefined));
    const ack = await newWriterAck(estate, faultAt);
    await waitFor(async () => ((await estate.store.read())?.status === 'completed' ? true : undefined), 5000, 100);

    const alarmOutcomes = alarmResults.map((result) => result?.outcome ?? 'threw');
    const verified = fences.filter((fence) => fence.verified);
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('the alarm met the switchover\'s run lock', switchoverState === true && alarmed !== undefined,
          `switchover holding the lock when the alarm fired: ${switchoverState === true}; alarm ${alarmed ? `${formatSeconds((alarmed - faultAt) / 1000)} after the fault` : 'never fired'}`),
        check('switchover refused, not carried out', switchoverResult?.outcome === 'refused' && freezes === 0,
          `operator's switchover: ${switchoverResult?.outcome ?? 'threw'} (${switchoverResult?.message.split('.')[0] ?? ''}); freeze requests ${freezes}`),
        check('one promotion requested', promotes.length === 1, `${promotes.length} promote request(s) to the replica`),
        check('one fence of the old primary', verified.length === 1 && fences.length === 1,
          `${fences.length} fence call(s), ${verified.length} verified${fences[0] ? `: ${fences[0].detail}` : ''}`),
        check('the alarm was not lost', alarmOutcomes.some((outcome) => outcome === 'completed' || outcome === 'pending')
          && alarmOutcomes.every((outcome) => ['completed', 'pending', 'already_in_progress', 'already_completed'].includes(outcome)),
          `${alarmOutcomes.length} alarm invocation(s): ${alarmOutcomes.join(', ')}`),
      ],
      notes: [
        `${estate.runs.length} orchestrator invocations: ${estate.runs.map((run) => `${run.runId} ${(run.request as { trigger?: string }).trigger}→${run.result?.outcome ?? run.error}`).join(', ')}`,
        ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'no acknowledgement by the new writer',
      ],
    };
  },
};
