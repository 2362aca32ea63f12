/**
 * orchestrator-crash — the orchestrator dies at each step boundary of one failover and is resumed each time.
 *
 * Fault: the primary region is lost (primary SIGKILLed, keeper dead, quorum links and API silent); the composite
 * alarm starts the failover. Its run crashes right after its conditional write took the write lease (before it
 * saved anything about it). The primary region then comes back — keeper first (a cold start that fences the
 * still-down database), then paths, quorum links and API, then the database — so every later run works with a live,
 * fenced old primary. Each resumed run crashes at the next point: after the promote request reached the replica but
 * before the step was saved; after the promotion (the writer verified and its step saved); after the writer DNS
 * record was pinned but before that was saved. The fifth run finishes (fences the old primary through its API).
 *
 * A crash is a Lambda that dies: its invocation ends with an error, nothing after the crash point runs, nothing is
 * saved and its run lock is NOT released (the intercepted call never returns; `LocalEstate.interceptPorts`). The
 * lock expires `leaseMarginMs` after the run's deadline, and the resume schedule (the AWS resume rule) continues.
 *
 * AWS behaviour modelled: the same core, the write-ahead promotion intent, the run lock with expiry, the resume
 * rule. What differs: the run budget is 3 s and the lock margin 0.5 s, so a crashed run's lock frees ~3.5 s after
 * it started (the resume schedule ticks every 0.5 s); on AWS it is the Lambda timeout (15 min) − 20 s + 30 s, and the resume rule runs every 5 min, so each
 * crash before the failover finishes can delay it by up to ~20 min. The orchestrator's probes time out after 0.5 s
 * (so its decision fits the short budget); EventBridge's own retries of a failed async invocation are not modelled
 * (they would meet the dead run's lock).
 *
 * Expected: every crash point is hit; exactly one promotion (timeline history files on the replica); the record
 * is never "aborted" once a promotion was requested and the intent is stored before every promote request; the
 * failover completes after the last resume; one writer, no stale acknowledgements, loss within what the replica
 * lacked when the primary died.
 */
import type { FailoverState } from '../../../core/ports';
import { formatSeconds } from '../../../core/format-seconds';
import {
  acksBy, afterDrTakesLease, check, losePrimaryRegion, newWriterAck, override, replicaIdsOnceReplayed, restorePrimaryRegion, waitFor, type Scenario,
} from '../scenario';

const CRASH_POINTS = [
  'after taking the write lease (nothing saved about it)',
  'after the promote request, before saving the step',
  'after the promotion (writer verified, step saved)',
  'after pinning the writer DNS record, before saving the step',
] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

