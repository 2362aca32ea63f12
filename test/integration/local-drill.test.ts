import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { resourcesReleased, runLocalDrill, type ScenarioName, type ScenarioRun } from '../../functions/local-drill/drill';

// A shortened drill: the fault 0.5 s into the load, the monitor cycling every 100 ms instead of 250 ms, and in
// the crash the replica's WAL stream cut 0.4 s before the kill so that a known, non-empty set of acknowledged
// commits never reaches it. The two scenarios run side by side (each has its own cluster) to halve the wall time.
let runs: ScenarioRun[];
const progress: string[] = [];

beforeAll(async () => {
  const drill = (name: ScenarioName) => runLocalDrill({
    scenarios: [name],
    faultAfterSeconds: 0.5,
    replicationCutBeforeCrashMs: 400,
    monitorIntervalMs: 100,
    progress: (line) => progress.push(line),
  });
  runs = (await Promise.all([drill('crash'), drill('switchover')])).flatMap((run) => run.runs);
});

const scenario = (name: string): ScenarioRun => {
  const run = runs.find((candidate) => candidate.report.scenario === name);
  if (!run) throw new Error(`no ${name} run; progress:\n${progress.join('\n')}`);
  return run;
};

test('crash: the composite alarm triggers the core, which promotes, switches the endpoint and fences', () => {
  const { report, alerts } = scenario('crash');

  expect(report.failures).toEqual([]);
  expect(report).toMatchObject({ orchestratorOutcome: 'completed', promoted: true, oldPrimaryFenced: true, noFailBack: true, passed: true });
  const failoverAlerts = alerts.map((alert) => alert.subject).filter((subject) => subject.startsWith('DR failover'));
  // The alarm fires while the dead primary's lease is still valid: the decision waits for it to run out.
  expect(failoverAlerts.filter((subject) => !subject.startsWith('DR failover: waiting'))).toEqual(['DR failover: requested', 'DR failover: proceeding', 'DR failover: completed']);
  // The keeper found its primary gone, stopped renewing and fenced it (the configuration: it is down).
  expect(alerts.map((alert) => alert.subject)).toContain('DR lease keeper: primary fenced');
  expect(progress.some((line) => /composite alarm local-primary-down-composite → ALARM/.test(line))).toBe(true);
  expect(report.detectSeconds).toBeGreaterThan(0);
  expect(report.rtoSeconds).toBeGreaterThan(report.detectSeconds + report.promoteSeconds);
  expect(report.rtoSeconds).toBeLessThan(10);
});

test('crash: exactly the acknowledged commits the replica never received are lost', () => {
  const { report } = scenario('crash');

  expect(report.expectedLostWrites).toBeGreaterThan(0); // the cut guarantees some
  expect(report.lostCommittedWrites).toBe(report.expectedLostWrites);
  expect(report.writesAcknowledged).toBeGreaterThan(report.lostCommittedWrites);
  // The lost commits are at most as old as the cut plus the kill itself.
  expect(report.rpoSeconds).toBeGreaterThan(0.3);
  expect(report.rpoSeconds).toBeLessThan(2);
});

test('switchover under write load: lease handed over, primary frozen, replica caught up, then promoted — zero lost commits', () => {
  const { report, timeline } = scenario('switchover');

  expect(report.failures).toEqual([]);
  expect(report).toMatchObject({
    orchestratorOutcome: 'completed', promoted: true, oldPrimaryFenced: true, noFailBack: true,
    lostCommittedWrites: 0, expectedLostWrites: 0, rpoSeconds: 0, detectSeconds: 0, passed: true,
  });
  expect(report.writesAcknowledged).toBeGreaterThan(0);
  const steps = timeline.split('\n').filter((line) => line.startsWith('- ')).map((line) => line.slice(2).split(':')[0]);
  expect(steps).toEqual([
    'verifyPrimaryDown', 'checkReplica', 'takeWriteLease', 'freezePrimary', 'catchUp', 'publishDnsSignal', 'promoteReplica', 'waitForWriter', 'pinDnsRecord', 'fenceOldPrimary',
  ]);
});

test('the restarted old primary refused a write with read_only_sql_transaction and the endpoint stayed on the new writer', () => {
  for (const name of ['crash', 'switchover']) {
    const lines = progress.filter((line) => line.startsWith(`[${name} `));
    expect(lines.some((line) => /old primary refuses writes: .*read-only transaction/.test(line))).toBe(true);
    expect(lines.some((line) => /endpoint reaches the new writer; \d+ writes since the restart, 0 of them on the old primary/.test(line))).toBe(true);
  }
});

test('every process, data directory and the endpoint are gone after the drill', async () => {
  for (const run of runs) {
    expect(run.resources.pids.length).toBeGreaterThanOrEqual(3); // primary, replica, restarted old primary
    expect(resourcesReleased(run.resources)).toBe(true);
    const [host, port] = run.resources.endpoint.split(':');
    await expect(connectOnce(host, Number(port))).rejects.toThrow(/ECONNREFUSED/);
  }
});

test('Ctrl-C during the drill stops the cluster and removes its directories', async () => {
  const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
  const cli = spawn(tsx, ['functions/local-drill/cli.ts', '--scenario', 'crash', '--fault-after', '30'], {
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
