import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { resourcesReleased, runMatrixScenario, type MatrixRun } from '../../functions/local-drill/matrix/run';
import type { MatrixScenarioName } from '../../functions/local-drill/matrix/scenario';

/**
 * The representative subset of the fault matrix that runs in `npm test` (the rest: `npm run drill:local`). Two at a
 * time, each on its own estate, to halve the wall time on two cores. The verdicts are the matrix's own: computed from
 * the clients' history and the databases.
 */
const SUBSET: readonly MatrixScenarioName[] = ['partition', 'region-loss', 'switchover-lagging', 'orchestrator-crash', 'lifecycle', 'keeper-dead-partition'];
const runs = new Map<MatrixScenarioName, MatrixRun>();
const progress: string[] = [];

beforeAll(async () => {
  const run = async (name: MatrixScenarioName) => runs.set(name, await runMatrixScenario(name, { progress: (line) => progress.push(line), faultAfterMs: 500 }));
  await Promise.all([run('partition'), run('switchover-lagging')]);
  await Promise.all([run('region-loss'), run('orchestrator-crash')]);
  // Alone: it runs three orchestrations and a base backup on one estate (~15 s).
  await Promise.all([run('lifecycle'), run('keeper-dead-partition')]);
});

const rowOf = (name: MatrixScenarioName) => {
  const run = runs.get(name);
  if (!run) throw new Error(`no ${name} run; progress:\n${progress.join('\n')}`);
  return run.row;
};
// By the start of its name: a check's name may go on with what it checks in detail.
const invariant = (name: MatrixScenarioName, invariantName: string) => rowOf(name).invariants.find((entry) => entry.name.startsWith(invariantName));

test.each(SUBSET)('%s passes every invariant', (name) => {
  const row = rowOf(name);
  expect(row.failures).toEqual([]);
  expect(row.passed).toBe(true);
});

test('partition: no promotion while the keeper renewed; one writer once the isolated primary fenced itself', () => {
  expect(invariant('partition', 'no promotion while the primary holds its lease')?.passed).toBe(true);
  expect(invariant('partition', 'one writer')?.passed).toBe(true);
  expect(invariant('partition', 'no stale acknowledgements')?.passed).toBe(true);
  expect(rowOf('partition').promotions).toBe(1);
});

test('region-loss: failed over automatically; the loss is what the replica lacked and the lag gate\'s estimate covers its span', () => {
  const row = rowOf('region-loss');
  expect(row.promoted).toBe(true);
  expect(row.rtoSeconds).not.toBeNull();
  expect(row.lostCommittedWrites).toBe(row.expectedLostWrites);
  expect(typeof row.rpoSeconds).toBe('number');
  expect(row.lagEstimateSeconds).toBeGreaterThanOrEqual(row.rpoSeconds as number);
});

test('switchover-lagging: a replica 2 s behind, under load: zero acknowledged writes lost', () => {
  const row = rowOf('switchover-lagging');
  expect(row.promoted).toBe(true);
  expect(row.lostCommittedWrites).toBe(0);
  expect(row.orchestratorOutcome).toBe('completed');
});

test('orchestrator-crash: killed at every step boundary and resumed — exactly one promotion, never "aborted" after a promote request', () => {
  const row = rowOf('orchestrator-crash');
  expect(row.promoted).toBe(true);
  expect(row.promotions).toBe(1);
});

test('lifecycle: crash → failover → re-protect (old primary renamed away) → operator switch back → re-protect back → a second crash fails over again, under load: exactly 3 promotions', () => {
  const row = rowOf('lifecycle');
  expect(row.promotions).toBe(3);
  expect(invariant('lifecycle', 'exactly 3 promotion(s)')?.passed).toBe(true);
  expect(invariant('lifecycle', 'one writer')?.detail).toMatch(/^4 server\(s\) acknowledged writes, never two at once/);
  expect(invariant('lifecycle', 'switch back lost no acknowledged write')?.passed).toBe(true);
  expect(invariant('lifecycle', 'the writer is back in the primary region')?.passed).toBe(true);
  expect(invariant('lifecycle', 're-protected: a new server under primary streams from the writer')?.passed).toBe(true);
  expect(invariant('lifecycle', 'the old primary is kept under a retired name')?.passed).toBe(true);
  expect(invariant('lifecycle', 're-protected back: a new server under replica streams from the writer')?.passed).toBe(true);
  expect(invariant('lifecycle', 'the estate is on its configured pair again')?.passed).toBe(true);
  expect(invariant('lifecycle', 'topology gate after the fail-back')?.passed).toBe(true);
  expect(invariant('lifecycle', 're-armed: the alarm failed the configured pair over again')?.passed).toBe(true);
  // Each crash may lose what its replica lacked, never more.
  expect(row.lostCommittedWrites).toBeLessThanOrEqual(row.expectedLostWrites);
});

test('keeper-dead-partition: a keeper that crashed while its primary kept serving, then a partition — no automatic promotion, one writer', () => {
  const row = rowOf('keeper-dead-partition');
  expect(row.promoted).toBe(false);
  expect(invariant('keeper-dead-partition', 'one writer')?.passed).toBe(true);
  expect(invariant('keeper-dead-partition', 'no automatic promotion while nothing fenced the primary')?.passed).toBe(true);
});

test('every process, data directory and the endpoint are gone after each scenario', async () => {
  for (const run of runs.values()) {
    expect(run.resources.pids.length).toBeGreaterThanOrEqual(2);
    expect(resourcesReleased(run.resources)).toBe(true);
    const [host, port] = run.resources.endpoint.split(':');
    await expect(connectOnce(host, Number(port))).rejects.toThrow(/ECONNREFUSED/);
  }
});

test('Ctrl-C during the drill stops the cluster and removes its directories', async () => {
  const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
  const cli = spawn(tsx, ['functions/local-drill/cli.ts', '--scenario', 'region-loss', '--fault-after', '30'], {
    cwd: path.join(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 20_000;
  while (!/write load running/.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const dataDir = /data in (\S+)/.exec(output)?.[1];
  expect(dataDir).toBeDefined();
  expect(fs.existsSync(dataDir!)).toBe(true);
  cli.kill('SIGINT');

  expect(await exited).toBe(130);
  expect(fs.existsSync(dataDir!)).toBe(false);
});

function connectOnce(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
