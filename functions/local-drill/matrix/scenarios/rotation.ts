/**
 * rotation — the monitor's database password rotates while everything runs.
 *
 * Fault: single-user rotation as Secrets Manager runs it. `setSecret` changes the password on the database (ALTER
 * ROLE on the primary; pg_authid replicates, so the replica refuses the old password too), then — a few monitor
 * cycles later — `finishSecret` makes the new version current (the estate's monitor secret). In between, the
 * database refuses the cached password AND re-reading the secret still returns the old one. The primary region's
 * API is silent for the whole scenario (an API brownout seen from the DR region), so the composite's control-plane
 * term is already true: only the monitor's reading of SQLSTATE 28P01 stands between the rotation and a false alarm.
 *
 * AWS behaviour modelled: the replication monitor caches the secret per container and re-reads it once when the
 * database refuses the cached password (`probes({ refreshCredentials })`); a refusal is the server answering, so
 * `PrimaryReachable`/`ReplicaReachable` stay 1 (`serverAnswered`). What differs: the monitor runs every ~250 ms in
 * one long-lived process (one "container"); locally the secret is a variable and its read is instantaneous; the
 * monitor has its own role (`drill_monitor`) so the rotation touches nothing else — the writer clients, the keeper
 * and the orchestrator connect as the superuser, whose password does not change (on AWS the orchestrator shares the
 * monitor's secret and re-reads it the same way; it is not triggered here).
 *
 * Expected: no false signal — PrimaryReachable and ReplicaReachable never 0, no alarm, no orchestrator run, no
 * promotion; during the window the monitor records an error per cycle (28P01 still refused after the re-read) and
 * skips the heartbeat and the lag; in the first cycle after the new version is current it sees 28P01 once,
 * re-reads the secret once, and recovers (no errors, lag measured again) without a restart; no client write fails.
 */
import { MonitorMetric } from '../../../core/metric-names';
import { formatSeconds } from '../../../core/format-seconds';
import { check, monitorCycles, type Scenario } from '../scenario';

const MONITOR_ROLE = 'drill_monitor';
/** Monitor cycles between the database change and the new secret version becoming current. */
const ROTATION_WINDOW_CYCLES = 3;

export const rotation: Scenario = {
  name: 'rotation',
  expected: 'the monitor\'s password rotates (database first, secret version later) with the primary region\'s API silent: no alarm, no promotion; the monitor re-reads the secret once it is current and recovers without a restart',
  failoverExpected: false,
  estate: { monitorRole: MONITOR_ROLE },
  async run(estate, progress) {
    estate.controlPlane.answers = false;
    const apiSilentAt = Date.now();
    progress('the primary region\'s API stops answering the DR region for the whole scenario: the composite\'s control-plane term is true');
    await estate.monitor.waitForCycles(1); // the cycle in flight may have described the primary before
    const baselineFrom = Date.now();
    await estate.monitor.waitForCycles(3);
    const faultAt = Date.now();
    const rotated = `${estate.monitorSecret.password}-rotated`;
    await estate.cluster.primary.query(`ALTER ROLE ${MONITOR_ROLE} PASSWORD '${rotated}'`);
    const readsAtRotation = estate.monitorSecretReads;
    progress(`FAULT: ${MONITOR_ROLE}'s password changed on the database; the secret's current version still holds the old one`);
    await estate.monitor.waitForCycles(1); // the cycle in flight may have probed before the change
    const windowFrom = Date.now();
    await estate.monitor.waitForCycles(ROTATION_WINDOW_CYCLES);
    const readsInWindow = estate.monitorSecretReads - readsAtRotation;
    estate.monitorSecret = { username: MONITOR_ROLE, password: rotated };
    const currentAt = Date.now();
    const readsAtCurrent = estate.monitorSecretReads;
    progress('the new secret version is current');
    await estate.monitor.waitForCycles(1); // the cycle in flight may have re-read either version
    const afterFrom = Date.now();
    await estate.monitor.waitForCycles(3);
    const readsAfterCurrent = estate.monitorSecretReads - readsAtCurrent;
    estate.controlPlane.answers = true;

    const errorsOf = (cycle: { values: ReadonlyMap<string, number> }) => cycle.values.get(MonitorMetric.MonitorErrors) ?? Number.NaN;
    const all = monitorCycles(estate, apiSilentAt);
    // With the API silent every cycle records one error (DescribeDBInstances): the rotation adds to that.
    const baseline = Math.max(...monitorCycles(estate, baselineFrom).filter((cycle) => cycle.at < faultAt).map(errorsOf));
    const window = monitorCycles(estate, windowFrom).filter((cycle) => cycle.at < currentAt);
    const after = monitorCycles(estate, afterFrom);
    const lost = (name: string) => all.filter((cycle) => cycle.values.get(name) === 0).length;
    const first = after[0];
    const clientFailures = estate.history.events.filter((event) => event.outcome !== 'ok');
    return {
      faultAt,
      checks: [
        check('no false signal', estate.alarmAt === undefined && estate.runs.length === 0 && lost(MonitorMetric.PrimaryReachable) === 0 && lost(MonitorMetric.ReplicaReachable) === 0,
          `${all.length} monitor cycles with the API silent: PrimaryReachable=0 in ${lost(MonitorMetric.PrimaryReachable)}, ReplicaReachable=0 in ${lost(MonitorMetric.ReplicaReachable)}; `
          + `composite alarm ${estate.alarmAt === undefined ? 'never fired' : 'FIRED'}; ${estate.runs.length} orchestrator run(s)`),
        check('the rotation reached the monitor', window.length > 0 && window.every((cycle) => errorsOf(cycle) > baseline && !cycle.values.has(MonitorMetric.ReplicationLagSeconds)),
          `${window.length} cycle(s) while the database had the new password and the secret the old one: errors ${window.map(errorsOf).join(',')} (baseline ${baseline}: the silent API), `
          + `lag measured in ${window.filter((cycle) => cycle.values.has(MonitorMetric.ReplicationLagSeconds)).length}; the secret was re-read ${readsInWindow} time(s), each time the old version`),
        check('monitor recovered in its first cycle without a restart', first !== undefined && errorsOf(first) <= baseline && first.values.has(MonitorMetric.ReplicationLagSeconds),
          first === undefined
            ? 'no monitor cycle after the new version became current'
            : `first cycle started after the new version became current: errors ${errorsOf(first)} (baseline ${baseline}), lag ${first.values.get(MonitorMetric.ReplicationLagSeconds) ?? 'NOT measured'} s; `
              + `following cycles' errors ${after.slice(1).map(errorsOf).join(',')} (the same monitor, ${estate.monitor.cycles} cycles in all)`),
        check('secret re-read once after the new version became current', readsAfterCurrent === 1,
          `${readsAfterCurrent} read(s) over ${after.length + 1} cycles after the new version became current (${formatSeconds((Date.now() - currentAt) / 1000)})`),
        check('no client write failed (the writers\' role did not rotate)', clientFailures.length === 0,
          clientFailures.length === 0 ? `${estate.history.events.length} operations, all acknowledged` : `${clientFailures.length} failed, e.g. ${clientFailures[0].id}: ${clientFailures[0].error}`),
      ],
    };
  },
};
