import { whyNotOnConfiguredPair } from '../../../functions/core/estate-roles';
import type { FailoverState } from '../../../functions/core/ports';

const record = (fields: Partial<FailoverState>) => ({ runId: 'run-1', startedAt: '2026-12-01T10:00:00Z', steps: {}, ...fields }) as FailoverState;
const DR = { side: 'dr', instanceId: 'paydb-dr-replica-db-dev' } as const;
const PRIMARY = { side: 'primary', instanceId: 'paydb-primary-db-dev' } as const;

describe('whyNotOnConfiguredPair: what keeps the drills from rehearsing the configured pair', () => {
  test.each([
    ['no record', undefined],
    ['an aborted failover', record({ mode: 'failover', status: 'aborted' })],
    // Failed over, re-protected, failed back, re-protected back: the configured pair again.
    ['a completed re-protection of the primary-region writer', record({ mode: 'reprotect', status: 'completed', reprotect: { writer: PRIMARY, target: DR } })],
  ])('%s: nothing', (_, state) => {
    expect(whyNotOnConfiguredPair(state)).toBeUndefined();
  });

  test.each([
    ['a re-protection back in progress', record({ mode: 'reprotect', status: 'in_progress', reprotect: { writer: PRIMARY, target: DR } }), 're-protection run-1 is in progress'],
    ['a failover in progress', record({ mode: 'failover', status: 'in_progress' }), 'failover run-1 is in progress (started 2026-12-01T10:00:00Z)'],
    ['a completed failover', record({ mode: 'failover', status: 'completed', completedAt: '2026-12-01T10:09:00Z' }), 'failover run-1 completed at 2026-12-01T10:09:00Z: the estate no longer runs on its configured pair'],
    ['a completed re-protection of the DR writer', record({ mode: 'reprotect', status: 'completed', completedAt: '2026-12-01T12:00:00Z', reprotect: { writer: DR, target: PRIMARY } } as Partial<FailoverState>), 're-protection run-1 completed at 2026-12-01T12:00:00Z'],
    ['a completed fail-back', record({ mode: 'switchover', status: 'completed', completedAt: '2026-12-02T01:00:00Z', pair: { writer: DR, replica: PRIMARY } }),
      'switchover to paydb-primary-db-dev (primary region) run-1 completed at 2026-12-02T01:00:00Z'],
  ])('%s: says which record and why', (_, state, reason) => {
    expect(whyNotOnConfiguredPair(state)).toContain(reason);
  });
});
