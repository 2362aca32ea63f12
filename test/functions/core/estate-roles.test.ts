import { whyNotOnConfiguredPair } from '../../../functions/core/estate-roles';
import type { FailoverState } from '../../../functions/core/ports';

const record = (fields: Partial<FailoverState>) => ({ runId: 'run-1', startedAt: '2026-12-01T10:00:00Z', steps: {}, ...fields }) as FailoverState;
const DR = { side: 'dr', instanceId: 'paydb-dr-replica-db-dev' } as const;
const REPROTECTED = { side: 'primary', instanceId: 'paydb-primary-reprotect-db-dev' } as const;

describe('whyNotOnConfiguredPair: what keeps the drills from rehearsing the configured pair', () => {
  test.each([
    ['no record', undefined],
    ['an aborted failover', record({ mode: 'failover', status: 'aborted' })],
  ])('%s: nothing', (_, state) => {
    expect(whyNotOnConfiguredPair(state)).toBeUndefined();
  });

  test.each([
    ['a failover in progress', record({ mode: 'failover', status: 'in_progress' }), 'failover run-1 is in progress (started 2026-12-01T10:00:00Z)'],
    ['a completed failover', record({ mode: 'failover', status: 'completed', completedAt: '2026-12-01T10:09:00Z' }), 'failover run-1 completed at 2026-12-01T10:09:00Z: the estate no longer runs on its configured pair'],
    ['a completed re-protection', record({ mode: 'reprotect', status: 'completed', completedAt: '2026-12-01T12:00:00Z', reprotect: { writer: DR, target: REPROTECTED } } as Partial<FailoverState>), 're-protection run-1 completed at 2026-12-01T12:00:00Z'],
    ['a completed fail-back', record({ mode: 'switchover', status: 'completed', completedAt: '2026-12-02T01:00:00Z', pair: { writer: DR, replica: REPROTECTED } }),
      'switchover to paydb-primary-reprotect-db-dev (primary region) run-1 completed at 2026-12-02T01:00:00Z'],
  ])('%s: says which record and why', (_, state, reason) => {
    expect(whyNotOnConfiguredPair(state)).toContain(reason);
  });
});
