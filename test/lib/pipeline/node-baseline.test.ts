/**
 * One Node.js baseline: CodeBuild, GitHub Actions and the Lambda runtime run the same Node major, pinned (never
 * `NODEJS_LATEST`, which moves with a CDK upgrade), and package.json's engines admit it.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { LAMBDA_RUNTIME } from '../../../lib/constructs/functions/dr-function';
import { CODEBUILD_NODE_MAJOR } from '../../../lib/pipeline/pipeline-stack';

const ROOT = join(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

describe('the Node.js baseline', () => {
  it('pins the Lambda runtime to a fixed Node major, the one CodeBuild builds and tests on', () => {
    expect(LAMBDA_RUNTIME.isVariable).toBe(false);
    expect(LAMBDA_RUNTIME.name).toBe(`nodejs${CODEBUILD_NODE_MAJOR}.x`);
    expect(CODEBUILD_NODE_MAJOR).toBe('24');
  });

  it('uses no floating Lambda runtime anywhere in the infrastructure', () => {
    const floating = [...sourceFiles(join(ROOT, 'lib')), ...sourceFiles(join(ROOT, 'bin'))]
      .filter((file) => /Runtime\.NODEJS_LATEST|determineLatestNodeRuntime\(/.test(readFileSync(file, 'utf8')));
    expect(floating).toEqual([]);
  });

  it('runs the GitHub Actions checks on the CodeBuild Node major', () => {
    const workflow = readFileSync(join(ROOT, '.github', 'workflows', 'pr-checks.yml'), 'utf8');
    expect([...workflow.matchAll(/node-version:\s*'?([^'\s]+)'?/g)].map((match) => match[1])).toEqual([CODEBUILD_NODE_MAJOR]);
  });

  it('declares engines that exclude end-of-life Node 20 and admit the CI major', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe('>=22');
    expect(Number(CODEBUILD_NODE_MAJOR)).toBeGreaterThanOrEqual(22);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node: string } }> };
    expect(lock.packages[''].engines?.node).toBe(manifest.engines.node);
  });
});
