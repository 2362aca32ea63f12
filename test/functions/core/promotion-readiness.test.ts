import { evaluatePromotionReadiness } from '../../../functions/core/promotion-readiness';
import type { ReplicaStatus } from '../../../functions/core/ports';

const healthy: ReplicaStatus = { role: 'replica', status: 'available', available: true, replicationState: 'replicating' };

test('ready: available, replicating, lag within budget (budget inclusive)', () => {
  expect(evaluatePromotionReadiness({ replica: healthy, lagSeconds: 300, maxLagSeconds: 300, requireReplicating: true })).toEqual({
    ready: true, alreadyPromoted: false, lagWithinBudget: true, blockers: [], lagVerdict: 'replication lag 300 s within the 300 s budget',
  });
});

test.each([
  ['over budget', 301],
  ['unknown', undefined],
  ['not a number', Number.NaN],
])('lag %s is never within budget', (_name, lagSeconds) => {
  const readiness = evaluatePromotionReadiness({ replica: healthy, lagSeconds, maxLagSeconds: 300, requireReplicating: true });
  expect(readiness).toMatchObject({ ready: false, lagWithinBudget: false, blockers: [] });
});

test('broken replication blocks a drill or switchover but not a failover (the primary is gone)', () => {
  const broken: ReplicaStatus = { ...healthy, replicationState: 'error' };
  expect(evaluatePromotionReadiness({ replica: broken, lagSeconds: 1, maxLagSeconds: 300, requireReplicating: true }).blockers)
    .toEqual(['DR replica is not replicating (replication state error)']);
  expect(evaluatePromotionReadiness({ replica: broken, lagSeconds: 1, maxLagSeconds: 300, requireReplicating: false }).ready).toBe(true);
});

test('unavailable or already promoted replicas are not ready', () => {
  expect(evaluatePromotionReadiness({ replica: { ...healthy, available: false, status: 'rebooting' }, lagSeconds: 1, maxLagSeconds: 300, requireReplicating: false }))
    .toMatchObject({ ready: false, alreadyPromoted: false, blockers: ['DR replica is not available (status rebooting)'] });
  expect(evaluatePromotionReadiness({ replica: { role: 'writer', status: 'available', available: true }, lagSeconds: undefined, maxLagSeconds: 300, requireReplicating: true }))
    .toMatchObject({ ready: false, alreadyPromoted: true, blockers: ['DR database is no longer a replica (role writer, status available)'] });
});
