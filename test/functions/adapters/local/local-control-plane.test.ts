import { classifyInstanceStatus } from '../../../../functions/core/instance-health';
import { LocalControlPlane } from '../../../../functions/adapters/local/local-database-control';
import type { NodeHandle } from '../../../../functions/adapters/local/postgres-cluster';

const node = (running: boolean) => ({ isRunning: () => running }) as NodeHandle;

describe('local control plane (the primary region\'s "RDS API" in the drill)', () => {
  it('reports the process state by default, in RDS words', () => {
    const plane = new LocalControlPlane();
    expect(plane.describe(node(true))).toEqual({ status: 'available', available: true });
    expect(plane.describe(node(false))).toEqual({ status: 'stopped', available: false });
  });

  it('reports an injected routine state while the server runs, which the core classifies as routine (maintenance scenario)', () => {
    const plane = new LocalControlPlane();
    plane.reportedStatus = 'storage-optimization';
    const status = plane.describe(node(true));
    expect(status).toEqual({ status: 'storage-optimization', available: false });
    expect(classifyInstanceStatus(status.status)).toBe('routine');
    // A dead server is stopped whatever was injected: the injection never hides a crash.
    expect(plane.describe(node(false)).status).toBe('stopped');
  });

  it('an API that does not answer fails every call, like an SDK deadline', () => {
    const plane = new LocalControlPlane();
    plane.answers = false;
    expect(() => plane.describe(node(true))).toThrow(/DescribeDBInstances: the primary region's API did not answer/);
    expect(() => plane.assertAnswers('ModifyDBInstance')).toThrow(/ModifyDBInstance/);
  });
});
