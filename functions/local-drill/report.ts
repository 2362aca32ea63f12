import { formatSeconds } from '../core/format-seconds';
import type { MatrixRun } from './matrix/run';

const secondsText = (value: number | 'unknown' | null) => (value === null ? 'n/a' : value === 'unknown' ? 'unknown' : formatSeconds(value));

/** The readable end-of-drill report: one row per scenario, then each scenario's invariants and orchestrator timeline. */
export function formatMatrixReport(runs: readonly MatrixRun[], wallSeconds: number): string {
  const header = ['scenario', 'result', 'invariants', 'RTO', 'detect', 'RPO', 'lag estimate', 'acked', 'lost/bound', 'promoted'];
  const rows = runs.map(({ row }) => [
    row.scenario,
    row.passed ? 'PASS' : 'FAIL',
    `${row.invariants.filter((invariant) => invariant.passed).length}/${row.invariants.length}`,
    secondsText(row.rtoSeconds),
    secondsText(row.detectSeconds),
    secondsText(row.rpoSeconds),
    secondsText(row.lagEstimateSeconds),
    String(row.writesAcknowledged),
    `${row.lostCommittedWrites}/${row.expectedLostWrites}`,
    row.promoted ? `yes (${row.promotions})` : 'no',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((cells) => cells[column].length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  const sections = runs.map(({ row, timeline }) => [
    `${row.scenario}: ${row.passed ? 'PASS' : 'FAIL'} (${formatSeconds(row.durationSeconds)})`,
    `  expected: ${row.expected}`,
    `  observed: ${row.observed}`,
    ...row.invariants.map((invariant) => `  ${invariant.passed ? 'ok  ' : 'FAIL'} ${invariant.name}: ${invariant.detail}`),
    ...row.notes.map((note) => `  note: ${note}`),
    '  orchestrator timeline (the deciding run, as the core records it):',
    ...timeline.split('\n').map((entry) => `    ${entry}`),
  ].join('\n'));
  return [
    'Local failover drill — fault matrix on PostgreSQL 14 (primary + streaming replica on 127.0.0.1), the orchestrator core with local adapters.',
    'Verdicts come from what the clients saw (a history of every write) and what the databases hold afterwards.',
    'RTO = fault → first write the new writer acknowledged to a client. RPO = span of the acknowledged writes missing on the surviving',
    'writer; lag estimate = what the orchestrator\'s lag gate believed (it must not be below the RPO).',
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    ...sections,
    '',
    `Drill wall time: ${formatSeconds(wallSeconds)}. ${runs.every((run) => run.row.passed) ? 'All scenarios passed.' : 'SOME SCENARIOS FAILED.'}`,
  ].join('\n');
}

