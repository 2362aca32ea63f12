/**
 * One temporary directory per `jest` run. Every test synthesizes CDK apps, and an App without an `outdir` writes its
 * cloud assembly to a fresh `cdk.out*` directory in the OS temp folder that nothing removes (45 directories, about
 * 47 MB, per `npm test` before this). The global setup points TMPDIR at a directory of this run, which the workers
 * inherit, so every such directory (and every other `mkdtemp` of the tests) lands there; the global teardown removes
 * it, and only it, then fails the run if `cdk.out*` directories appeared in the OS temp folder anyway.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

interface RunTempDir {
  /** The OS temp folder before the run, where nothing of the run may stay. */
  readonly systemTmp: string;
  /** This run's own directory, removed at the end. */
  readonly runDir: string;
  /** `cdk.out*` entries of the OS temp folder before the run: other runs', never touched. */
  readonly before: ReadonlySet<string>;
  readonly previousTmpdir: string | undefined;
}

const STATE = Symbol.for('pg-multi-region-dr.jest-run-temp-dir');
type WithState = typeof globalThis & { [STATE]?: RunTempDir };

/** Names of the `cdk.out*` directories CDK's App creates in `dir` when it has no outdir. */
export function cdkOutDirsIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('cdk.out'));
}

/** Global setup: a temp directory for this run, made the temp folder of every test worker. */
export function startRunTempDir(): void {
  const systemTmp = tmpdir();
  const runDir = mkdtempSync(join(systemTmp, 'pg-dr-jest-'));
  // Like the OS temp folder (mkdtemp makes 0700): the local PostgreSQL runs as its own OS user when the tests run as root,
  // and must reach the cluster directories the tests create in here.
  chmodSync(runDir, 0o1777);
  (globalThis as WithState)[STATE] = { systemTmp, runDir, before: new Set(cdkOutDirsIn(systemTmp)), previousTmpdir: process.env.TMPDIR };
  process.env.TMPDIR = runDir;
}

/** Global teardown: removes this run's directory; throws if the run left `cdk.out*` directories in the OS temp folder. */
export function finishRunTempDir(): void {
  const run = (globalThis as WithState)[STATE];
  if (!run) throw new Error('finishRunTempDir without startRunTempDir (jest.config.js must name both)');
  if (run.previousTmpdir === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = run.previousTmpdir;
  rmSync(run.runDir, { recursive: true, force: true });
  const left = cdkOutDirsIn(run.systemTmp).filter((name) => !run.before.has(name));
  if (left.length > 0) {
    throw new Error(`the test run left ${left.length} cdk.out directories in ${run.systemTmp} (an App synthesized outside this run's ` +
      `temp directory): ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}`);
  }
}
