import { execFileSync } from 'child_process';
import { join, resolve } from 'path';

/** Repository root (this file is test/architecture/import-rules.ts). */
export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');
/** The rules of direction (see its header). */
export const IMPORT_RULES_CONFIG = join(REPOSITORY_ROOT, '.dependency-cruiser.cjs');

/** One import that breaks a rule, as `rule: from → to` (repository-relative paths). */
export interface ImportViolation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

interface CruiseResult {
  readonly summary: {
    readonly violations: ReadonlyArray<{ rule: { name: string }; from: string; to: string }>;
    readonly totalCruised: number;
  };
}

/**
 * Runs dependency-cruiser with the repository's rules over `paths` (relative to `cwd`) and returns the violations and
 * how many modules it read. Runs the CLI in a child process: dependency-cruiser is an ES module, the tests are
 * CommonJS. Parsing uses @swc/core (TypeScript 7 has no JavaScript compiler API), so type-only imports count too.
 */
export function importViolations(paths: readonly string[], cwd: string = REPOSITORY_ROOT): { violations: ImportViolation[]; modules: number } {
  const cli = join(REPOSITORY_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  let output: string;
  try {
    output = execFileSync(process.execPath, [cli, '--config', IMPORT_RULES_CONFIG, '--output-type', 'json', ...paths], {
      cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // The CLI exits non-zero when it finds errors; its JSON is still on stdout.
    const failed = error as { stdout?: string; stderr?: string };
    if (!failed.stdout) throw new Error(`dependency-cruiser failed: ${failed.stderr ?? String(error)}`);
    output = failed.stdout;
  }
  const result = JSON.parse(output) as CruiseResult;
  return {
    violations: result.summary.violations.map(({ rule, from, to }) => ({ rule: rule.name, from, to })),
    modules: result.summary.totalCruised,
  };
}

/** One line per violation, for a failure message that names every offending import. */
export function describeViolations(violations: readonly ImportViolation[]): string[] {
  return violations.map((violation) => `${violation.rule}: ${violation.from} → ${violation.to}`);
}
