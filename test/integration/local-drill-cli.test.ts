import { parseDrillArguments, UsageError } from '../../functions/local-drill/args';
import type { ScenarioReport, ScenarioRun } from '../../functions/local-drill/drill';
import { formatDrillReport, toJsonRow } from '../../functions/local-drill/report';

describe('parseDrillArguments', () => {
  test('defaults: both scenarios, fault after 3 s, no cut, no hold, no JSON', () => {
    expect(parseDrillArguments([])).toEqual({ scenarios: ['crash', 'switchover'], faultAfterSeconds: 3, replicationCutBeforeCrashMs: 0, hold: false, help: false });
  });

  test('every flag', () => {
    expect(parseDrillArguments(['--scenario', 'switchover', '--fault-after', '12.5', '--cut-replication-before-crash', '0.4', '--hold', '--json', 'out.json'])).toEqual({
      scenarios: ['switchover'], faultAfterSeconds: 12.5, replicationCutBeforeCrashMs: 400, hold: true, help: false, jsonFile: 'out.json',
    });
    expect(parseDrillArguments(['--scenario', 'all']).scenarios).toEqual(['crash', 'switchover']);
  });

  test.each([
    [['--scenario', 'flood'], '--scenario must be crash, switchover or all, got "flood"'],
    [['--fault-after', '-1'], '--fault-after must be a number of seconds >= 0, got "-1"'],
    [['--fault-after', 'soon'], '--fault-after must be a number of seconds >= 0, got "soon"'],
    [['--json'], '--json needs a value'],
    [['--json', '--hold'], '--json needs a value'],
    [['--verbose'], 'unknown option "--verbose"'],
  ])('%j is rejected: %s', (argv, message) => {
    expect(() => parseDrillArguments(argv)).toThrow(new UsageError(message));
  });
});

const report: ScenarioReport = {
  scenario: 'crash', rtoSeconds: 1.5, detectSeconds: 0.8, promoteSeconds: 0.2, switchSeconds: 0.001, rpoSeconds: 0.45,
  monitorLagAtFaultSeconds: 0.004, writesAcknowledged: 1000, lostCommittedWrites: 12, promoted: true, oldPrimaryFenced: true,
  expectedLostWrites: 12, noFailBack: true, orchestratorOutcome: 'completed', passed: true, failures: [],
};

test('the JSON row holds exactly the documented fields, in order', () => {
  expect(Object.keys(toJsonRow(report))).toEqual([
    'scenario', 'rtoSeconds', 'detectSeconds', 'promoteSeconds', 'switchSeconds', 'rpoSeconds', 'writesAcknowledged', 'lostCommittedWrites', 'promoted', 'oldPrimaryFenced',
  ]);
  expect(toJsonRow(report)).toMatchObject({ rtoSeconds: 1.5, lostCommittedWrites: 12, oldPrimaryFenced: true });
});

test('the readable report shows the summary row, failures and the verdict', () => {
  const run = (overrides: Partial<ScenarioReport>): ScenarioRun => ({
    report: { ...report, ...overrides }, timeline: '- promoteReplica: done, 0.1 s', alerts: [], resources: { baseDir: '/x', pids: [], endpoint: '127.0.0.1:1' },
  });
  const text = formatDrillReport([run({}), run({ scenario: 'switchover', passed: false, failures: ['the endpoint failed back to the old primary'], noFailBack: false })], 17.64);

  expect(text).toMatch(/^crash\s+PASS\s+1\.500 s\s+0\.800 s\s+0\.200 s\s+0\.001 s\s+0\.450 s\s+1000\s+12\/12\s+yes\s+yes$/m);
  expect(text).toMatch(/^switchover\s+FAIL .*\s+NO$/m);
  expect(text).toContain('switchover: FAIL — the endpoint failed back to the old primary');
  expect(text).toContain('    - promoteReplica: done, 0.1 s');
  expect(text).toMatch(/Drill wall time: 17\.6 s\. SOME SCENARIOS FAILED\.$/);
});
