/**
 * The pipeline's topology gate, run by CodeBuild before the DR stage deploys (lib/pipeline/topology-gate-step.ts):
 * reads both database instances from RDS and refuses (exit 1) when the configuration's `writerRegion` does not
 * describe them (functions/core/topology-gate.ts). Credentials: the environment's (the step assumes the CDK lookup
 * role of the workload account first, read-only).
 *
 *   tsx functions/topology-gate/cli.ts --expected primary|dr --primary-region R --primary-instance ID --dr-region R --dr-instance ID
 */
import { parseArgs } from 'node:util';
import { RDSClient } from '@aws-sdk/client-rds';
import { observeInstance } from '../adapters/aws/rds-topology';
import { sdkClientOptions } from '../adapters/aws/sdk-client-options';
import { topologyGateVerdict, WRITER_REGIONS, type WriterRegion } from '../core/topology-gate';

export async function runTopologyGate(argv: string[], rdsIn: (region: string) => RDSClient = (region) => new RDSClient({ region, ...sdkClientOptions() })): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      expected: { type: 'string' }, 'primary-region': { type: 'string' }, 'primary-instance': { type: 'string' },
      'dr-region': { type: 'string' }, 'dr-instance': { type: 'string' },
    },
  });
  const required = (name: keyof typeof values) => {
    const value = values[name];
    if (!value) throw new Error(`--${name} is required`);
    return value;
  };
  const expected = required('expected');
  if (!(WRITER_REGIONS as readonly string[]).includes(expected)) throw new Error(`--expected must be one of ${WRITER_REGIONS.join(', ')}`);
  const [primaryRegion, primaryInstanceId, drRegion, drInstanceId] = [required('primary-region'), required('primary-instance'), required('dr-region'), required('dr-instance')];
  const [primary, dr] = await Promise.all([observeInstance(rdsIn(primaryRegion), primaryInstanceId), observeInstance(rdsIn(drRegion), drInstanceId)]);
  const verdict = topologyGateVerdict({ expected: expected as WriterRegion, observed: { primary, dr }, primaryInstanceId, drInstanceId, primaryRegion, drRegion });
  (verdict.allow ? console.log : console.error)(`Topology gate: ${verdict.message}`);
  return verdict.allow ? 0 : 1;
}

if (require.main === module) {
  runTopologyGate(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    console.error(`Topology gate: could not read the databases, refusing: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
