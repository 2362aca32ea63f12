/**
 * `npm run drill:local` — the failover, run for real on a local PostgreSQL 14 primary + streaming replica.
 * Needs nothing but `npm ci` (PostgreSQL comes from npm; as root the servers run as user `pgdrill`).
 * Exit code: 0 all scenarios passed, 1 a scenario failed its expectations or the drill broke, 2 bad usage,
 * 130/143 interrupted (processes and data directories are removed either way).
 */
import * as fs from 'node:fs';
import { stopClustersOnSignals } from '../adapters/local/postgres-cluster';
import { describeError } from '../core/retry';
import { parseDrillArguments, USAGE, UsageError } from './args';
import { runLocalDrill } from './drill';
import { formatDrillReport, toJsonRow } from './report';

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
  console.log(`Local failover drill: ${args.scenarios.join(', ')}; fault after ${args.faultAfterSeconds} s`
    + `${args.replicationCutBeforeCrashMs ? `; replica cut ${args.replicationCutBeforeCrashMs / 1000} s before the crash` : ''}`);
  const drill = await runLocalDrill({
    scenarios: args.scenarios,
    faultAfterSeconds: args.faultAfterSeconds,
    replicationCutBeforeCrashMs: args.replicationCutBeforeCrashMs,
    hold: args.hold,
    progress: (line) => console.log(line),
  });
  console.log(`\n${formatDrillReport(drill.runs, (Date.now() - startedAt) / 1000)}`);
  if (args.jsonFile) {
    fs.writeFileSync(args.jsonFile, `${JSON.stringify(drill.runs.map((run) => toJsonRow(run.report)), null, 2)}\n`);
    console.log(`JSON report written to ${args.jsonFile}`);
  }
  if (drill.held) {
    console.log(`\nHolding: writer endpoint ${drill.held.endpoint} (new writer); fenced old primary at ${drill.held.oldPrimary}.`
      + '\nPress Ctrl-C to stop and remove everything.');
    await new Promise(() => undefined); // the endpoint's listening socket keeps the process alive; the signal handler ends it
  }
  return drill.runs.every((run) => run.report.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`drill failed: ${describeError(error)}`);
    process.exit(1);
  },
);
