import type { ScenarioReport, ScenarioRun } from './drill';

/** The `--json` row: exactly the issue's fields, in its order. */
export interface DrillJsonRow {
  readonly scenario: string;
  readonly rtoSeconds: number | null;
  readonly detectSeconds: number;
  readonly promoteSeconds: number;
  readonly switchSeconds: number;
  readonly rpoSeconds: number;
  readonly writesAcknowledged: number;
  readonly lostCommittedWrites: number;
  readonly promoted: boolean;
  readonly oldPrimaryFenced: boolean;
}

export function toJsonRow(report: ScenarioReport): DrillJsonRow {
  const { scenario, rtoSeconds, detectSeconds, promoteSeconds, switchSeconds, rpoSeconds, writesAcknowledged, lostCommittedWrites, promoted, oldPrimaryFenced } = report;
  return { scenario, rtoSeconds, detectSeconds, promoteSeconds, switchSeconds, rpoSeconds, writesAcknowledged, lostCommittedWrites, promoted, oldPrimaryFenced };
}

const secondsText = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(3)} s`);
const yesNo = (value: boolean) => (value ? 'yes' : 'NO');

/** A readable end-of-drill report: a summary table, then each scenario's evidence and orchestrator timeline. */
export function formatDrillReport(runs: readonly ScenarioRun[], wallSeconds: number): string {
  const header = ['scenario', 'result', 'RTO', 'detect', 'promote', 'switch', 'RPO', 'acked', 'lost/expected', 'fenced', 'no fail-back'];
  const rows = runs.map(({ report }) => [
    report.scenario,
    report.passed ? 'PASS' : 'FAIL',
    secondsText(report.rtoSeconds),
    secondsText(report.detectSeconds),
    secondsText(report.promoteSeconds),
    secondsText(report.switchSeconds),
    secondsText(report.rpoSeconds),
    String(report.writesAcknowledged),
    `${report.lostCommittedWrites}/${report.expectedLostWrites}`,
    yesNo(report.oldPrimaryFenced),
    yesNo(report.noFailBack),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();

  const sections = runs.map(({ report, timeline }) => [
    `${report.scenario}: ${report.passed ? 'PASS' : `FAIL — ${report.failures.join('; ')}`}`,
    `  orchestrator outcome: ${report.orchestratorOutcome}`,
    ...(report.catchUpSeconds !== undefined ? [`  writes stopped → replica at the primary's last WAL position: ${secondsText(report.catchUpSeconds)}`] : []),
    `  replication lag last measured by the monitor before the fault: ${secondsText(report.monitorLagAtFaultSeconds)}`,
    `  acknowledged commits: ${report.writesAcknowledged}; missing on the new primary: ${report.lostCommittedWrites}`
      + ` (the replica lacked ${report.expectedLostWrites} of them at the fault)`,
    `  restarted old primary refuses writes: ${yesNo(report.oldPrimaryFenced)}; endpoint stayed on the new writer: ${yesNo(report.noFailBack)}`,
    '  orchestrator timeline (from the decision, as the core records it):',
    ...timeline.split('\n').map((entry) => `    ${entry}`),
  ].join('\n'));

  return [
    'Local failover drill — PostgreSQL 14 primary + streaming replica on 127.0.0.1, orchestrator core with local adapters',
    'RTO = fault → first write acknowledged by the new writer through the endpoint. RPO = acknowledged commits missing on the new primary,',
    'and in seconds: fault − commit time of the newest transaction the replica had (0 when it had every acknowledged commit).',
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    ...sections,
    '',
    `Drill wall time: ${wallSeconds.toFixed(1)} s. ${runs.every((run) => run.report.passed) ? 'All scenarios passed.' : 'SOME SCENARIOS FAILED.'}`,
  ].join('\n');
}
