import { parseDrillArguments, UsageError } from '../../functions/local-drill/args';
import { MATRIX_SCENARIOS, type MatrixRow, type MatrixRun } from '../../functions/local-drill/matrix/run';
import { formatMatrixReport } from '../../functions/local-drill/report';

describe('parseDrillArguments', () => {
  test('defaults: the whole matrix, fault after 1 s, no hold, no JSON', () => {
    expect(parseDrillArguments([])).toEqual({ scenarios: MATRIX_SCENARIOS, faultAfterSeconds: 1, hold: false, help: false });
    expect(MATRIX_SCENARIOS).toEqual(expect.arrayContaining(['partition', 'region-loss', 'switchover-lagging', 'blackhole-crash', 'maintenance']));
  });

  test('every flag', () => {
    expect(parseDrillArguments(['--scenario', 'partition', '--fault-after', '12.5', '--hold', '--json', 'out.json'])).toEqual({
      scenarios: ['partition'], faultAfterSeconds: 12.5, hold: true, help: false, jsonFile: 'out.json',
    });
    expect(parseDrillArguments(['--scenario', 'all']).scenarios).toEqual(MATRIX_SCENARIOS);
  });

  test.each([
    [['--scenario', 'flood'], new RegExp(`^--scenario must be one of ${MATRIX_SCENARIOS.join(', ')} or all, got "flood"$`)],
    [['--fault-after', '-1'], /^--fault-after must be a number of seconds >= 0, got "-1"$/],
    [['--fault-after', 'soon'], /^--fault-after must be a number of seconds >= 0, got "soon"$/],
    [['--json'], /^--json needs a value$/],
    [['--json', '--hold'], /^--json needs a value$/],
    [['--verbose'], /^unknown option "--verbose"$/],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseDrillArguments(argv)).toThrow(UsageError);
    expect(() => parseDrillArguments(argv)).toThrow(message);
  });
});

const row: MatrixRow = {
  scenario: 'region-loss', expected: 'failover', observed: 'promoted', rtoSeconds: 7.3, detectSeconds: 2.2, promoteSeconds: 0.1, switchSeconds: 0.001,
  rpoSeconds: 0.13, lagEstimateSeconds: 1.4, writesAcknowledged: 1000, lostCommittedWrites: 12, expectedLostWrites: 12, promoted: true, promotions: 1,
  orchestratorOutcome: 'completed', passed: true, failures: [], notes: [], durationSeconds: 10.6,
  invariants: [{ name: 'one writer', passed: true, detail: '2 servers, never at once' }, { name: 'bounded loss', passed: true, detail: '12 of 1000 (bound 12)' }],
};

test('the readable report shows one row per scenario, every invariant, failures and the verdict', () => {
  const run = (overrides: Partial<MatrixRow>): MatrixRun => ({
    row: { ...row, ...overrides }, timeline: '- promoteReplica: done, 0.1 s', resources: { baseDir: '/x', pids: [], endpoint: '127.0.0.1:1' },
  });
  const failed = run({
    scenario: 'partition', passed: false, rpoSeconds: 'unknown', lostCommittedWrites: 'unknown',
    invariants: [{ name: 'one writer', passed: false, detail: '2 servers acknowledged at once' }],
  });
  const text = formatMatrixReport([run({}), failed], 17.64);

  expect(text).toMatch(/^region-loss\s+PASS\s+2\/2\s+7\.3 s\s+2\.2 s\s+0\.13 s\s+1\.4 s\s+1000\s+12\/12\s+yes \(1\)$/m);
  expect(text).toMatch(/^partition\s+FAIL\s+0\/1\s+.*\s+unknown\s+.*unknown\/12/m);
  expect(text).toContain('  FAIL one writer: 2 servers acknowledged at once');
  expect(text).toContain('    - promoteReplica: done, 0.1 s');
  expect(text).toMatch(/Drill wall time: 17\.6 s\. SOME SCENARIOS FAILED\.$/);
});
