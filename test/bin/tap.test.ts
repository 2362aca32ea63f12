/**
 * A bad configuration value fails the app with one line naming the setting and exit code 1: no source excerpt, stack
 * frames or `Node.js v…` trailer. Spawns the app as `cdk.json` runs it and once through `cdk synth -c …`.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');
const APP_COMMAND = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { app: string }).app;

/** The environment of a spawned app: this run's own output directory, none of the CLI variables of whoever runs the tests. */
function cleanEnv(outdir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, CDK_OUTDIR: outdir, CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const key of ['CDK_CONTEXT_JSON', 'CONTEXT_OVERFLOW_LOCATION_ENV', 'CDK_DEFAULT_ACCOUNT', 'CODECONNECTIONS_ARN']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

let outdir: string;
beforeAll(() => { outdir = mkdtempSync(join(tmpdir(), 'tap-entry-test-')); });
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('a bad configuration value', () => {
  it('fails the app entry (as cdk.json runs it) with exactly one line naming the setting the user passed, exit code 1', () => {
    const result = spawnSync(APP_COMMAND, {
      cwd: ROOT, shell: true, encoding: 'utf8', timeout: 60_000,
      env: cleanEnv(outdir, { CDK_CONTEXT_JSON: JSON.stringify({ primaryVpcCidr: '10.20.0.0/16' }) }),
    });
    expect(result.stderr).toBe(
      'Invalid configuration "primaryVpcCidr": 10.20.0.0/16 overlaps drVpcCidr 10.20.0.0/16 (default); VPC peering needs disjoint ranges\n');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  });

  it('fails `cdk synth -c …` with that one line; the only other line is the CLI\'s own "Subprocess exited"', () => {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--no-notices', '-o', join(outdir, 'synth'), '-c', 'target=bogus'], {
        cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: cleanEnv(outdir),
      });
    // target is checked before the placeholder warnings print, so they do not bury the error.
    expect(result.stderr.split('\n').filter((line) => line !== '')).toEqual([
      'Invalid configuration "target": "bogus" must be "pipeline" (default) or "sandbox"',
      `${APP_COMMAND}: Subprocess exited with error 1`,
    ]);
    expect(result.status).toBe(1);
  });
});
