/**
 * `npm run drill:local` — the fault matrix, run for real on local PostgreSQL 14 (primary + streaming replica).
 * Needs nothing but `npm ci` (PostgreSQL comes from npm; as root the servers run as user `pgdrill`).
 * Exit code: 0 all scenarios passed, 1 a scenario failed its invariants or the drill broke, 2 bad usage,
 * 130/143 interrupted (processes and data directories are removed either way).
 */
import * as fs from 'node:fs';
import { stopClustersOnSignals } from '../adapters/local/postgres-cluster';
import { describeError } from '../core/retry';
import { parseDrillArguments, USAGE, UsageError } from './args';
import { runMatrixScenario, type MatrixRun } from './matrix/run';
import { formatMatrixReport } from './report';

async function main(): Promise<number> {
  let args;
  try {
    args = parseDrillArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  stopClustersOnSignals();
  const startedAt = Date.now();
  console.log(`Local failover drill, fault matrix: ${args.scenarios.join(', ')}; fault after ${args.faultAfterSeconds} s`);
  const runs: MatrixRun[] = [];
  for (const [index, scenario] of args.scenarios.entries()) {
    const hold = args.hold && index === args.scenarios.length - 1;
    runs.push(await runMatrixScenario(scenario, { progress: (line) => console.log(line), faultAfterMs: args.faultAfterSeconds * 1000, hold }));
  }
  console.log(`\n${formatMatrixReport(runs, (Date.now() - startedAt) / 1000)}`);
  if (args.jsonFile) {
    fs.writeFileSync(args.jsonFile, `${JSON.stringify(runs.map((run) => run.row), null, 2)}\n`);
    console.log(`JSON report written to ${args.jsonFile}`);
  }
  const held = runs[runs.length - 1]?.held;
  if (held) {
    console.log(`\nHolding: writer endpoint ${held.endpoint}.\nPress Ctrl-C to stop and remove everything.`);
    await new Promise(() => undefined); // the endpoint's listening socket keeps the process alive; the signal handler ends it
  }
  return runs.every((run) => run.row.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`drill failed: ${describeError(error)}`);
    process.exit(1);
  },
);