export const orchestratorCrash: Scenario = {
  name: 'orchestrator-crash',
  expected: 'the orchestrator crashes after the lease, after the promote request, after the promotion and after the DNS pin (primary back from the second run on): each resume continues; exactly one promotion, never "aborted" after a promote request',
  failoverExpected: true,
  // Two endpoint clients instead of four: the verdict's cost grows with the square of the acknowledgements (see the report).
  estate: { runBudgetMs: 3000, resumeIntervalMs: 500, endpointClients: 2, settings: { leaseMarginMs: 500, primaryProbeTimeoutMs: 500 } },
  async run(estate, progress) {
    const pending: CrashPoint[] = [...CRASH_POINTS];
    const crashes: Array<{ readonly point: CrashPoint; readonly at: number }> = [];
    const saved: FailoverState[] = [];
    const promoteRequests: Array<{ readonly at: number; readonly intentStored: boolean }> = [];
    estate.interceptPorts = (ports, crash) => {
      const crashIfNext = (point: CrashPoint): Promise<never> | undefined => {
        if (pending[0] !== point) return undefined;
        pending.shift();
        crashes.push({ point, at: Date.now() });
        return crash(point);
      };
      const lease = ports.lease!;
      return {
        ...ports,
        lease: afterDrTakesLease(lease, () => crashIfNext(CRASH_POINTS[0])),
        database: override(ports.database, {
          promoteReplica: async () => {
            promoteRequests.push({ at: Date.now(), intentStored: (await ports.store.read())?.promoteRequestedAt !== undefined });
            await ports.database.promoteReplica();
            await crashIfNext(CRASH_POINTS[1]);
          },
        }),
        store: override(ports.store, {
          save: async (state) => {
            const stored = await ports.store.save(state);
            saved.push(stored);
            return (stored.steps.waitForWriter?.status === 'done' ? crashIfNext(CRASH_POINTS[2]) : undefined) ?? stored;
          },
        }),
        dns: override(ports.dns, {
          pinWriterToDr: async () => {
            await ports.dns.pinWriterToDr();
            await crashIfNext(CRASH_POINTS[3]);
          },
        }),
      };
    };

    const faultAt = Date.now();
    await losePrimaryRegion(estate, 'SIGKILL');
    progress('FAULT: primary region lost (primary SIGKILLed, keeper dead, quorum links and API silent)');
    const replicaIds = await replicaIdsOnceReplayed(estate.cluster.replica);
    const firstCrash = await waitFor(() => crashes[0], 20_000);
    const restoredAt = estate.history.now();
    if (firstCrash) {
      progress('the primary region comes back: keeper first (fences the down database), then paths, quorum links, API and the database');
      await restorePrimaryRegion(estate);
      progress(`primary back; keeper: ${estate.keeper.lastTick?.state} (${estate.keeper.lastTick?.detail})`);
    }
    const completed = await waitFor(async () => ((await estate.store.read())?.status === 'completed' ? true : undefined), 40_000, 100);
    const ack = await newWriterAck(estate, faultAt, 5000);
    const final = await estate.store.read();

    const abortedAfterPromote = saved.filter((state) => state.status === 'aborted' && state.promoteRequestedAt !== undefined);
    const crashedRuns = estate.runs.filter((run) => run.crashedAt !== undefined);
    const gaps = crashes.slice(1).map((crashed, index) => formatSeconds((crashed.at - crashes[index].at) / 1000));
    return {
      faultAt,
      replicaIdsWhenPrimaryStopped: replicaIds,
      checks: [
        check('every crash point hit', crashes.length === CRASH_POINTS.length && crashedRuns.length === CRASH_POINTS.length,
          `${crashes.length} of ${CRASH_POINTS.length} crash points hit (${crashedRuns.map((run) => `${run.runId}: ${run.crashedAt}`).join('; ') || 'none'})`
          + `${pending.length ? `; never reached: ${pending.join('; ')}` : ''}; time between crashes ${gaps.join(', ') || '-'}`),
        check('never "aborted" after a promote request', abortedAfterPromote.length === 0 && !(final?.status === 'aborted' && final.promoteRequestedAt !== undefined),
          `${saved.length} saved versions of the record, ${abortedAfterPromote.length} aborted with a promotion requested; final status ${final?.status ?? 'none'}`
          + `${final?.promoteRequestedAt ? `, promotion requested at ${final.promoteRequestedAt}` : ''}`),
        check('promotion intent stored before every promote request', promoteRequests.length > 0 && promoteRequests.every((request) => request.intentStored),
          `${promoteRequests.length} promote request(s) to the replica; intent stored before ${promoteRequests.filter((request) => request.intentStored).length}; record counts ${final?.promoteRequests ?? 0}`),
        check('the returned primary acknowledged nothing', acksBy(estate, estate.ids.primary, restoredAt).length === 0,
          `${acksBy(estate, estate.ids.primary, restoredAt).length} acknowledgement(s) by the old primary after its region came back (its keeper fenced it while it was down)`),
        check('the failover completed after the crashes', completed === true,
          `final record ${final?.runId ?? 'none'}: ${final?.status ?? 'none'}; steps ${Object.entries(final?.steps ?? {}).map(([step, record]) => `${step} ${record?.status}×${record?.attempts}`).join(', ')}`),
      ],
      notes: [
        `${estate.runs.length} orchestrator invocations: ${estate.runs.map((run) => `${run.runId} ${run.crashedAt ? 'CRASHED' : run.result?.outcome ?? run.error}`).join(', ')}`,
        ack ? `new writer's first acknowledgement ${formatSeconds((ack.completedAt - faultAt) / 1000)} after the fault` : 'no acknowledgement by the new writer',
      ],
    };
  },
};
